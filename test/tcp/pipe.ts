// Two Connections back to back through a lossy, delaying pipe driven by virtual time.
import { Connection } from '../../src/tcp/connection.js';
import type { ConnectionConfig, ConnEvent, ConnectionSink } from '../../src/tcp/types.js';
import type { Segment } from '../../src/wire/types.js';

/** mulberry32: a small seeded PRNG for the test. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface InFlight {
  at: number;
  to: 0 | 1;
  seg: Segment;
  n: number;
}

export interface PipeOptions {
  loss: number;
  seed: number;
  delay?: number; // one-way, ms
  jitter?: number; // ms (reorders)
  dup?: number; // probability a segment is delivered twice
  config: ConnectionConfig;
  configB?: ConnectionConfig;
}

export class Pipe {
  now = 0;
  readonly conns: Connection[] = [];
  readonly events: ConnEvent[][] = [[], []];
  private q: InFlight[] = [];
  private n = 0;
  private readonly rand: () => number;
  sent = [0, 0];
  dropped = [0, 0];

  constructor(readonly o: PipeOptions) {
    this.rand = rng(o.seed);
    for (const i of [0, 1] as const) {
      const sink: ConnectionSink = {
        output: (seg) => this.push(i === 0 ? 1 : 0, seg),
        event: (ev) => this.events[i].push(ev),
      };
      const local = i === 0 ? { addr: '10.0.0.1', port: 40000 } : { addr: '10.0.0.2', port: 80 };
      const remote = i === 0 ? { addr: '10.0.0.2', port: 80 } : { addr: '10.0.0.1', port: 40000 };
      const config = i === 1 && o.configB ? o.configB : o.config;
      this.conns.push(new Connection({ config, local, remote, sink, iss: i === 0 ? 0xfffff000 : 123456789, now: 0 }));
    }
  }

  private push(to: 0 | 1, seg: Segment): void {
    this.sent[to === 1 ? 0 : 1]++;
    if (this.rand() < this.o.loss) {
      this.dropped[to === 1 ? 0 : 1]++;
      return;
    }
    const at = this.now + (this.o.delay ?? 10) + this.rand() * (this.o.jitter ?? 0);
    // Copy the payload: the sender may reuse nothing, but the pipe must not alias anyway.
    this.q.push({ at, to, seg: { ...seg, payload: seg.payload.slice() }, n: this.n++ });
    if (this.o.dup && this.rand() < this.o.dup) {
      const again = this.now + (this.o.delay ?? 10) + this.rand() * (this.o.jitter ?? 0) * 4;
      this.q.push({ at: again, to, seg: { ...seg, payload: seg.payload.slice() }, n: this.n++ });
    }
  }

  /** Advances to the next event (delivery or timer). Returns false when nothing is pending. */
  step(): boolean {
    let next = Infinity;
    for (const p of this.q) if (p.at < next) next = p.at;
    for (const c of this.conns) next = Math.min(next, c.nextDeadline());
    if (next === Infinity) return false;
    this.now = Math.max(this.now, next);
    // Deliver every segment due, in order of arrival time.
    const due = this.q.filter((p) => p.at <= this.now).sort((a, b) => a.at - b.at || a.n - b.n);
    this.q = this.q.filter((p) => p.at > this.now);
    for (const p of due) this.conns[p.to].segmentArrives(p.seg, this.now);
    for (const c of this.conns) if (c.nextDeadline() <= this.now) c.onTimer(this.now);
    return true;
  }
}
