// SimLink: a simulated point-to-point link between two ports `a` and `b`, driven by a Scheduler
// and a seeded Rng. Each direction has its own impairments (delay, jitter, bandwidth with a
// tail-drop queue, loss, duplication, reordering, corruption), changeable at run time, and the
// link can be taken down and up (flap). Same seed + same traffic => identical run.
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

export type { Impairments, ResolvedImpairments, DescribePacket, PipeStats } from './sim-impair.js';

export type Direction = 'a>b' | 'b>a';

export interface SimLinkOptions extends Impairments {
  scheduler: Scheduler;
  /** Random source (a SeededRng is forked per direction). Default: new SeededRng(seed ?? 1). */
  rng?: Rng;
  seed?: number;
  /** Overrides for one direction on top of the shared impairments. */
  aToB?: Impairments;
  bToA?: Impairments;
  /** Largest IP packet carried (default 1500). */
  mtu?: number;
  /** Report checksumOffload on both ports (default false). */
  checksumOffload?: boolean;
  /** Start down (default up). */
  up?: boolean;
  trace?: TraceSink;
  /** Names used as the trace event's `host` for packets sent by a and by b. */
  hostNames?: { a: string; b: string };
  /** Packet -> {flags, seq, ack, len, src, dst} for trace events (e.g. wire's describePacket). */
  describe?: DescribePacket;
  /** Emit a LinkTrace 'delivered' per delivered packet too (default false). */
  traceDelivered?: boolean;
}

class SimPort implements LinkPort {
  onReceive: ((packet: Uint8Array) => void) | null = null;
  constructor(
    private readonly link: SimLink,
    private readonly side: 'a' | 'b',
  ) {}
  send(packet: Uint8Array): void {
    this.link.transmit(this.side, packet);
  }
  get mtu(): number {
    return this.link.mtu;
  }
  get checksumOffload(): boolean {
    return this.link.checksumOffload;
  }
}

export class SimLink {
  readonly a: LinkPort;
  readonly b: LinkPort;
  mtu: number;
  checksumOffload: boolean;
  private readonly pipes: Record<Direction, Pipe>;

  constructor(opts: SimLinkOptions) {
    const rng = opts.rng ?? new SeededRng(opts.seed ?? 1);
    this.mtu = opts.mtu ?? 1500;
    if (!Number.isInteger(this.mtu) || this.mtu < 1) throw new RangeError(`SimLink: bad mtu ${opts.mtu}`);
    this.checksumOffload = opts.checksumOffload ?? false;
    const shared = resolveImpairments(opts);
    const names = opts.hostNames ?? { a: 'a', b: 'b' };
    const hook = { trace: opts.trace, describe: opts.describe, traceDelivered: opts.traceDelivered };
    this.pipes = {
      'a>b': new Pipe(opts.scheduler, forkRng(rng, 'a>b'), names.a, hook, resolveImpairments(opts.aToB ?? {}, shared)),
      'b>a': new Pipe(opts.scheduler, forkRng(rng, 'b>a'), names.b, hook, resolveImpairments(opts.bToA ?? {}, shared)),
    };
    if (opts.up === false) this.setUp(false);
    this.a = new SimPort(this, 'a');
    this.b = new SimPort(this, 'b');
  }

  /** Change impairments at run time, for one direction or both. Affects packets sent from now on. */
  configure(imp: Impairments, dir: Direction | 'both' = 'both'): void {
    for (const d of dir === 'both' ? (['a>b', 'b>a'] as const) : [dir]) {
      this.pipes[d].cfg = resolveImpairments(imp, this.pipes[d].cfg);
    }
  }

  /** Current impairments of one direction. */
  impairments(dir: Direction): Readonly<ResolvedImpairments> {
    return { ...this.pipes[dir].cfg };
  }

  /** Take the link down (packets sent or in flight are dropped) or bring it back up. */
  setUp(up: boolean): void {
    this.pipes['a>b'].up = up;
    this.pipes['b>a'].up = up;
  }

  get up(): boolean {
    return this.pipes['a>b'].up;
  }

  stats(dir: Direction): Readonly<PipeStats> {
    return { ...this.pipes[dir].stats };
  }

  /** @internal called by the ports. */
  transmit(from: 'a' | 'b', packet: Uint8Array): void {
    const pipe = this.pipes[from === 'a' ? 'a>b' : 'b>a'];
    const to = from === 'a' ? this.b : this.a;
    pipe.send(packet, this.mtu, () => to.onReceive ?? 'no receiver');
  }
}
