// SimLan: a simulated switch. Hosts attach with their IP addresses; each packet goes to the
// port that owns its destination address (read straight from the IPv4/IPv6 header), after the
// sender's egress impairments (the same engine as SimLink). Unknown destinations are dropped
// with a trace. Same seed + same traffic => identical run.
import type { Rng, Scheduler } from '../sim/types.js';
import type { LinkPort } from './types.js';
import type { TraceSink } from '../trace/trace.js';
import { SeededRng } from '../sim/random.js';
import {
  Pipe,
  forkRng,
  resolveImpairments,
  type DescribePacket,
  type Impairments,
  type PipeStats,
  type ResolvedImpairments,
} from './sim-impair.js';

export interface SimLanOptions extends Impairments {
  scheduler: Scheduler;
  rng?: Rng;
  seed?: number;
  mtu?: number;
  checksumOffload?: boolean;
  trace?: TraceSink;
  describe?: DescribePacket;
  traceDelivered?: boolean;
}

/** Parse IPv4 dotted-quad or IPv6 text (with '::' and an embedded IPv4 tail) into bytes;
 *  null when malformed. */
export function parseIpText(text: string): Uint8Array | null {
  const s = text.trim().replace(/^\[|\]$/g, '').replace(/%.*$/, '');
  if (s.includes(':')) return parseV6(s);
  return parseV4(s);
}

function parseV4(s: string): Uint8Array | null {
  const parts = s.split('.');
  if (parts.length !== 4) return null;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    if (!/^[0-9]{1,3}$/.test(parts[i])) return null;
    const n = Number(parts[i]);
    if (n > 255) return null;
    out[i] = n;
  }
  return out;
}

function parseV6(s: string): Uint8Array | null {
  const dbl = s.indexOf('::');
  if (dbl !== s.lastIndexOf('::')) return null;
  const groups = (part: string): number[] | null => {
    if (part === '') return [];
    const out: number[] = [];
    const items = part.split(':');
    for (let i = 0; i < items.length; i++) {
      const it = items[i];
      if (i === items.length - 1 && it.includes('.')) {
        const v4 = parseV4(it);
        if (!v4) return null;
        out.push((v4[0] << 8) | v4[1], (v4[2] << 8) | v4[3]);
      } else if (/^[0-9a-f]{1,4}$/i.test(it)) out.push(parseInt(it, 16));
      else return null;
    }
    return out;
  };
  let words: number[];
  if (dbl >= 0) {
    const head = groups(s.slice(0, dbl));
    const tail = groups(s.slice(dbl + 2));
    if (!head || !tail || head.length + tail.length > 7) return null;
    words = [...head, ...new Array(8 - head.length - tail.length).fill(0), ...tail];
  } else {
    const all = groups(s);
    if (!all || all.length !== 8) return null;
    words = all;
  }
  const out = new Uint8Array(16);
  words.forEach((w, i) => {
    out[2 * i] = w >> 8;
    out[2 * i + 1] = w & 0xff;
  });
  return out;
}

/** Key for an address: "4:" or "6:" + lowercase hex of its bytes. */
function keyOf(bytes: Uint8Array): string {
  let s = bytes.length === 4 ? '4:' : '6:';
  for (const b of bytes) s += b.toString(16).padStart(2, '0');
  return s;
}

/** Destination address key of an IP packet, read from the header; null if it is not IPv4/IPv6
 *  or too short. */
export function destinationKey(packet: Uint8Array): string | null {
  if (packet.length < 1) return null;
  const v = packet[0] >> 4;
  if (v === 4 && packet.length >= 20) return keyOf(packet.subarray(16, 20));
  if (v === 6 && packet.length >= 40) return keyOf(packet.subarray(24, 40));
  return null;
}

/** Human-readable destination (for traces): dotted quad or uncompressed-but-short IPv6. */
export function formatIpBytes(b: Uint8Array): string {
  if (b.length === 4) return Array.from(b).join('.');
  const words: string[] = [];
  for (let i = 0; i < 16; i += 2) words.push(((b[i] << 8) | b[i + 1]).toString(16));
  // Compress the longest run of zero words (RFC 5952).
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (words[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === '0') j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (best < 0) return words.join(':');
  return words.slice(0, best).join(':') + '::' + words.slice(best + bestLen).join(':');
}

class LanPort implements LinkPort {
  onReceive: ((packet: Uint8Array) => void) | null = null;
  constructor(
    private readonly lan: SimLan,
    readonly name: string,
    readonly pipe: Pipe,
  ) {}
  send(packet: Uint8Array): void {
    this.lan.transmit(this, packet);
  }
  get mtu(): number {
    return this.lan.mtu;
  }
  get checksumOffload(): boolean {
    return this.lan.checksumOffload;
  }
}

export class SimLan {
  mtu: number;
  checksumOffload: boolean;
  private readonly sched: Scheduler;
  private readonly rng: Rng;
  private readonly shared: ResolvedImpairments;
  private readonly hook: { trace?: TraceSink; describe?: DescribePacket; traceDelivered?: boolean };
  private readonly ports = new Map<string, LanPort>();
  private readonly owners = new Map<string, LanPort>();

  constructor(opts: SimLanOptions) {
    this.sched = opts.scheduler;
    this.rng = opts.rng ?? new SeededRng(opts.seed ?? 1);
    this.mtu = opts.mtu ?? 1500;
    this.checksumOffload = opts.checksumOffload ?? false;
    this.shared = resolveImpairments(opts);
    this.hook = { trace: opts.trace, describe: opts.describe, traceDelivered: opts.traceDelivered };
  }

  /** Attach a host owning `addresses` (IPv4/IPv6 text). Throws on a duplicate name, a bad
   *  address or an address another host owns. */
  attach(name: string, addresses: string[], imp: Impairments = {}): LinkPort {
    if (this.ports.has(name)) throw new Error(`SimLan: host '${name}' is already attached`);
    const keys: string[] = [];
    for (const a of addresses) {
      const bytes = parseIpText(a);
      if (!bytes) throw new Error(`SimLan: bad IP address '${a}' for '${name}'`);
      const k = keyOf(bytes);
      const other = this.owners.get(k);
      if (other) throw new Error(`SimLan: address ${a} already belongs to '${other.name}'`);
      keys.push(k);
    }
    const pipe = new Pipe(this.sched, forkRng(this.rng, `lan:${name}`), name, this.hook, resolveImpairments(imp, this.shared));
    const port = new LanPort(this, name, pipe);
    this.ports.set(name, port);
    for (const k of keys) this.owners.set(k, port);
    return port;
  }

  /** Detach a host: its addresses become unknown destinations. */
  detach(name: string): void {
    const port = this.ports.get(name);
    if (!port) return;
    this.ports.delete(name);
    for (const [k, p] of [...this.owners]) if (p === port) this.owners.delete(k);
    port.pipe.up = false;
  }

  /** Change the egress impairments of one host, or of every attached host. */
  configure(imp: Impairments, name?: string): void {
    for (const p of this.select(name)) p.pipe.cfg = resolveImpairments(imp, p.pipe.cfg);
  }

  /** Cut (or restore) one host's cable, or the whole switch. */
  setUp(up: boolean, name?: string): void {
    for (const p of this.select(name)) p.pipe.up = up;
  }

  stats(name: string): Readonly<PipeStats> | undefined {
    const p = this.ports.get(name);
    return p ? { ...p.pipe.stats } : undefined;
  }

  get hosts(): string[] {
    return [...this.ports.keys()];
  }

  /** @internal */
  transmit(from: LanPort, packet: Uint8Array): void {
    if (!this.ports.has(from.name)) return; // detached
    const key = destinationKey(packet);
    const to = key ? this.owners.get(key) : undefined;
    if (!to) {
      from.pipe.stats.sent++;
      from.pipe.drop(packet, 'unknown destination');
      return;
    }
    // Deliver to whoever owns the address at arrival time (a host may have detached).
    from.pipe.send(packet, this.mtu, () => {
      const owner = this.owners.get(key!);
      return owner ? (owner.onReceive ?? 'no receiver') : 'unknown destination';
    });
  }

  private select(name?: string): LanPort[] {
    if (name === undefined) return [...this.ports.values()];
    const p = this.ports.get(name);
    if (!p) throw new Error(`SimLan: no host '${name}'`);
    return [p];
  }
}
