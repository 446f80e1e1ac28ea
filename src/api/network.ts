// `Network`: a simulated LAN (SimLan) with hosts on it, each a `Stack`. Browser-safe.
//
//   const network = new Network({ seed: 1, delay: '5ms', loss: 0.01 });
//   const a = network.host('10.0.0.1/24');
//   const b = network.host({ name: 'server', addresses: ['10.0.0.2/24', 'fd00::2/64'] });
//
// Time: real time by default (a RealTimeScheduler, so Node's event loop, `http` and `ws` just
// work). With `virtual: true` the network runs on a VirtualScheduler that moves only when driven:
// `await network.run(ms)`, `await network.until(promise)`, or synchronously through
// `network.scheduler` (runUntil/runFor/runUntilIdle) for code that needs no promise callbacks.
import type { Scheduler, Rng } from '../sim/types.js';
import { VirtualScheduler } from '../sim/scheduler.js';
import { RealTimeScheduler } from '../sim/realtime.js';
import { SeededRng } from '../sim/random.js';
import { SimLan } from '../link/sim-lan.js';
import type { Impairments } from '../link/sim-impair.js';
import type { TraceSink } from '../trace/trace.js';
import type { ConnectionConfig } from '../tcp/types.js';
import type { HostLimits } from '../stack/host.js';
import { parseCidr } from '../wire/addr.js';
import { Stack } from './stack.js';
import { HostTable } from './host.js';

export interface NetworkOptions extends Impairments {
  /** Seed for the LAN's impairments and every host's randomness (default 1). */
  seed?: number | string;
  /** Run in virtual time (a VirtualScheduler driven by run/until/scheduler). Default false. */
  virtual?: boolean;
  /** Bring your own scheduler (overrides `virtual`). */
  scheduler?: Scheduler;
  /** Link MTU (default 1500). */
  mtu?: number;
  /** Trace events of the LAN and every host. */
  trace?: TraceSink;
  /** TCP defaults for every host. */
  tcp?: Partial<ConnectionConfig>;
  limits?: Partial<HostLimits>;
  /** Skip checksums on this LAN (it cannot corrupt unless `corrupt` is set). Default false. */
  checksumOffload?: boolean;
}

export interface HostSpec {
  /** Host name, for traces and name lookup from the other hosts (default host1, host2...). */
  name?: string;
  /** 'addr/prefix' (e.g. '10.0.0.1/24', 'fd00::1/64'); a bare address gets /24 (IPv4) or /64
   *  (IPv6) so the LAN's other hosts are on-link. */
  addresses: string[];
  /** Egress impairments for this host only (overriding the network's). */
  impairments?: Impairments;
  tcp?: Partial<ConnectionConfig>;
  limits?: Partial<HostLimits>;
  /** Loopback interface (default true). */
  loopback?: boolean;
}

/** Yield to the host event loop: Node ticks, microtasks and immediates run before we return. */
function nextMacrotask(): Promise<void> {
  const g = globalThis as { setImmediate?: (fn: () => void) => unknown };
  if (typeof g.setImmediate === 'function') return new Promise((r) => g.setImmediate!(r));
  return new Promise((r) => setTimeout(r, 0));
}

export class Network {
  readonly scheduler: Scheduler;
  readonly lan: SimLan;
  /** Names of the hosts, shared by every host for name lookup. */
  readonly names = new HostTable();
  readonly virtual: boolean;
  private readonly stacks = new Map<string, Stack>();
  private readonly seed: number | string;
  private readonly opts: NetworkOptions;
  private closed = false;

  constructor(opts: NetworkOptions = {}) {
    this.opts = opts;
    this.seed = opts.seed ?? 1;
    this.scheduler = opts.scheduler ?? (opts.virtual ? new VirtualScheduler() : new RealTimeScheduler());
    this.virtual = this.scheduler instanceof VirtualScheduler;
    const rng: Rng = new SeededRng(`${this.seed}:lan`);
    this.lan = new SimLan({
      scheduler: this.scheduler,
      rng,
      mtu: opts.mtu,
      checksumOffload: opts.checksumOffload,
      trace: opts.trace,
      delay: opts.delay,
      jitter: opts.jitter,
      bandwidth: opts.bandwidth,
      queueLimit: opts.queueLimit,
      loss: opts.loss,
      duplicate: opts.duplicate,
      reorder: opts.reorder,
      reorderDelay: opts.reorderDelay,
      corrupt: opts.corrupt,
    });
  }

  /** Add a host: `host('10.0.0.1/24')` or `host({ name, addresses: [...] })`. */
  host(spec: string | HostSpec): Stack {
    if (this.closed) throw new Error('Network: closed');
    const s: HostSpec = typeof spec === 'string' ? { addresses: [spec] } : spec;
    if (!s || !Array.isArray(s.addresses) || s.addresses.length === 0) {
      throw new TypeError("Network.host: give an address ('10.0.0.1/24') or { addresses: [...] }");
    }
    const cidrs = s.addresses.map((a) => {
      if (typeof a !== 'string') throw new TypeError(`Network.host: bad address ${String(a)}`);
      const withPrefix = a.includes('/') ? a : a.includes(':') ? `${a}/64` : `${a}/24`;
      const c = parseCidr(withPrefix);
      if (!c) throw new TypeError(`Network.host: cannot parse address '${a}' (try '10.0.0.1/24' or 'fd00::1/64')`);
      return withPrefix;
    });
    const bare = cidrs.map((c) => c.slice(0, c.indexOf('/')));
    const name = s.name ?? `host${this.stacks.size + 1}`;
    if (this.stacks.has(name)) throw new Error(`Network.host: a host named '${name}' already exists`);
    const port = this.lan.attach(name, bare, s.impairments ?? {});
    const stack = new Stack({
      name,
      scheduler: this.scheduler,
      seed: `${this.seed}:${name}`,
      trace: this.opts.trace,
      tcp: { ...(this.opts.tcp ?? {}), ...(s.tcp ?? {}) },
      limits: { ...(this.opts.limits ?? {}), ...(s.limits ?? {}) },
      loopback: s.loopback,
      hosts: this.names,
    });
    try {
      stack.addInterface({ name: 'eth0', port, addresses: cidrs });
    } catch (e) {
      this.lan.detach(name);
      throw e;
    }
    this.stacks.set(name, stack);
    this.names.add(name, bare);
    return stack;
  }

  /** The scheduler as a VirtualScheduler (runUntil/runFor/runUntilIdle/step) when the network
   *  runs in virtual time; throws in real time. */
  get virtualScheduler(): VirtualScheduler {
    if (!(this.scheduler instanceof VirtualScheduler)) throw new Error('Network: not in virtual time (use { virtual: true })');
    return this.scheduler;
  }

  /** Callbacks still scheduled on the network's clock (0 once everything has finished). */
  get pendingTimers(): number {
    const s = this.scheduler as unknown as { pending?: number };
    return typeof s.pending === 'number' ? s.pending : 0;
  }

  /** The hosts, by name. */
  get hosts(): ReadonlyMap<string, Stack> {
    return this.stacks;
  }

  /** Current time on the network's clock (ms). */
  now(): number {
    return this.scheduler.now();
  }

  /** Let `ms` of network time pass. Virtual time: runs every event up to now+ms, yielding to the
   *  JS event loop between instants so stream and promise callbacks run in order. Real time:
   *  waits ms. */
  async run(ms: number): Promise<void> {
    if (!(ms >= 0)) throw new RangeError(`Network.run: bad duration ${ms}`);
    if (!this.virtual) {
      await new Promise((r) => setTimeout(r, ms));
      return;
    }
    await this.drive(() => false, this.scheduler.now() + ms, true);
  }

  /** Drive the clock until `p` settles; returns its value. In virtual time, rejects when the
   *  network falls idle (nothing scheduled) or `limit` ms pass with `p` still pending. */
  async until<T>(p: Promise<T> | (() => boolean), limit = 3_600_000): Promise<T> {
    let done = false;
    let pred: () => boolean;
    let result: Promise<T>;
    if (typeof p === 'function') {
      pred = p;
      result = Promise.resolve(undefined as T);
    } else {
      result = p.finally(() => {
        done = true;
      });
      pred = () => done;
      result.catch(() => {});
    }
    if (!this.virtual) {
      if (typeof p === 'function') {
        const end = this.scheduler.now() + limit;
        while (!p()) {
          if (this.scheduler.now() > end) throw new Error(`Network.until: condition not met after ${limit} ms`);
          await new Promise((r) => setTimeout(r, 1));
        }
      }
      return result;
    }
    const end = this.scheduler.now() + limit;
    const outcome = await this.drive(pred, end, false);
    if (outcome !== 'done') {
      throw new Error(
        outcome === 'idle'
          ? `Network.until: the network is idle at t=${this.scheduler.now()} ms and the awaited result is still pending`
          : `Network.until: still pending after ${limit} ms of network time`,
      );
    }
    return result;
  }

  /** Run until nothing is scheduled (virtual time): every connection finished, TIME-WAIT included. */
  async settle(limit = 3_600_000): Promise<void> {
    if (!this.virtual) return;
    await this.drive(() => false, this.scheduler.now() + limit, false);
  }

  /** The virtual-time driver: one JS event-loop turn per distinct instant. `runToEnd` (run())
   *  leaves the clock at `end` even when the network falls idle earlier. */
  private async drive(stop: () => boolean, end: number, runToEnd: boolean): Promise<'done' | 'idle' | 'limit'> {
    const s = this.scheduler as VirtualScheduler;
    for (;;) {
      await nextMacrotask();
      if (stop()) return 'done';
      let d = s.nextDeadline();
      if (d === null || d > end) {
        // Give application code one more turn to schedule something before declaring idle.
        await nextMacrotask();
        if (stop()) return 'done';
        d = s.nextDeadline();
        if (d === null || d > end) {
          if (runToEnd || d !== null) {
            if (Number.isFinite(end)) s.runUntil(end);
            return 'limit';
          }
          return 'idle';
        }
      }
      s.runUntil(d);
    }
  }

  /** Detach every host and stop the clock's pending work (real time: clears the wall-clock
   *  timer). Sockets still open are left as they are; close them first for a clean end. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const name of this.stacks.keys()) this.lan.detach(name);
    const sch = this.scheduler as { close?: () => void };
    if (this.scheduler instanceof RealTimeScheduler && typeof sch.close === 'function') sch.close();
  }
}
