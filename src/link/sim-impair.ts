// The impairment engine shared by SimLink and SimLan: one Pipe carries packets in one
// direction with delay, jitter, a rate-limited serialization queue (tail drop), loss,
// duplication, reordering and bit corruption. Every random draw comes from the Pipe's own Rng,
// in a fixed order per packet, so the same seed and traffic give the same result every run.
import type { Rng, Scheduler } from '../sim/types.js';
import type { TraceSink, LinkTrace } from '../trace/trace.js';
import { UnitError, parseCount, parseDuration, parseProbability, parseRate } from './units.js';

/** Impairments for one direction. Numbers are ms, bits/s and probabilities in [0,1]; strings
 *  like '5ms', '10Mbit', '1%' are accepted too. */
export interface Impairments {
  /** One-way propagation delay (default 0). */
  delay?: number | string;
  /** Uniform jitter: each packet's delay is delay ± jitter (never below 0). Jitter alone does
   *  not reorder: packets leave in order unless picked for reordering. */
  jitter?: number | string;
  /** Serialization rate; 0 or 'unlimited' = infinitely fast (default). */
  bandwidth?: number | string;
  /** Packets waiting or being serialized before tail drop (default 1000). Only with bandwidth. */
  queueLimit?: number | string;
  loss?: number | string;
  duplicate?: number | string;
  /** Probability a packet is held back by reorderDelay so later packets overtake it. */
  reorder?: number | string;
  /** Extra delay for reordered packets (default 10 ms). */
  reorderDelay?: number | string;
  /** Probability one random bit of the packet is flipped. */
  corrupt?: number | string;
  /** Probability an ECN-capable packet (ECT(0) or ECT(1)) is marked CE, as an AQM does instead
   *  of dropping it (RFC 3168 5). Other packets pass unmarked (`loss` drops). */
  ceMark?: number | string;
}

export interface ResolvedImpairments {
  delay: number;
  jitter: number;
  bandwidth: number;
  queueLimit: number;
  loss: number;
  duplicate: number;
  reorder: number;
  reorderDelay: number;
  corrupt: number;
  ceMark: number;
}

export const NO_IMPAIRMENTS: Readonly<ResolvedImpairments> = Object.freeze({
  delay: 0,
  jitter: 0,
  bandwidth: Infinity,
  queueLimit: 1000,
  loss: 0,
  duplicate: 0,
  reorder: 0,
  reorderDelay: 10,
  corrupt: 0,
  ceMark: 0,
});

/** Merge a partial, possibly textual, impairment set onto `base`. Throws UnitError on bad text. */
export function resolveImpairments(p: Impairments, base: ResolvedImpairments = NO_IMPAIRMENTS): ResolvedImpairments {
  const r = { ...base };
  if (p.delay !== undefined) r.delay = parseDuration(p.delay, 'delay');
  if (p.jitter !== undefined) r.jitter = parseDuration(p.jitter, 'jitter');
  if (p.bandwidth !== undefined) r.bandwidth = parseRate(p.bandwidth, 'bandwidth');
  if (p.queueLimit !== undefined) r.queueLimit = parseCount(p.queueLimit, 'queueLimit');
  if (p.loss !== undefined) r.loss = parseProbability(p.loss, 'loss');
  if (p.duplicate !== undefined) r.duplicate = parseProbability(p.duplicate, 'duplicate');
  if (p.reorder !== undefined) r.reorder = parseProbability(p.reorder, 'reorder');
  if (p.reorderDelay !== undefined) r.reorderDelay = parseDuration(p.reorderDelay, 'reorderDelay');
  if (p.corrupt !== undefined) r.corrupt = parseProbability(p.corrupt, 'corrupt');
  if (p.ceMark !== undefined) r.ceMark = parseProbability(p.ceMark, 'ceMark');
  return r;
}

/** What the trace hook learns about a packet (the wire layer's describePacket fits). `src` and
 *  `dst` are "addr:port", or bare addresses with the ports in srcPort/dstPort. */
export interface PacketDescription {
  flags: string;
  seq: number;
  ack: number;
  len: number;
  src: string;
  dst: string;
  srcPort?: number;
  dstPort?: number;
}
export type DescribePacket = (packet: Uint8Array) => PacketDescription | null;

export interface PipeStats {
  sent: number;
  delivered: number;
  lost: number;
  duplicated: number;
  corrupted: number;
  /** ECN-capable packets marked CE (ceMark). */
  ceMarked: number;
  reordered: number;
  queueDrops: number;
  downDrops: number;
  mtuDrops: number;
  bytesDelivered: number;
}

function emptyStats(): PipeStats {
  return {
    sent: 0,
    delivered: 0,
    lost: 0,
    duplicated: 0,
    corrupted: 0,
    ceMarked: 0,
    reordered: 0,
    queueDrops: 0,
    downDrops: 0,
    mtuDrops: 0,
    bytesDelivered: 0,
  };
}

export interface TraceHook {
  trace?: TraceSink;
  describe?: DescribePacket;
  /** Also emit a LinkTrace 'delivered' for every delivered packet (default false). */
  traceDelivered?: boolean;
}

/** tcpdump-like one-line summary: "S. 100:100(0) ack 1" */
export function summarize(d: PacketDescription): string {
  return `${d.flags} ${d.seq}:${(d.seq + d.len) >>> 0}(${d.len}) ack ${d.ack}`;
}

export type DropReason = 'link down' | 'exceeds mtu' | 'queue full' | 'loss' | 'no receiver' | 'unknown destination';

/** Who receives a packet when it arrives: a handler, or why it cannot be delivered. */
export type Target = () => ((p: Uint8Array) => void) | DropReason;

export class Pipe {
  cfg: ResolvedImpairments;
  up = true;
  readonly stats: PipeStats = emptyStats();
  /** Finish times of packets admitted to the serialization queue, oldest first. */
  private txFinish: number[] = [];
  private busyUntil = -Infinity;
  /** Latest delivery time among in-order packets: jitter never reorders them. */
  private lastInOrderAt = -Infinity;

  constructor(
    private readonly sched: Scheduler,
    private readonly rng: Rng,
    /** Name of the sending host, used as the trace event's `host`. */
    public hostName: string,
    private readonly hook: TraceHook,
    cfg: ResolvedImpairments = NO_IMPAIRMENTS,
  ) {
    this.cfg = { ...cfg };
  }

  /** Push one packet into the pipe. At arrival time (unless the pipe is down then), `target()`
   *  names the receiver's handler, or a reason to drop. The pipe takes ownership of `packet`
   *  (LinkPort.send): it is delivered as is, not copied, unless the pipe may corrupt it (then the
   *  receiver gets a private copy); a duplicate is a separate copy. `mtu` limits its size. */
  send(packet: Uint8Array, mtu: number, target: Target): void {
    const now = this.sched.now();
    const c = this.cfg;
    this.stats.sent++;
    if (!this.up) {
      this.stats.downDrops++;
      this.drop(packet, 'link down');
      return;
    }
    if (packet.length > mtu) {
      this.stats.mtuDrops++;
      this.drop(packet, 'exceeds mtu');
      return;
    }
    // Serialization: the packet starts when the wire is free and takes size*8/bandwidth.
    let departs = now;
    if (c.bandwidth !== Infinity) {
      while (this.txFinish.length && this.txFinish[0] <= now) this.txFinish.shift();
      if (this.txFinish.length >= Math.max(1, c.queueLimit)) {
        this.stats.queueDrops++;
        this.drop(packet, 'queue full');
        return;
      }
      const start = Math.max(now, this.busyUntil);
      departs = start + (packet.length * 8 * 1000) / c.bandwidth;
      this.busyUntil = departs;
      this.txFinish.push(departs);
    }
    // Random loss on the wire (after it used its share of the bandwidth).
    if (chance(this.rng, c.loss)) {
      this.stats.lost++;
      this.drop(packet, 'loss');
      return;
    }
    // Ownership passed with send(): copy only when a bit may be flipped or the packet marked,
    // so that a changed packet never changes bytes its sender still looks at.
    let p = c.corrupt > 0 ? packet.slice() : packet;
    if (c.ceMark > 0 && ecnCapable(p) && chance(this.rng, c.ceMark)) {
      if (p === packet) p = packet.slice();
      markCe(p);
      this.stats.ceMarked++;
    }
    if (chance(this.rng, c.corrupt) && p.length > 0) {
      const bit = intBelow(this.rng, p.length * 8);
      p[bit >>> 3] ^= 1 << (bit & 7);
      this.stats.corrupted++;
      this.emit('corrupted', p, `bit ${bit}`);
    }
    let delay = c.delay;
    if (c.jitter > 0) delay = Math.max(0, delay + (this.rng.next() * 2 - 1) * c.jitter);
    let at = departs + delay;
    if (chance(this.rng, c.reorder)) {
      at += c.reorderDelay;
      this.stats.reordered++;
      this.emit('reordered', p);
    } else {
      at = Math.max(at, this.lastInOrderAt);
      this.lastInOrderAt = at;
    }
    const dup = chance(this.rng, c.duplicate);
    this.sched.at(at, () => this.arrive(p, target));
    if (dup) {
      this.stats.duplicated++;
      this.emit('duplicated', p);
      const copy = p.slice();
      this.sched.at(at, () => this.arrive(copy, target));
    }
  }

  private arrive(p: Uint8Array, target: Target): void {
    if (!this.up) {
      // The link went down while the packet was in flight.
      this.stats.downDrops++;
      this.drop(p, 'link down');
      return;
    }
    const handler = target();
    if (typeof handler === 'string') {
      this.drop(p, handler);
      return;
    }
    this.stats.delivered++;
    this.stats.bytesDelivered += p.length;
    if (this.hook.traceDelivered) this.emit('delivered', p);
    handler(p);
  }

  /** Record a dropped packet: a LinkTrace 'lost' (drawn as a lost arrow) and, for drops that
   *  are not random loss, a DropTrace with the reason. */
  drop(p: Uint8Array, reason: DropReason): void {
    if (!this.hook.trace) return;
    this.emit('lost', p, reason === 'loss' ? undefined : reason);
    if (reason !== 'loss') {
      this.hook.trace({ type: 'drop', t: this.sched.now(), host: this.hostName, layer: 'link', reason });
    }
  }

  emit(action: LinkTrace['action'], p: Uint8Array, note?: string): void {
    const sink = this.hook.trace;
    if (!sink) return;
    const ev: LinkTrace = { type: 'link', t: this.sched.now(), host: this.hostName, action };
    let d: PacketDescription | null = null;
    if (this.hook.describe) {
      try {
        d = this.hook.describe(p);
      } catch {
        d = null; // a describer must never break the link
      }
    }
    if (d) {
      ev.summary = summarize(d) + (note ? ` [${note}]` : '');
      ev.flags = d.flags;
      ev.seq = d.seq;
      ev.ack = d.ack;
      ev.len = d.len;
      // Same "addr:port" form as SegmentTrace, so viewers can pair the two.
      ev.src = typeof d.srcPort === 'number' ? `${d.src}:${d.srcPort}` : d.src;
      ev.dst = typeof d.dstPort === 'number' ? `${d.dst}:${d.dstPort}` : d.dst;
    } else {
      ev.summary = `${p.length} bytes` + (note ? ` [${note}]` : '');
    }
    sink(ev);
  }
}

/** RFC 3168 5: the ECN field, the low two bits of the IPv4 TOS / IPv6 Traffic Class byte, is
 *  ECT(1) or ECT(0). */
function ecnCapable(p: Uint8Array): boolean {
  if (p.length < 2) return false;
  const v = p[0] >> 4;
  const ecn = v === 4 ? p[1] & 3 : v === 6 ? (p[1] >> 4) & 3 : 0;
  return ecn === 1 || ecn === 2;
}

/** Sets the ECN field to CE (11); IPv4's header checksum is updated (RFC 1624 eqn. 3) when it
 *  was filled in. */
function markCe(p: Uint8Array): void {
  if (p[0] >> 4 === 6) {
    p[1] |= 0x30;
    return;
  }
  const old = (p[0] << 8) | p[1];
  p[1] |= 3;
  const hc = (p[10] << 8) | p[11];
  if (hc === 0 || p.length < 20) return;
  let sum = (~hc & 0xffff) + (~old & 0xffff) + ((p[0] << 8) | p[1]);
  sum = (sum & 0xffff) + (sum >>> 16);
  sum = (sum & 0xffff) + (sum >>> 16);
  const nc = ~sum & 0xffff;
  p[10] = nc >> 8;
  p[11] = nc & 0xff;
}

function chance(rng: Rng, p: number): boolean {
  if (!(p > 0)) return false;
  if (p >= 1) return true;
  return rng.next() < p;
}

function intBelow(rng: Rng, n: number): number {
  return Math.min(n - 1, Math.floor(rng.next() * n));
}

/** An independent stream for a label when the Rng can fork; otherwise the Rng itself. */
export function forkRng(rng: Rng, label: string): Rng {
  const f = (rng as { fork?: (l: string) => Rng }).fork;
  return typeof f === 'function' ? f.call(rng, label) : rng;
}

const IMPAIRMENT_KEYS: Record<string, keyof Impairments> = {
  delay: 'delay',
  jitter: 'jitter',
  bandwidth: 'bandwidth',
  bw: 'bandwidth',
  rate: 'bandwidth',
  queue: 'queueLimit',
  queuelimit: 'queueLimit',
  limit: 'queueLimit',
  loss: 'loss',
  duplicate: 'duplicate',
  dup: 'duplicate',
  reorder: 'reorder',
  reorderdelay: 'reorderDelay',
  corrupt: 'corrupt',
  cemark: 'ceMark',
  ce: 'ceMark',
};

/** Parse 'delay=5ms,jitter=1ms,loss=1%,bw=10Mbit,queue=100,dup=1%,reorder=5%,reorder-delay=20ms,
 *  corrupt=0.1%,ce-mark=1%' (commas or spaces between items) into Impairments, checking every value.
 *  Throws UnitError (a RangeError) with a clear message on unknown keys or bad values. */
export function parseImpairments(text: string): Impairments {
  const out: Impairments = {};
  for (const item of text.split(/[,\s]+/).filter(Boolean)) {
    const eq = item.indexOf('=');
    const rawKey = eq >= 0 ? item.slice(0, eq) : item;
    const key = IMPAIRMENT_KEYS[rawKey.toLowerCase().replace(/[-_]/g, '')];
    if (!key || eq < 0) {
      throw new UnitError(`link setting '${item}': expected key=value with key one of ${Object.keys(IMPAIRMENT_KEYS).join(', ')}`);
    }
    (out as Record<string, string>)[key] = item.slice(eq + 1);
  }
  resolveImpairments(out); // validate now, not on first packet
  return out;
}
