// Two synack HostStacks on a SimLink in virtual time, driven synchronously as fast as the CPU
// allows: every figure taken from here is wall-clock time of real work (the virtual clock only
// orders events; with delay 0 it moves only for the stack's own timers, e.g. delayed ACKs).
import { VirtualScheduler } from '../../src/sim/scheduler.js';
import { SimLink, type Impairments } from '../../src/link/sim-link.js';
import { HostStack, type HostLimits } from '../../src/stack/host.js';
import { SocketError } from '../../src/stack/types.js';
import type { ConnectionConfig } from '../../src/tcp/types.js';

export interface SynPair {
  sched: VirtualScheduler;
  link: SimLink;
  a: HostStack;
  b: HostStack;
  aAddr: string;
  bAddr: string;
}

export interface SynPairOptions extends Impairments {
  mtu?: number;
  checksumOffload?: boolean;
  seed?: number;
  tcp?: Partial<ConnectionConfig>;
  limits?: Partial<HostLimits>;
}

export function synPair(o: SynPairOptions = {}): SynPair {
  const sched = new VirtualScheduler();
  const { mtu, checksumOffload, seed, tcp, limits, ...imp } = o;
  const link = new SimLink({ scheduler: sched, seed: seed ?? 7, mtu: mtu ?? 1500, checksumOffload: checksumOffload ?? true, ...imp });
  const a = new HostStack({ name: 'a', scheduler: sched, rng: 1, tcp, limits });
  const b = new HostStack({ name: 'b', scheduler: sched, rng: 2, tcp, limits });
  a.addInterface({ name: 'eth0', port: link.a, addresses: ['10.0.0.1/24'] });
  b.addInterface({ name: 'eth0', port: link.b, addresses: ['10.0.0.2/24'] });
  return { sched, link, a, b, aAddr: '10.0.0.1', bAddr: '10.0.0.2' };
}

/** Run the scheduler until `done()`; throws when the network falls idle first or after
 *  `maxVirtualMs` of virtual time. */
export function drive(sched: VirtualScheduler, done: () => boolean, what: string, maxVirtualMs = 3_600_000): void {
  const end = sched.now() + maxVirtualMs;
  while (!done()) {
    if (!sched.step()) throw new Error(`bench: ${what}: network idle at t=${sched.now()} ms before completion`);
    if (sched.now() > end) throw new Error(`bench: ${what}: not done after ${maxVirtualMs} ms of virtual time`);
  }
}

export function isErrno(e: unknown, code: string): boolean {
  return e instanceof SocketError && e.code === code;
}

/** connect() on a non-blocking socket: EINPROGRESS is the expected answer. */
export function connectNb(h: HostStack, fd: number, addr: string, port: number): void {
  try {
    h.sockets.connect(fd, { addr, port });
  } catch (e) {
    if (!isErrno(e, 'EINPROGRESS')) throw e;
  }
}

export function listenOn(h: HostStack, addr: string, port: number, backlog = 4096): number {
  const fd = h.sockets.socket(4);
  h.sockets.setsockopt(fd, 'SO_REUSEADDR', true);
  h.sockets.bind(fd, { addr, port });
  h.sockets.listen(fd, backlog);
  return fd;
}

/** accept(), or -1 when nothing is waiting. */
export function tryAccept(h: HostStack, lfd: number): number {
  try {
    return h.sockets.accept(lfd).fd;
  } catch (e) {
    if (isErrno(e, 'EAGAIN')) return -1;
    throw e;
  }
}

/** One established connection a -> b:port; returns [clientFd, serverFd]. */
export function establish(p: SynPair, lfd: number, port: number): [number, number] {
  const c = p.a.sockets.socket(4);
  connectNb(p.a, c, p.bAddr, port);
  let s = -1;
  drive(p.sched, () => {
    if (s < 0) s = tryAccept(p.b, lfd);
    return s >= 0 && p.a.sockets.poll(c).writable;
  }, 'establish');
  return [c, s];
}

/** Writes `total` bytes (0x5a) to `fd` as fast as the socket takes them. Returns the pump, which
 *  also runs on every 'writable': call it once to start. */
export function writer(h: HostStack, fd: number, total: number): () => void {
  const chunk = new Uint8Array(64 * 1024).fill(0x5a);
  let sent = 0;
  const pump = (): void => {
    while (sent < total) {
      const len = Math.min(chunk.length, total - sent);
      let n: number;
      try {
        n = h.sockets.write(fd, len === chunk.length ? chunk : chunk.subarray(0, len));
      } catch (e) {
        if (isErrno(e, 'EAGAIN')) return;
        throw e;
      }
      sent += n;
      if (n < len) return; // full: wait for 'writable'
    }
  };
  h.sockets.watch(fd, (ev) => {
    if (ev === 'writable') pump();
  });
  return pump;
}

/** Bytes waiting to be read, without an EAGAIN exception. */
export function readAll(h: HostStack, fd: number, max = 1 << 20): number {
  let n = 0;
  while (h.sockets.inq(fd) > 0) n += h.sockets.read(fd, max).length;
  return n;
}
