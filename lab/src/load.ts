// Loading a run from a file: JSON lines of TraceEvent (`synack scenario --json`), a JSON array
// of them, or a pcap/pcapng capture (states inferred from the segments by infer.ts).
import type { TraceEvent } from '../../src/trace/trace.js';
import { segmentsToTrace, type InferSegment } from './infer.js';
import { hostsOf, type Run } from './model.js';
import { readCapture, isCaptureError } from '../../src/link/pcapng.js';
import { describePacket } from '../../src/wire/packet.js';

const TYPES = new Set(['segment', 'state', 'timer', 'drop', 'link', 'user', 'error', 'data', 'retransmit', 'note']);

function isEvent(x: unknown): x is TraceEvent {
  if (!x || typeof x !== 'object') return false;
  const o = x as Record<string, unknown>;
  return typeof o.type === 'string' && TYPES.has(o.type) && typeof o.host === 'string' && typeof o.t === 'number';
}

/** Parse JSON lines (or a JSON array) of trace events; other lines are skipped and counted. */
export function parseTraceText(text: string): { events: TraceEvent[]; skipped: number } {
  const trimmed = text.trim();
  const events: TraceEvent[] = [];
  let skipped = 0;
  if (trimmed.startsWith('[')) {
    const arr: unknown = JSON.parse(trimmed);
    if (!Array.isArray(arr)) throw new Error('expected an array of trace events');
    for (const x of arr) (isEvent(x) ? events.push(x) : skipped++);
    return { events, skipped };
  }
  for (const line of trimmed.split(/\r?\n/)) {
    if (!line.trim()) continue;
    try {
      const x: unknown = JSON.parse(line);
      if (isEvent(x)) events.push(x);
      else if (x && typeof x === 'object' && Array.isArray((x as { events?: unknown }).events)) {
        for (const y of (x as { events: unknown[] }).events) (isEvent(y) ? events.push(y) : skipped++);
      } else skipped++;
    } catch {
      skipped++;
    }
  }
  return { events, skipped };
}

/** A run from a trace. A trace without state events gets them inferred from its segments. */
export function runFromEvents(events: TraceEvent[], source: string): Run {
  if (events.length === 0) throw new Error('no trace events found');
  const hosts = hostsOf(events);
  if (events.some((e) => e.type === 'state')) return { source, events, hosts, summary: `${events.length} events` };
  // Segments as sent (or as received when the trace has only one side's arrivals).
  const outs = events.filter((e) => e.type === 'segment' && e.dir === 'out');
  const segs = (outs.length ? outs : events.filter((e) => e.type === 'segment')) as Extract<TraceEvent, { type: 'segment' }>[];
  const lost = events.filter((e) => e.type === 'link' && e.action === 'lost') as Extract<TraceEvent, { type: 'link' }>[];
  const items: InferSegment[] = segs.map((s) => ({
    t: s.t, src: s.src, dst: s.dst, flags: s.flags, seq: s.seq, ack: s.ack, len: s.len, win: s.win,
    lost: lost.some((l) => l.src === s.src && l.seq === s.seq && l.flags === s.flags && l.t >= s.t),
  }));
  const { events: evs, result } = segmentsToTrace(items, { names: hosts });
  return { source, events: evs, hosts: result.hosts, summary: `${segs.length} segments; states inferred from them` };
}

function connKey(s: { src: string; dst: string }): string {
  return [s.src, s.dst].sort().join(' ');
}

/** One TCP connection found in a capture. */
export interface CaptureConnection {
  key: string;
  label: string;
  segments: number;
}

/** A run from capture bytes: the connection `pick` (a key from `connections`), by default the
 *  first one that starts with a SYN, else the first seen. */
export function runFromCapture(bytes: Uint8Array, source: string, pick?: string): Run {
  const r = readCapture(bytes);
  if (isCaptureError(r) && r.packets.length === 0) throw new Error(r.error);
  const packets = isCaptureError(r) ? r.packets : r;
  const ep = (addr: string, port: number): string => (addr.includes(':') ? `[${addr}]:${port}` : `${addr}:${port}`);
  const segs: InferSegment[] = [];
  for (const p of packets) {
    const d = describePacket(p.data);
    if (d) segs.push({ t: p.t, src: ep(d.src, d.srcPort), dst: ep(d.dst, d.dstPort), flags: d.flags, seq: d.seq, ack: d.ack, len: d.len, win: d.win, options: d.options || undefined });
  }
  if (segs.length === 0) throw new Error(`no TCP segments in ${packets.length} packets`);
  const connections: CaptureConnection[] = [];
  for (const s of segs) {
    const key = connKey(s);
    const c = connections.find((x) => x.key === key);
    if (c) c.segments++;
    else connections.push({ key, label: `${s.src} > ${s.dst}`, segments: 1 });
  }
  for (const c of connections) c.label += ` (${c.segments} segments)`;
  const withSyn = segs.find((s) => s.flags.includes('S') && !s.flags.includes('.'));
  const key = pick && connections.some((c) => c.key === pick) ? pick : connKey(withSyn ?? segs[0]);
  const picked = segs.filter((s) => connKey(s) === key);
  const t0 = picked[0].t;
  const mine = picked.map((s) => ({ ...s, t: +(s.t - t0).toFixed(3) }));
  const { events, result } = segmentsToTrace(mine, { names: ['client', 'server'] });
  const isPcapng = bytes.length >= 4 && new DataView(bytes.buffer, bytes.byteOffset).getUint32(0, true) === 0x0a0d0d0a;
  return {
    source,
    events,
    hosts: result.hosts,
    // The original bytes when they hold just this connection; otherwise a pcapng is rebuilt.
    pcapng: isPcapng && connections.length === 1 && picked.length === packets.length ? bytes : undefined,
    connections,
    connection: key,
    summary:
      `${packets.length} packets, ${mine.length} segments of ${result.endpoints[0]} <> ${result.endpoints[1]}` +
      (connections.length > 1 ? ` (one of ${connections.length} connections)` : '') +
      `; states inferred: client ${result.final.client}, server ${result.final.server}`,
  };
}

export function runFromFile(name: string, bytes: Uint8Array, pick?: string): Run {
  let i = 0;
  while (i < bytes.length && (bytes[i] === 0x20 || bytes[i] === 0x0a || bytes[i] === 0x0d || bytes[i] === 0x09 || bytes[i] === 0xef || bytes[i] === 0xbb || bytes[i] === 0xbf)) i++;
  if (i === bytes.length || bytes[i] === 0x7b || bytes[i] === 0x5b) {
    const { events, skipped } = parseTraceText(new TextDecoder().decode(bytes));
    const run = runFromEvents(events, `file ${name}`);
    if (skipped) run.summary = `${run.summary}; ${skipped} lines skipped`;
    return run;
  }
  return runFromCapture(bytes, `file ${name}`, pick);
}
