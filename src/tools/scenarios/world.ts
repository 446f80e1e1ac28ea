// The scenarios' little world: two hosts, `client` (10.0.0.1) and `server` (10.0.0.2), on one
// SimLink in virtual time, a TraceRecorder that sees everything (segments, states, timers, drops,
// link losses), a pcapng capture taken on the client's interface, and targeted link filters
// ("drop the final ACK once"). Small event-driven socket wrappers (AppSocket, AppListener) sit on
// the host's BSD-like socket layer. Browser-safe: no node: imports.
import { VirtualScheduler } from '../../sim/scheduler.js';
import { SimLink } from '../../link/sim-link.js';
import { LinkCapture } from './capture.js';
import type { LinkPort } from '../../link/types.js';
import { HostStack } from '../../stack/host.js';
import { SocketError, type Errno, type SocketEventName } from '../../stack/types.js';
import { errnoName } from '../../stack/errno.js';
import { TraceRecorder, type TraceEvent, type SegmentTrace } from '../../trace/trace.js';
import { describePacket, type PacketDescription } from '../../wire/packet.js';
import type { ConnectionConfig, TcpState } from '../../tcp/types.js';

export type HostName = 'client' | 'server';
export const CLIENT_ADDR = '10.0.0.1';
export const SERVER_ADDR = '10.0.0.2';

export interface WorldOptions {
  seed: number;
  /** Random loss probability on the link, both directions. */
  loss: number;
  /** One-way delay, ms. */
  delay: number;
  tcp?: Partial<ConnectionConfig>;
  clientTcp?: Partial<ConnectionConfig>;
  serverTcp?: Partial<ConnectionConfig>;
}

/** A targeted link filter: drops the matching packets a host sends (up to `count` of them). */
interface Filter {
  host: HostName;
  match: (d: PacketDescription) => boolean;
  why: string;
  left: number;
}

export class World {
  readonly sched = new VirtualScheduler();
  readonly rec = new TraceRecorder();
  readonly pcap: LinkCapture;
  readonly link: SimLink;
  readonly client: HostStack;
  readonly server: HostStack;
  private readonly filters: Filter[] = [];

  constructor(readonly opts: WorldOptions) {
    const sink = this.rec.sink;
    this.pcap = new LinkCapture(this.sched, 'client eth0');
    this.link = new SimLink({
      scheduler: this.sched,
      seed: opts.seed,
      delay: opts.delay,
      loss: opts.loss,
      trace: sink,
      hostNames: { a: 'client', b: 'server' },
      describe: describePacket,
    });
    const mk = (name: HostName, tcp?: Partial<ConnectionConfig>) =>
      new HostStack({ name, scheduler: this.sched, rng: `${opts.seed}:${name}`, trace: sink, tcp: { ...(opts.tcp ?? {}), ...(tcp ?? {}) }, loopback: false });
    this.client = mk('client', opts.clientTcp);
    this.server = mk('server', opts.serverTcp);
    // Capture point: the client's interface, as `tcpdump -i eth0` on the client would see it
    // (packets the client sent, lost or not, and packets that reached it).
    const clientPort = this.pcap.tap(this.filtered('client', this.link.a));
    this.client.addInterface({ name: 'eth0', port: clientPort, addresses: [`${CLIENT_ADDR}/24`] });
    this.server.addInterface({ name: 'eth0', port: this.filtered('server', this.link.b), addresses: [`${SERVER_ADDR}/24`] });
  }

  host(name: HostName): HostStack {
    return name === 'client' ? this.client : this.server;
  }

  now(): number {
    return this.sched.now();
  }

  /** Run fn at virtual time t (ms). */
  at(t: number, fn: () => void): void {
    this.sched.at(t, fn);
  }

  after(ms: number, fn: () => void): void {
    this.sched.at(this.sched.now() + ms, fn);
  }

  /** Drop the next `count` packets `host` sends that match (a targeted link filter). */
  dropWhen(host: HostName, why: string, match: (d: PacketDescription) => boolean, count = 1): void {
    this.filters.push({ host, match, why, left: count });
  }

  note(host: HostName, text: string): void {
    this.rec.sink({ type: 'note', t: this.now(), host, text });
  }

  user(host: HostName, call: string, detail?: string, conn?: string): void {
    this.rec.sink({ type: 'user', t: this.now(), host, conn, call, detail });
  }

  /** Run until nothing is left to do (TIME-WAIT included), bounded by `maxEvents` and a virtual
   *  time limit. Returns false when a bound was hit. */
  runToEnd(maxEvents = 20_000_000, limitMs = 6 * 3600_000): boolean {
    const end = this.now() + limitMs;
    let n = 0;
    for (;;) {
      const d = this.sched.nextDeadline();
      if (d === null) return true;
      if (d > end || n >= maxEvents) return false;
      this.sched.step();
      n++;
    }
  }

  // ---- trace queries -----------------------------------------------------------------------

  /** The RFC states a host went through (the `to` of each state event), repeats collapsed. */
  states(host: HostName): TcpState[] {
    const out: TcpState[] = [];
    for (const e of this.rec.events) {
      if (e.type === 'state' && e.host === host && out[out.length - 1] !== e.to) out.push(e.to);
    }
    return out;
  }

  /** The host's state as its trace last said (CLOSED when it never said). */
  lastState(host: HostName): TcpState {
    for (let i = this.rec.events.length - 1; i >= 0; i--) {
      const e = this.rec.events[i];
      if (e.type === 'state' && e.host === host) return e.to;
    }
    return 'CLOSED';
  }

  /** Segments a host sent (trace 'out' events), in order. */
  sent(host: HostName): SegmentTrace[] {
    return this.rec.events.filter((e): e is SegmentTrace => e.type === 'segment' && e.host === host && e.dir === 'out');
  }

  /** Where the host really is: the state of its connections and listeners ('CLOSED' when none). */
  finalState(host: HostName): TcpState {
    const h = this.host(host);
    const conns = h.connections().filter((e) => !e.removed && e.state !== 'CLOSED');
    if (conns.length) return conns[0].state;
    if (h.counters().listeners > 0) return 'LISTEN';
    return 'CLOSED';
  }

  events(): TraceEvent[] {
    return this.rec.events;
  }

  // ---- the link filter ---------------------------------------------------------------------

  private filtered(host: HostName, inner: LinkPort): LinkPort {
    const w = this;
    return {
      send(packet: Uint8Array) {
        if (w.filters.length && w.filterDrops(host, packet)) return;
        inner.send(packet);
      },
      get onReceive() {
        return inner.onReceive;
      },
      set onReceive(fn) {
        inner.onReceive = fn;
      },
      get mtu() {
        return inner.mtu;
      },
      get checksumOffload() {
        return inner.checksumOffload;
      },
    };
  }

  private filterDrops(host: HostName, packet: Uint8Array): boolean {
    const d = describePacket(packet);
    if (!d) return false;
    for (const f of this.filters) {
      if (f.host !== host || f.left <= 0 || !f.match(d)) continue;
      f.left--;
      const t = this.now();
      const src = `${d.src}:${d.srcPort}`;
      const dst = `${d.dst}:${d.dstPort}`;
      const summary = `${d.flags} ${d.seq}:${(d.seq + d.len) >>> 0}(${d.len}) ack ${d.ack} [${f.why}]`;
      this.rec.sink({ type: 'link', t, host, action: 'lost', summary, flags: d.flags, seq: d.seq, ack: d.ack, len: d.len, src, dst });
      this.rec.sink({ type: 'drop', t, host, layer: 'link', reason: `filter: ${f.why}` });
      return true;
    }
    return false;
  }
}

// ---- applications on the socket layer ------------------------------------------------------

/** One connected (or connecting) socket driven by notifications, with a write queue. */
export class AppSocket {
  connected = false;
  /** Bytes read so far. */
  received = 0;
  eof = false;
  /** The errno the connection failed with, if it did. */
  error: Errno | null = null;
  closed = false;
  /** Reads are paused (the application is not reading: the window closes). */
  paused = false;
  /** Keep what was read (small scenarios); bulk hashes it in onData instead. */
  keep = true;
  readonly chunks: Uint8Array[] = [];
  onConnect: (() => void) | null = null;
  onData: ((d: Uint8Array) => void) | null = null;
  onEof: (() => void) | null = null;
  onError: ((code: Errno) => void) | null = null;
  onClosed: (() => void) | null = null;
  /** Called when everything queued with write() has been handed to the stack. */
  onDrained: (() => void) | null = null;
  private out: Uint8Array[] = [];
  private outOff = 0;
  private endQueued = false;
  private closeQueued = false;
  private fdOpen = true;
  private unwatch: () => void;

  constructor(
    readonly w: World,
    readonly hostName: HostName,
    readonly fd: number,
  ) {
    this.unwatch = this.host.sockets.watch(fd, (ev) => this.handle(ev));
  }

  get host(): HostStack {
    return this.w.host(this.hostName);
  }

  private connId: string | undefined;

  /** Trace id of the connection, like the host's ("10.0.0.1:40000>10.0.0.2:80"). */
  get conn(): string | undefined {
    if (this.connId !== undefined || !this.fdOpen) return this.connId;
    try {
      const l = this.host.sockets.localAddress(this.fd);
      const r = this.host.sockets.remoteAddress(this.fd);
      this.connId = `${l.addr}:${l.port}>${r.addr}:${r.port}`;
    } catch {
      return undefined;
    }
    return this.connId;
  }

  /** Everything read, concatenated. */
  data(): Uint8Array {
    return concat(this.chunks);
  }

  text(): string {
    return new TextDecoder().decode(this.data());
  }

  /** Queue data; it goes to the stack as the send buffer allows. */
  write(data: Uint8Array | string): void {
    const b = typeof data === 'string' ? new TextEncoder().encode(data) : data;
    if (b.length === 0) return;
    this.out.push(b);
    this.pump();
  }

  /** Half-close after the queued data: shutdown(SHUT_WR), i.e. RFC 9293 CLOSE of our side. */
  end(): void {
    this.endQueued = true;
    this.pump();
  }

  /** close(fd) after the queued data has been handed to the stack. */
  close(): void {
    this.closeQueued = true;
    this.pump();
  }

  /** Abort: SO_LINGER {on, 0} + close(fd) sends RST (RFC 9293 3.10.5 ABORT). */
  abort(): void {
    if (!this.fdOpen) return;
    this.w.user(this.hostName, 'abort', 'SO_LINGER 0 + close()', this.conn);
    this.host.sockets.setsockopt(this.fd, 'SO_LINGER', { onoff: true, linger: 0 });
    this.closeFd();
  }

  pause(): void {
    if (!this.paused) this.w.user(this.hostName, 'receive', 'application stops reading', this.conn);
    this.paused = true;
  }

  resume(): void {
    if (this.paused) this.w.user(this.hostName, 'receive', 'application reads again', this.conn);
    this.paused = false;
    this.readAll();
  }

  get pendingWrite(): number {
    let n = -this.outOff;
    for (const b of this.out) n += b.length;
    return n;
  }

  private handle(ev: SocketEventName): void {
    switch (ev) {
      case 'connect':
        this.connected = true;
        this.onConnect?.();
        this.pump();
        break;
      case 'readable':
      case 'eof':
        this.readAll();
        break;
      case 'writable':
        this.pump();
        break;
      case 'error':
        this.takeError();
        break;
      case 'closed':
        this.takeError();
        this.readAll();
        if (!this.closed) {
          this.closed = true;
          this.onClosed?.();
        }
        break;
      default:
        break;
    }
  }

  private takeError(): void {
    if (!this.fdOpen) return;
    const n = this.host.sockets.getsockopt(this.fd, 'SO_ERROR');
    if (n !== 0 && !this.error) {
      this.error = errnoName(n) ?? 'EINVAL';
      this.onError?.(this.error);
    }
  }

  /** Read everything buffered (unless paused), then notice EOF once. */
  readAll(): void {
    if (this.paused || !this.fdOpen) return;
    const s = this.host.sockets;
    for (;;) {
      // Only read when poll says so: an EAGAIN is an exception, and a bulk run would throw
      // thousands of them.
      if (!s.poll(this.fd).readable) return;
      let d: Uint8Array;
      try {
        d = s.read(this.fd, 1 << 20);
      } catch (e) {
        if (e instanceof SocketError) {
          if (e.code !== 'EAGAIN' && e.code !== 'ENOTCONN' && !this.error) {
            this.error = e.code;
            this.onError?.(e.code);
          }
          return;
        }
        throw e;
      }
      if (d.length === 0) {
        if (!this.eof) {
          this.eof = true;
          this.onEof?.();
        }
        return;
      }
      this.received += d.length;
      if (this.keep) this.chunks.push(d);
      this.w.rec.sink({ type: 'data', t: this.w.now(), host: this.hostName, conn: this.conn, dir: 'read', bytes: d.length });
      this.onData?.(d);
      if (this.paused || !this.fdOpen) return;
    }
  }

  /** Hand queued data to the stack; then the queued shutdown/close. */
  pump(): void {
    if (!this.fdOpen) return;
    const s = this.host.sockets;
    const st = s.state(this.fd);
    if (st === 'SYN-SENT' || st === 'SYN-RECEIVED') return; // 'connect' will pump
    while (this.out.length) {
      const b = this.out[0];
      const p = s.poll(this.fd);
      if (!p.writable && !p.error) return; // send buffer full: 'writable' follows
      let n: number;
      try {
        n = s.write(this.fd, this.outOff ? b.subarray(this.outOff) : b);
      } catch (e) {
        if (e instanceof SocketError) {
          if (e.code === 'EAGAIN') return; // 'writable' follows
          if (!this.error) {
            this.error = e.code;
            this.onError?.(e.code);
          }
          this.out = [];
          this.outOff = 0;
          break;
        }
        throw e;
      }
      this.w.rec.sink({ type: 'data', t: this.w.now(), host: this.hostName, conn: this.conn, dir: 'write', bytes: n });
      this.outOff += n;
      if (this.outOff >= b.length) {
        this.out.shift();
        this.outOff = 0;
      }
    }
    if (this.out.length === 0) {
      const cb = this.onDrained;
      this.onDrained = null;
      cb?.();
    }
    if (!this.fdOpen) return;
    if (this.endQueued) {
      this.endQueued = false;
      this.w.user(this.hostName, 'shutdown', 'SHUT_WR (half-close)', this.conn);
      try {
        s.shutdown(this.fd, 'wr');
      } catch (e) {
        if (!(e instanceof SocketError)) throw e;
      }
    }
    if (this.closeQueued) {
      this.closeQueued = false;
      this.w.user(this.hostName, 'close', undefined, this.conn);
      this.closeFd();
    }
  }

  private closeFd(): void {
    if (!this.fdOpen) return;
    this.fdOpen = false;
    this.unwatch();
    this.host.sockets.close(this.fd);
  }

  get isOpen(): boolean {
    return this.fdOpen;
  }
}

/** A listening socket that accepts every connection and hands it to `onAccept`. */
export class AppListener {
  readonly accepted: AppSocket[] = [];
  onAccept: ((s: AppSocket) => void) | null = null;
  private open = true;
  readonly id: string;

  constructor(
    readonly w: World,
    readonly hostName: HostName,
    readonly fd: number,
    readonly addr: string,
    readonly port: number,
  ) {
    this.id = `${addr}:${port}>*`;
    w.host(hostName).sockets.watch(fd, (ev) => {
      if (ev === 'accept') this.acceptAll();
    });
  }

  private acceptAll(): void {
    const s = this.w.host(this.hostName).sockets;
    while (this.open) {
      let r;
      try {
        r = s.accept(this.fd);
      } catch (e) {
        if (e instanceof SocketError && e.code === 'EAGAIN') return;
        throw e;
      }
      const a = new AppSocket(this.w, this.hostName, r.fd);
      a.connected = true;
      this.w.user(this.hostName, 'accept', `from ${r.remote.addr}:${r.remote.port}`, a.conn);
      this.accepted.push(a);
      this.onAccept?.(a);
      // It may already hold data, EOF or an error.
      a.readAll();
      a.pump();
    }
  }

  get isOpen(): boolean {
    return this.open;
  }

  /** close() the listening socket. The host keeps no TCB for a listener, so the scenario traces
   *  LISTEN -> CLOSED itself, and only when the host's last traced state is LISTEN (a one-state
   *  view such as the ladder or the lab page must not jump back from a live connection). */
  close(): void {
    if (!this.open) return;
    this.open = false;
    this.w.user(this.hostName, 'close', 'listening socket', this.id);
    this.w.host(this.hostName).sockets.close(this.fd);
    if (this.w.lastState(this.hostName) === 'LISTEN') {
      this.w.rec.sink({ type: 'state', t: this.w.now(), host: this.hostName, conn: this.id, from: 'LISTEN', to: 'CLOSED', cause: 'user CLOSE (listener)' });
    }
  }
}

/** socket(); bind(addr:port); listen(backlog). Traces the listener's CLOSED -> LISTEN (the host
 *  keeps no TCB for a listener; it forks one per SYN). */
export function listen(w: World, hostName: HostName, port: number, opts: { rcvBuf?: number } = {}): AppListener {
  const h = w.host(hostName);
  const s = h.sockets;
  const fd = s.socket(4);
  const addr = hostName === 'client' ? CLIENT_ADDR : SERVER_ADDR;
  if (opts.rcvBuf !== undefined) s.setsockopt(fd, 'SO_RCVBUF', opts.rcvBuf);
  s.bind(fd, { addr, port });
  s.listen(fd, 16);
  const l = new AppListener(w, hostName, fd, addr, port);
  w.user(hostName, 'listen', `${addr}:${port}`, l.id);
  w.rec.sink({ type: 'state', t: w.now(), host: hostName, conn: l.id, from: 'CLOSED', to: 'LISTEN', cause: 'passive OPEN (listen)' });
  return l;
}

/** socket(); [bind(localPort)]; connect(addr:port), non-blocking. */
export function connect(w: World, hostName: HostName, addr: string, port: number, opts: { localPort?: number } = {}): AppSocket {
  const h = w.host(hostName);
  const s = h.sockets;
  const fd = s.socket(4);
  if (opts.localPort !== undefined) s.bind(fd, { addr: hostName === 'client' ? CLIENT_ADDR : SERVER_ADDR, port: opts.localPort });
  const a = new AppSocket(w, hostName, fd);
  w.user(hostName, 'connect', `${addr}:${port}`);
  try {
    s.connect(fd, { addr, port });
  } catch (e) {
    if (!(e instanceof SocketError) || e.code !== 'EINPROGRESS') throw e;
  }
  return a;
}

export function concat(parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
