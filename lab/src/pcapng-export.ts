// Build a pcapng file from the segments of a trace, for runs that do not come with capture bytes
// (a loaded JSON trace). One packet per sent segment, built by the stack's own wire code and
// written by its PcapngWriter; payload bytes are zeros (a trace keeps lengths, not data).
import type { SegmentTrace, TraceEvent } from '../../src/trace/trace.js';
import { PcapngWriter } from '../../src/link/pcapng.js';
import { buildTcpPacket } from '../../src/wire/packet.js';
import { parseAddr } from '../../src/wire/addr.js';
import type { Segment } from '../../src/wire/types.js';

/** "10.0.0.1:80", "[fe80::1]:80" or "fe80::1:80" -> address and port. */
export function splitEndpoint(ep: string): { addr: string; port: number } {
  const m = /^\[?(.*?)\]?:(\d+)$/.exec(ep);
  if (!m) return { addr: ep, port: 0 };
  return { addr: m[1], port: Number(m[2]) };
}

const FLAG_BITS: Record<string, number> = { F: 0x01, S: 0x02, R: 0x04, P: 0x08, '.': 0x10, U: 0x20, E: 0x40, W: 0x80 };

/** One IP packet carrying the segment (no options, zero payload), or null for bad addresses. */
export function packetOf(seg: Pick<SegmentTrace, 'src' | 'dst' | 'flags' | 'seq' | 'ack' | 'len' | 'win'>): Uint8Array | null {
  const s = splitEndpoint(seg.src);
  const d = splitEndpoint(seg.dst);
  const sa = parseAddr(s.addr);
  const da = parseAddr(d.addr);
  if (!sa || !da || sa.family !== da.family) return null;
  let flags = 0;
  for (const c of seg.flags) flags |= FLAG_BITS[c] ?? 0;
  const segment: Segment = {
    srcPort: s.port, dstPort: d.port, seq: seg.seq >>> 0, ack: seg.ack >>> 0, flags,
    window: seg.win & 0xffff, urgent: 0, options: {}, payload: new Uint8Array(seg.len),
  };
  return buildTcpPacket(sa.bytes, da.bytes, segment);
}

/** A pcapng of every segment as sent ('out' events), as a sender-side capture would show it. */
export function traceToPcapng(events: TraceEvent[]): Uint8Array {
  const w = new PcapngWriter({ interfaces: ['lab'], application: 'synack lab' });
  for (const e of events) {
    if (e.type !== 'segment' || e.dir !== 'out') continue;
    const data = packetOf(e);
    if (data) w.write(data, 0, e.t);
  }
  return w.toBytes();
}
