// rr: 1-byte ping-pong on one established connection (TCP_NODELAY), microseconds per round
// trip, for a fixed wall-clock window. crr: connect, 1-byte request, 1-byte reply, close,
// repeated one at a time for a fixed window. synack: two HostStacks on a SimLink (delay 0,
// virtual time driven synchronously; the figure is the CPU cost of the stacks' work).
// kernel: Node `net` on 127.0.0.1 in this process.
import type net from 'node:net';
import { once } from 'node:events';
import { synPair, listenOn, establish, drive, connectNb, tryAccept, type SynPair } from '../lib/synack.js';
import { kernelServer, kernelConnect } from '../lib/kernel.js';
import { nowMs, cpuSince } from '../lib/util.js';

const ONE = new Uint8Array([0x2a]);

export interface RrRun {
  roundTrips: number;
  seconds: number;
  us: number;
  /** CPU microseconds per round trip (user + system of this process). */
  cpuUs: number;
}

export function synackRr(windowMs: number): RrRun {
  const p = synPair({ mtu: 1500, checksumOffload: true, delay: 0, tcp: { nagle: false } });
  const lfd = listenOn(p.b, p.bAddr, 5002);
  const [c, s] = establish(p, lfd, 5002);
  let n = 0;
  let got = false;
  p.b.sockets.watch(s, (ev) => {
    if (ev === 'readable' && p.b.sockets.inq(s) > 0) {
      p.b.sockets.read(s, 64);
      p.b.sockets.write(s, ONE);
    }
  });
  p.a.sockets.watch(c, (ev) => {
    if (ev === 'readable' && p.a.sockets.inq(c) > 0) {
      p.a.sockets.read(c, 64);
      got = true;
    }
  });
  const c0 = process.cpuUsage();
  const t0 = nowMs();
  const end = t0 + windowMs;
  // Check the wall clock every 256 round trips.
  for (;;) {
    got = false;
    p.a.sockets.write(c, ONE);
    drive(p.sched, () => got, 'rr');
    n++;
    if ((n & 255) === 0 && nowMs() >= end) break;
  }
  const seconds = (nowMs() - t0) / 1000;
  p.a.sockets.close(c);
  p.b.sockets.close(s);
  return { roundTrips: n, seconds, us: (seconds * 1e6) / n, cpuUs: (cpuSince(c0) * 1e6) / n };
}

export async function kernelRr(windowMs: number): Promise<RrRun> {
  const srv = await kernelServer((s: net.Socket) => {
    s.on('data', () => s.write(ONE));
    s.on('error', () => {});
  });
  const c = await kernelConnect(srv.port);
  let n = 0;
  const c0 = process.cpuUsage();
  const t0 = nowMs();
  const end = t0 + windowMs;
  await new Promise<void>((resolve) => {
    c.on('data', () => {
      n++;
      if ((n & 255) === 0 && nowMs() >= end) resolve();
      else c.write(ONE);
    });
    c.write(ONE);
  });
  const seconds = (nowMs() - t0) / 1000;
  c.destroy();
  await srv.close();
  return { roundTrips: n, seconds, us: (seconds * 1e6) / n, cpuUs: (cpuSince(c0) * 1e6) / n };
}

export interface CrrRun {
  transactions: number;
  seconds: number;
  perSecond: number;
  /** Transactions per CPU second of this process. */
  perCpuSecond: number;
  /** synack: connections left on each host after the run (TIME-WAIT included). */
  leftover?: number;
  error?: string;
}

/** Server side of crr: accept on the listener's notification (no EAGAIN exception per
 *  scheduler step), read the request, reply, close. */
function crrServer(p: SynPair, lfd: number): void {
  p.b.sockets.watch(lfd, (ev) => {
    if (ev !== 'accept') return;
    for (let fd = tryAccept(p.b, lfd); fd >= 0; fd = tryAccept(p.b, lfd)) {
      const s = fd;
      const unwatch = p.b.sockets.watch(s, (e) => {
        if (e === 'readable' && p.b.sockets.inq(s) > 0) {
          p.b.sockets.read(s, 64);
          p.b.sockets.write(s, ONE);
          unwatch();
          p.b.sockets.close(s);
        }
      });
    }
  });
}

/** One connect/request/reply/close; returns when the client has the reply and has closed. */
function synackTransaction(p: SynPair, port: number): void {
  const c = p.a.sockets.socket(4);
  p.a.sockets.setsockopt(c, 'TCP_NODELAY', true);
  connectNb(p.a, c, p.bAddr, port);
  let state = 0; // 0 connecting, 1 request sent, 2 reply read
  const unwatch = p.a.sockets.watch(c, (ev) => {
    if (ev === 'connect' && state === 0) {
      p.a.sockets.write(c, ONE);
      state = 1;
    } else if (ev === 'readable' && state === 1 && p.a.sockets.inq(c) > 0) {
      p.a.sockets.read(c, 64);
      state = 2;
    }
  });
  drive(p.sched, () => state === 2, 'crr');
  unwatch();
  p.a.sockets.close(c);
}

export function synackCrr(windowMs: number): CrrRun {
  // A wide ephemeral range: TIME-WAIT lasts 2*MSL of virtual time, which moves only with the
  // stacks' own timers here, so many ports are held at once.
  const p = synPair({ mtu: 1500, checksumOffload: true, delay: 0, limits: { ephemeralMin: 1024, ephemeralMax: 65535 } });
  const port = 5003;
  const lfd = listenOn(p.b, p.bAddr, port);
  crrServer(p, lfd);
  let n = 0;
  let error: string | undefined;
  const c0 = process.cpuUsage();
  const t0 = nowMs();
  const end = t0 + windowMs;
  try {
    for (;;) {
      synackTransaction(p, port);
      n++;
      if ((n & 63) === 0 && nowMs() >= end) break;
    }
  } catch (e) {
    error = (e as Error).message;
  }
  const seconds = (nowMs() - t0) / 1000;
  const leftover = p.a.connections().length + p.b.connections().length;
  if (process.env.BENCH_DEBUG) {
    const states = (h: typeof p.a): Record<string, number> => {
      const m: Record<string, number> = {};
      for (const r of h.connectionTable()) m[r.state] = (m[r.state] ?? 0) + 1;
      return m;
    };
    console.error('crr leftovers: client', states(p.a), 'server', states(p.b), 'virtual ms', p.sched.now(), 'arrayBuffers', process.memoryUsage().arrayBuffers);
  }
  return { transactions: n, seconds, perSecond: n / seconds, perCpuSecond: n / cpuSince(c0), leftover, error };
}

export async function kernelCrr(windowMs: number): Promise<CrrRun> {
  const srv = await kernelServer((s: net.Socket) => {
    s.once('data', () => s.end(ONE));
    s.on('error', () => {});
  });
  let n = 0;
  let error: string | undefined;
  const c0 = process.cpuUsage();
  const t0 = nowMs();
  const end = t0 + windowMs;
  try {
    for (;;) {
      const c = await kernelConnect(srv.port);
      c.write(ONE);
      await once(c, 'data');
      c.destroy();
      n++;
      if (nowMs() >= end) break;
    }
  } catch (e) {
    error = (e as Error).message;
  }
  const seconds = (nowMs() - t0) / 1000;
  await srv.close();
  return { transactions: n, seconds, perSecond: n / seconds, perCpuSecond: n / cpuSince(c0), error };
}
