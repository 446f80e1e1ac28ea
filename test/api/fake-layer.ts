// An in-memory SocketLayer + SocketWatch (no TCP): byte pipes with bounded buffers, delivered on
// a VirtualScheduler. It lets the API layer be tested apart from the real host stack, with
// exact control over buffer sizes. Notifications are posted on the scheduler (never re-entrant).
import {
  SocketError, type PollResult, type SockAddr, type SocketEventName, type SocketLayer, type SocketWatch,
} from '../../src/stack/types.js';
import { VirtualScheduler } from '../../src/sim/scheduler.js';
import { LoopHold, type ApiHost } from '../../src/api/host.js';
import { ERRNO } from '../../src/api/errors.js';

interface FakeSock {
  fd: number;
  family: 4 | 6;
  local: SockAddr | null;
  remote: SockAddr | null;
  listening: boolean;
  backlog: { fd: number; remote: SockAddr }[];
  peer: FakeSock | null;
  rcv: Uint8Array[];
  rcvBytes: number;
  inflight: number;
  eof: boolean; // peer's FIN reached (after rcv drained)
  wrShut: boolean;
  connected: boolean;
  error: number;
  closedFd: boolean;
  writerBlocked: boolean;
  watchers: Set<(ev: SocketEventName) => void>;
}

export class FakeLayer implements SocketLayer, SocketWatch {
  private socks = new Map<number, FakeSock>();
  private nextFd = 3;
  private nextPort = 40000;
  constructor(
    readonly scheduler: VirtualScheduler,
    readonly addrs: string[] = ['127.0.0.1', '::1'],
    readonly bufSize = 64 * 1024,
    readonly delay = 1,
  ) {}

  private get(fd: number): FakeSock {
    const s = this.socks.get(fd);
    if (!s || s.closedFd) throw new SocketError('EBADF');
    return s;
  }
  private notify(s: FakeSock, ev: SocketEventName): void {
    this.scheduler.at(this.scheduler.now(), () => {
      for (const w of [...s.watchers]) w(ev);
    });
  }
  get openCount(): number {
    return [...this.socks.values()].filter((s) => !s.closedFd).length;
  }

  socket(family: 4 | 6): number {
    const fd = this.nextFd++;
    this.socks.set(fd, {
      fd, family, local: null, remote: null, listening: false, backlog: [], peer: null, rcv: [], rcvBytes: 0, inflight: 0,
      eof: false, wrShut: false, connected: false, error: 0, closedFd: false, writerBlocked: false, watchers: new Set(),
    });
    return fd;
  }
  private inUse(addr: string, port: number): boolean {
    for (const s of this.socks.values()) {
      if (!s.closedFd && s.local && s.local.port === port && (s.listening || !s.connected) && (s.local.addr === addr)) return true;
    }
    return false;
  }
  bind(fd: number, addr: SockAddr): void {
    const s = this.get(fd);
    if (s.local) throw new SocketError('EINVAL');
    const wild = addr.addr === '0.0.0.0' || addr.addr === '::';
    if (!wild && !this.addrs.includes(addr.addr)) throw new SocketError('EADDRNOTAVAIL');
    const port = addr.port || this.nextPort++;
    if (this.inUse(addr.addr, port)) throw new SocketError('EADDRINUSE');
    s.local = { addr: addr.addr, port };
  }
  listen(fd: number, _backlog: number): void {
    const s = this.get(fd);
    if (!s.local) this.bind(fd, { addr: s.family === 4 ? '0.0.0.0' : '::', port: 0 });
    s.listening = true;
  }
  accept(fd: number): { fd: number; remote: SockAddr } {
    const s = this.get(fd);
    const c = s.backlog.shift();
    if (!c) throw new SocketError('EAGAIN');
    return c;
  }
  private findListener(addr: SockAddr, family: 4 | 6): FakeSock | undefined {
    for (const s of this.socks.values()) {
      if (s.closedFd || !s.listening || !s.local || s.family !== family || s.local.port !== addr.port) continue;
      if (s.local.addr === addr.addr || s.local.addr === '0.0.0.0' || s.local.addr === '::') return s;
    }
    return undefined;
  }
  connect(fd: number, addr: SockAddr): void {
    const s = this.get(fd);
    if (s.connected) throw new SocketError('EISCONN');
    const src = s.family === 4 ? '127.0.0.1' : '::1';
    if (!s.local || s.local.port === 0) s.local = { addr: src, port: this.nextPort++ };
    else if (s.local.addr === '0.0.0.0' || s.local.addr === '::') s.local = { addr: src, port: s.local.port };
    s.remote = { ...addr };
    this.scheduler.at(this.scheduler.now() + this.delay, () => {
      if (s.closedFd) return;
      const l = this.findListener(addr, s.family);
      if (!l) {
        s.error = ERRNO.ECONNREFUSED;
        for (const w of [...s.watchers]) w('error');
        return;
      }
      const sfd = this.socket(s.family);
      const srv = this.get(sfd);
      srv.local = { ...addr };
      srv.remote = { ...s.local! };
      srv.connected = s.connected = true;
      srv.peer = s;
      s.peer = srv;
      l.backlog.push({ fd: sfd, remote: { ...s.local! } });
      for (const w of [...l.watchers]) w('accept');
      for (const w of [...s.watchers]) w('connect');
    });
    throw new SocketError('EINPROGRESS');
  }
  read(fd: number, n: number): Uint8Array {
    const s = this.get(fd);
    if (s.error) throw new SocketError('ECONNRESET');
    if (s.rcvBytes === 0) {
      if (s.eof) return new Uint8Array(0);
      throw new SocketError('EAGAIN');
    }
    const out = new Uint8Array(Math.min(n, s.rcvBytes));
    let o = 0;
    while (o < out.length) {
      const c = s.rcv[0];
      const take = Math.min(c.length, out.length - o);
      out.set(c.subarray(0, take), o);
      o += take;
      if (take === c.length) s.rcv.shift();
      else s.rcv[0] = c.subarray(take);
    }
    s.rcvBytes -= out.length;
    const p = s.peer;
    if (p && p.writerBlocked) {
      p.writerBlocked = false;
      this.notify(p, 'writable');
    }
    return out;
  }
  write(fd: number, data: Uint8Array): number {
    const s = this.get(fd);
    if (s.error) throw new SocketError('ECONNRESET');
    if (!s.connected) throw new SocketError('ENOTCONN');
    if (s.wrShut) throw new SocketError('EPIPE');
    const p = s.peer;
    if (!p || p.closedFd) throw new SocketError('EPIPE');
    const room = this.bufSize - p.rcvBytes - p.inflight;
    if (room <= 0) {
      s.writerBlocked = true;
      throw new SocketError('EAGAIN');
    }
    const n = Math.min(room, data.length);
    const copy = data.slice(0, n);
    this.scheduler.at(this.scheduler.now() + this.delay, () => {
      p.inflight -= n;
      if (p.closedFd) return;
      p.rcv.push(copy);
      p.rcvBytes += n;
      for (const w of [...p.watchers]) w('readable');
    });
    p.inflight += n; // reserve room now (the "window")
    if (n < data.length) s.writerBlocked = true;
    return n;
  }
  shutdown(fd: number, how: 'rd' | 'wr' | 'rdwr'): void {
    const s = this.get(fd);
    if (!s.connected) throw new SocketError('ENOTCONN');
    if (how === 'rd') return;
    if (s.wrShut) return;
    s.wrShut = true;
    const p = s.peer;
    if (p) {
      this.scheduler.at(this.scheduler.now() + this.delay, () => {
        p.eof = true;
        for (const w of [...p.watchers]) w('eof');
      });
    }
  }
  close(fd: number): void {
    const s = this.get(fd);
    s.closedFd = true;
    s.watchers.clear();
    const p = s.peer;
    if (!p) return;
    if (s.rcvBytes > 0) {
      this.scheduler.at(this.scheduler.now() + this.delay, () => {
        p.error = ERRNO.ECONNRESET;
        for (const w of [...p.watchers]) w('error');
      });
    } else if (!s.wrShut) this.shutdown(fd, 'wr');
  }
  setsockopt(fd: number): void {
    this.get(fd);
  }
  getsockopt(fd: number, opt: string): number {
    const s = this.get(fd);
    if (opt === 'SO_ERROR') {
      const e = s.error;
      return e;
    }
    return 0;
  }
  poll(fd: number): PollResult {
    const s = this.get(fd);
    return { readable: s.rcvBytes > 0 || s.eof, writable: true, error: !!s.error, hup: false };
  }
  localAddress(fd: number): SockAddr {
    const s = this.get(fd);
    if (!s.local) throw new SocketError('EINVAL');
    return { ...s.local };
  }
  remoteAddress(fd: number): SockAddr {
    const s = this.get(fd);
    if (!s.remote) throw new SocketError('ENOTCONN');
    return { ...s.remote };
  }
  inq(fd: number): number {
    return this.get(fd).rcvBytes;
  }
  watch(fd: number, cb: (ev: SocketEventName) => void): () => void {
    const s = this.get(fd);
    s.watchers.add(cb);
    return () => s.watchers.delete(cb);
  }
}

/** An ApiHost over a FakeLayer, with a virtual clock driven by `run`. */
export function fakeHost(opts: { bufSize?: number; delay?: number } = {}) {
  const scheduler = new VirtualScheduler();
  const sockets = new FakeLayer(scheduler, ['127.0.0.1', '::1'], opts.bufSize, opts.delay);
  const host: ApiHost = {
    sockets,
    scheduler,
    loop: new LoopHold(false),
    lookup: (name, family) => {
      if (name !== 'localhost') return [];
      return family === 6 ? ['::1'] : family === 4 ? ['127.0.0.1'] : ['127.0.0.1', '::1'];
    },
  };
  /** Advance virtual time, letting Node's ticks and microtasks run between instants. */
  async function until<T>(p: Promise<T>, limitMs = 600_000): Promise<T> {
    let done = false;
    const wrapped = p.finally(() => {
      done = true;
    });
    const end = scheduler.now() + limitMs;
    while (!done) {
      await new Promise((r) => setImmediate(r));
      if (done) break;
      const d = scheduler.nextDeadline();
      if (d === null || d > end) {
        await new Promise((r) => setImmediate(r));
        if (done) break;
        if (scheduler.nextDeadline() === null || scheduler.nextDeadline()! > end) throw new Error('until: idle before the promise settled');
        continue;
      }
      scheduler.runUntil(d);
    }
    return wrapped;
  }
  return { host, sockets, scheduler, until };
}
