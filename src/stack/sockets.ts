// The BSD-like socket layer (SocketLayer in types.ts) over the host stack: synchronous and
// non-blocking, errors as errnos, plus per-fd notifications (SocketWatch) for event-driven
// layers above. Semantics follow Linux where POSIX leaves room (noted per call).
import type { ConnEvent, ConnectionConfig, ConnStatus, TcpConnection, TcpState } from '../tcp/types.js';
import { TcpError } from '../tcp/types.js';
import {
  SocketError,
  type Errno,
  type PollResult,
  type SockAddr,
  type SockOpt,
  type SocketEventName,
  type SocketLayer,
  type SocketWatch,
  type NonBlockingCalls,
} from './types.js';
import type { HostStack, ConnEntry, Listener } from './host.js';
import { Listener as ListenerClass, canonicalAddr } from './host.js';
import { isWildcard, type IpFields, type PortUser } from './ports.js';
import { errnoNumber } from './errno.js';

type Watcher = (ev: SocketEventName) => void;

const EMPTY = new Uint8Array(0);
/** tryWrite results that mean EAGAIN. */
const WOULD_BLOCK = -1;
const WOULD_BLOCK_HANDSHAKE = -2;

/** One file descriptor's socket. */
const LINGER_OFF: { readonly onoff: boolean; readonly linger: number } = Object.freeze({ onoff: false, linger: 0 });

/** Is `m` what `{ ...d, family }` gives now (same keys, same values)? */
function sameDefaults(m: ConnectionConfig, d: ConnectionConfig, family: 4 | 6): boolean {
  if (m.family !== family) return false;
  const mr = m as unknown as Record<string, unknown>;
  const dr = d as unknown as Record<string, unknown>;
  let nd = 0;
  for (const k in dr) {
    nd++;
    if (k !== 'family' && mr[k] !== dr[k]) return false;
  }
  let nm = 0;
  for (const k in mr) if (k !== 'family' || k in dr) nm++;
  return nm === nd;
}

/** Sock.cfg of a socket with no options set (shared, never written: setOpt makes its own). */
const NO_OPTIONS: Partial<ConnectionConfig> = {};

class Sock implements PortUser {
  local: SockAddr | null = null;
  remote: SockAddr | null = null;
  /** Registered in the port table as a bound/listening user (not yet owning a connection). */
  registered = false;
  /** bind() was called (as opposed to an autobind by connect). */
  explicitBind = false;
  listener: Listener | null = null;
  entry: ConnEntry | null = null;
  reuseAddr = false;
  reusePort = false;
  readonly ephemeral = false;
  /** Option overrides on top of the host's TCP defaults. */
  cfg: Partial<ConnectionConfig> = NO_OPTIONS;
  mssClamp: number | undefined = undefined;
  /** SO_LINGER: replaced, never mutated (the default is one shared frozen object). */
  linger: { readonly onoff: boolean; readonly linger: number } = LINGER_OFF;
  rcvLowat = 1;
  /** TCP_NOTSENT_LOWAT; 0 = the host default (limits.notsentLowat), as Linux. */
  notsentLowat = 0;
  pendingError: Errno | null = null;
  shutRd = false;
  shutWr = false;
  connecting = false;
  everConnected = false;
  /** Bytes taken out of the connection by a peek, served first by later reads. */
  stash: Uint8Array = EMPTY;
  /** Made on the first watch(): most sockets of a busy host are never watched. */
  watchers: Set<Watcher> | null = null;
  constructor(
    readonly fd: number,
    readonly family: 4 | 6,
  ) {}
  get addr(): string {
    return this.local?.addr ?? (this.family === 4 ? '0.0.0.0' : '::');
  }
  kind(): 'bound' | 'listen' {
    return this.listener ? 'listen' : 'bound';
  }
  ipFields(): IpFields {
    return { tos: this.cfg.tos, ttl: this.cfg.ttl };
  }
}

const CONNECTED_STATES: ReadonlySet<TcpState> = new Set(['ESTABLISHED', 'CLOSE-WAIT', 'FIN-WAIT-1', 'FIN-WAIT-2', 'CLOSING', 'LAST-ACK', 'TIME-WAIT']);

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.length === 0) return b;
  if (b.length === 0) return a;
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

/** Up to n bytes out of the connection (a plain function: no closure per read). */
function pull(c: TcpConnection, n: number, now: number): Uint8Array {
  if (n <= 0 || c.readableBytes === 0) return EMPTY;
  try {
    return c.receive(n, now) ?? EMPTY;
  } catch (err) {
    return toSocketError(err);
  }
}

function toSocketError(err: unknown): never {
  if (err instanceof TcpError) throw new SocketError(err.code, err.message);
  throw err;
}

/** Linux's lowest-free-fd rule in O(log n): fds below `next` that were closed wait in a
 *  binary min-heap; a new fd is the heap's smallest, else `next` (the high-water mark). */
class FdAllocator {
  private next = 3;
  private readonly free: number[] = [];
  alloc(): number {
    const h = this.free;
    if (h.length === 0) return this.next++;
    const top = h[0];
    const last = h.pop()!;
    if (h.length) {
      let i = 0;
      const n = h.length;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= n) break;
        const r = l + 1;
        const c = r < n && h[r] < h[l] ? r : l;
        if (h[c] >= last) break;
        h[i] = h[c];
        i = c;
      }
      h[i] = last;
    }
    return top;
  }
  release(fd: number): void {
    if (fd === this.next - 1) {
      // Shrink the high-water mark (and keep the heap below it) so it stays small.
      this.next--;
      return;
    }
    const h = this.free;
    let i = h.length;
    h.push(fd);
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (h[p] <= fd) break;
      h[i] = h[p];
      i = p;
    }
    h[i] = fd;
  }
}

export class Sockets implements SocketLayer, SocketWatch, NonBlockingCalls {
  private readonly fds = new Map<number, Sock>();
  private readonly fdAlloc = new FdAllocator();
  /** config() of a socket without options of its own, per family (4, 6). */
  private readonly plainConfig: Array<ConnectionConfig | undefined> = [undefined, undefined];

  constructor(private readonly host: HostStack) {}

  // ---- helpers ---------------------------------------------------------------------------

  private get(fd: number): Sock {
    const s = this.fds.get(fd);
    if (!s) throw new SocketError('EBADF', `bad file descriptor ${fd}`);
    return s;
  }

  private emit(s: Sock, ev: SocketEventName): void {
    if (s.watchers === null || s.watchers.size === 0) return;
    const ws = s.watchers;
    this.host.notify(() => {
      if (ws.size === 1) {
        ws.values().next().value!(ev);
        return;
      }
      // A callback may unsubscribe others: iterate a copy, skip the removed.
      for (const w of [...ws]) if (ws.has(w)) w(ev);
    });
  }

  private config(s: Sock): ConnectionConfig {
    for (const _ in s.cfg) return { ...this.host.tcpDefaults, ...s.cfg, family: s.family };
    // No options of its own (most sockets): one object per family, shared while the host's
    // defaults stay as they were (compared key by key: tcpDefaults may be changed in place).
    const d = this.host.tcpDefaults;
    const i = s.family === 4 ? 0 : 1;
    const m = this.plainConfig[i];
    if (m !== undefined && sameDefaults(m, d, s.family)) return m;
    return (this.plainConfig[i] = { ...d, family: s.family });
  }

  private takeError(s: Sock): void {
    if (s.pendingError) {
      const e = s.pendingError;
      s.pendingError = null;
      throw new SocketError(e);
    }
  }

  private live(s: Sock): ConnEntry | null {
    return s.entry && !s.entry.removed ? s.entry : null;
  }

  private canonical(s: Sock, addr: SockAddr): { text: string; family: 4 | 6 } {
    if (!addr || typeof addr.addr !== 'string') throw new SocketError('EINVAL', 'bad address');
    const c = canonicalAddr(addr.addr);
    if (!c) throw new SocketError('EINVAL', `bad address ${addr.addr}`);
    if (c.family !== s.family) throw new SocketError('EAFNOSUPPORT', `IPv${c.family} address on an IPv${s.family} socket`);
    if (!Number.isInteger(addr.port) || addr.port < 0 || addr.port > 65535) throw new SocketError('EINVAL', `bad port ${addr.port}`);
    return { text: c.text, family: c.family };
  }

  /** @internal From the host: an event of a connection this layer owns. */
  connEvent(e: ConnEntry, ev: ConnEvent): void {
    const s = e.owner as Sock | null;
    if (!s || s.entry !== e) return;
    switch (ev.type) {
      case 'state':
        if (s.connecting && CONNECTED_STATES.has(ev.to)) {
          s.connecting = false;
          s.everConnected = true;
          this.emit(s, 'connect');
          this.emit(s, 'writable');
        }
        break;
      case 'readable':
        this.emit(s, 'readable');
        break;
      case 'writable':
        // Room freed after the buffer was full: wake the writer once there is enough of it.
        e.writeWaiting = true;
        this.writeRoom(e);
        break;
      case 'eof':
        this.emit(s, 'eof');
        break;
      case 'error':
        s.pendingError = ev.code;
        s.connecting = false;
        this.emit(s, 'error');
        break;
      case 'closed':
        if (s.connecting) {
          s.connecting = false;
          s.pendingError ??= e.error?.code ?? 'ECONNREFUSED';
          this.emit(s, 'error');
        }
        this.emit(s, 'closed');
        break;
      default:
        break;
    }
  }

  /** @internal From the host after input on a connection whose writer is blocked (and from the
   *  connection's own 'writable'): 'writable' once the free space is at least half of what is
   *  queued, i.e. a third of the buffer (Linux sk_stream_min_wspace), or once writes can no
   *  longer block. A bulk writer is then woken every ~sndBuf/3 bytes acknowledged instead of on
   *  every ACK, and writes a large chunk each time. */
  writeRoom(e: ConnEntry): void {
    const s = e.owner as Sock | null;
    if (!s || s.entry !== e || e.removed) {
      e.writeWaiting = false;
      return;
    }
    const c = e.conn;
    if (e.state !== 'ESTABLISHED' && e.state !== 'CLOSE-WAIT') {
      e.writeWaiting = false;
      this.emit(s, 'writable');
    } else if (3 * c.writableBytes >= c.config.sndBuf && this.belowNotsentLowat(s, c)) {
      e.writeWaiting = false;
      this.emit(s, 'writable');
    }
  }

  /** TCP_NOTSENT_LOWAT (Linux tcp_stream_memory_free): the mark in force for this socket. */
  private notsentLowat(s: Sock): number {
    return s.notsentLowat || this.host.limits.notsentLowat;
  }

  /** Bytes in the send buffer not sent yet (Linux write_seq - snd_nxt). */
  private unsent(c: TcpConnection): number {
    const st = c.status();
    return Math.max(0, st.sendQueue - ((st.sndNxt - st.sndUna) >>> 0));
  }

  private belowNotsentLowat(s: Sock, c: TcpConnection): boolean {
    const lowat = this.notsentLowat(s);
    return lowat >= 0xffffffff || this.unsent(c) < lowat;
  }

  // ---- SocketWatch -----------------------------------------------------------------------

  /** Subscribe to one socket's notifications (see SocketEventName); returns an unsubscribe
   *  function. Notifications are delivered after the stack has finished the work that caused
   *  them: synchronously at the end of an input/timer, or from a scheduler callback at the
   *  same virtual time when a socket call caused them; never from inside a socket call. */
  watch(fd: number, cb: (ev: SocketEventName) => void): () => void {
    const s = this.get(fd);
    const ws = (s.watchers ??= new Set<Watcher>());
    ws.add(cb);
    return () => {
      ws.delete(cb);
    };
  }

  // ---- SocketLayer -----------------------------------------------------------------------

  socket(family: 4 | 6): number {
    if (family !== 4 && family !== 6) throw new SocketError('EAFNOSUPPORT', `family ${family}`);
    if (this.fds.size >= this.host.limits.maxSockets) throw new SocketError('EMFILE', 'too many open sockets');
    const fd = this.fdAlloc.alloc();
    this.fds.set(fd, new Sock(fd, family));
    return fd;
  }

  /** Linux semantics: EINVAL when already bound; EADDRNOTAVAIL for an address not on this host;
   *  EADDRINUSE on conflict (SO_REUSEADDR: share with non-listening users that also set it, and
   *  bind over TIME-WAIT; SO_REUSEPORT: share when both set it). Port 0 picks a free port. */
  bind(fd: number, addr: SockAddr): void {
    const s = this.get(fd);
    if (s.local || s.entry || s.listener) throw new SocketError('EINVAL', 'socket already bound');
    const a = this.canonical(s, addr);
    if (!isWildcard(a.text) && !this.host.isLocalAddress(a.text)) throw new SocketError('EADDRNOTAVAIL', `${a.text} is not a local address`);
    let port = addr.port;
    if (port === 0) {
      const p = this.host.ports.allocateForBind();
      if (p === null) throw new SocketError('EADDRINUSE', 'no free port');
      port = p;
    } else if (this.host.ports.conflict(port, { addr: a.text, reuseAddr: s.reuseAddr, reusePort: s.reusePort })) {
      throw new SocketError('EADDRINUSE', `${a.text}:${port} in use`);
    }
    s.local = { addr: a.text, port };
    s.registered = true;
    s.explicitBind = true;
    this.host.ports.add(port, s);
  }

  /** Autobinds to the wildcard address and a free port when unbound. A second listen() only
   *  changes the backlog. EADDRINUSE when another socket listens on an overlapping address
   *  (unless both set SO_REUSEPORT). */
  listen(fd: number, backlog: number): void {
    const s = this.get(fd);
    if (s.entry) throw new SocketError('EINVAL', 'socket is connected');
    const lim = this.host.limits;
    const bl = Math.min(Math.max(0, Math.floor(Number(backlog) || 0)), lim.somaxconn);
    const synLimit = Math.min(Math.max(bl, 1), lim.maxSynBacklog);
    if (s.listener) {
      s.listener.backlog = bl;
      s.listener.synLimit = synLimit;
      return;
    }
    if (!s.local) this.bind(fd, { addr: s.family === 4 ? '0.0.0.0' : '::', port: 0 });
    const local = s.local!;
    if (this.host.ports.conflict(local.port, { addr: local.addr, reuseAddr: s.reuseAddr, reusePort: s.reusePort }, s)) {
      throw new SocketError('EADDRINUSE', `${local.addr}:${local.port} in use`);
    }
    const l = new ListenerClass(
      { addr: local.addr, port: local.port },
      s.family,
      bl,
      synLimit,
      this.config(s),
      s.reuseAddr,
      s.reusePort,
      () => this.emit(s, 'accept'),
      s,
      s.mssClamp,
    );
    s.listener = l;
    this.host.addListener(l);
  }

  /** The oldest completed connection; EAGAIN when none; EINVAL when not listening. The new
   *  socket inherits the listener's options. It may already hold data or EOF: check poll(). */
  accept(fd: number): { fd: number; remote: SockAddr } {
    const r = this.tryAccept(fd);
    if (!r) throw new SocketError('EAGAIN', 'no connection to accept');
    return r;
  }

  /** accept() without the EAGAIN exception: null when no connection is waiting. */
  tryAccept(fd: number): { fd: number; remote: SockAddr } | null {
    const s = this.get(fd);
    if (!s.listener) throw new SocketError('EINVAL', 'socket is not listening');
    if (this.fds.size >= this.host.limits.maxSockets) throw new SocketError('EMFILE', 'too many open sockets');
    const e = this.host.acceptFrom(s.listener);
    if (!e) return null;
    const nfd = this.socket(s.family);
    const n = this.fds.get(nfd)!;
    n.reuseAddr = s.reuseAddr;
    n.reusePort = s.reusePort;
    n.cfg = s.cfg === NO_OPTIONS ? NO_OPTIONS : { ...s.cfg };
    n.mssClamp = s.mssClamp;
    n.linger = s.linger;
    n.rcvLowat = s.rcvLowat;
    n.notsentLowat = s.notsentLowat;
    // The entry's endpoints, shared: nobody writes an endpoint (getsockname/getpeername copy).
    n.local = e.local;
    n.remote = e.remote;
    n.entry = e;
    n.everConnected = true;
    e.owner = n;
    if (e.error) n.pendingError = e.error.code;
    return { fd: nfd, remote: { ...n.remote } };
  }

  /** Starts an active open and throws EINPROGRESS; the 'connect' notification (or 'error' with
   *  SO_ERROR set) follows. EALREADY while connecting, EISCONN once connected; after a failed
   *  attempt the first connect() reports the error. ENETUNREACH without a route;
   *  EADDRNOTAVAIL when no ephemeral port (or the bound 4-tuple) is free. */
  connect(fd: number, addr: SockAddr): void {
    this.tryConnect(fd, addr);
    throw new SocketError('EINPROGRESS', 'connection in progress');
  }

  /** connect() without the EINPROGRESS exception: returns once the active open has started
   *  (every other error is thrown as connect() throws it). */
  tryConnect(fd: number, addr: SockAddr): void {
    const s = this.get(fd);
    if (s.listener) throw new SocketError('EISCONN', 'socket is listening');
    if (s.connecting && this.live(s)) throw new SocketError('EALREADY', 'connection in progress');
    if (s.pendingError) this.takeError(s);
    if (s.entry && s.entry.removed && !s.everConnected) {
      // A failed attempt: the socket is unconnected again (Linux SS_UNCONNECTED); an autobound
      // port was released with the connection, an explicitly bound one is held again.
      s.entry = null;
      s.remote = null;
      if (s.explicitBind && s.local) {
        s.registered = true;
        this.host.ports.add(s.local.port, s);
      } else s.local = null;
    }
    if (s.entry) throw new SocketError('EISCONN', 'socket is connected');
    const a = this.canonical(s, addr);
    if (addr.port === 0) throw new SocketError('ECONNREFUSED', 'port 0');
    // connect(0.0.0.0) means this host, as on Linux.
    const dst = isWildcard(a.text) ? (s.family === 4 ? '127.0.0.1' : '::1') : a.text;
    const bound = s.local && !isWildcard(s.local.addr) ? s.local.addr : undefined;
    const r = this.host.route(dst, bound);
    if (!r) throw new SocketError('ENETUNREACH', `no route to ${dst}`);
    const laddr = bound ?? r.src;
    let lport: number;
    let ephemeral = false;
    if (s.local) {
      lport = s.local.port;
      if (this.host.tupleInUse({ addr: laddr, port: lport }, { addr: dst, port: addr.port })) {
        throw new SocketError('EADDRNOTAVAIL', '4-tuple in use');
      }
    } else {
      const p = this.host.ports.allocateForConnect(laddr, dst, addr.port, (port) => !this.host.tupleInUse({ addr: laddr, port }, { addr: dst, port: addr.port }));
      if (p === null) throw new SocketError('EADDRNOTAVAIL', 'no free ephemeral port');
      lport = p;
      ephemeral = true;
    }
    const local: SockAddr = { addr: laddr, port: lport };
    const remote: SockAddr = { addr: dst, port: addr.port };
    const e = this.host.openActive(
      s.family,
      local,
      remote,
      this.config(s),
      { reuseAddr: s.reuseAddr, reusePort: s.reusePort, ephemeral, mssClamp: s.mssClamp },
      s,
    );
    if (s.registered) {
      this.host.ports.delete(s.local!.port, s);
      s.registered = false;
    }
    s.entry = e;
    // The entry's endpoints, shared (see accept).
    s.local = local;
    s.remote = remote;
    s.connecting = !e.removed && !CONNECTED_STATES.has(e.state);
    if (e.removed && e.error) s.pendingError = e.error.code;
  }

  /** Up to n bytes; an empty array at EOF (or after shutdown 'rd'). Buffered data is returned
   *  before a pending error; EAGAIN when nothing is buffered; ENOTCONN when never connected. */
  read(fd: number, n: number, opts?: { peek?: boolean }): Uint8Array {
    const d = this.tryRead(fd, n, opts);
    if (d === null) throw new SocketError('EAGAIN', 'no data');
    return d;
  }

  /** read() without the EAGAIN exception: null when nothing is buffered (and no EOF/error). */
  tryRead(fd: number, n: number, opts?: { peek?: boolean }): Uint8Array | null {
    const s = this.get(fd);
    if (s.listener) throw new SocketError('ENOTCONN', 'socket is listening');
    if (!s.entry) {
      this.takeError(s);
      throw new SocketError('ENOTCONN', 'socket is not connected');
    }
    const max = Math.max(0, Math.floor(n));
    if (max === 0) return EMPTY;
    const peek = !!opts?.peek;
    const e = s.entry;
    return this.host.withConn(e, (c, now) => {
      if (peek) {
        // MSG_PEEK: everything queued in order, left in place. TcpConnection has no peek, so
        // the bytes move into the socket's stash (bounded by the receive buffer size) and later
        // reads take them from there first.
        const room = Math.max(0, c.config.rcvBuf - s.stash.length);
        if (s.stash.length < max && room > 0) s.stash = concat(s.stash, pull(c, Math.min(room, c.readableBytes), now));
        if (s.stash.length) return s.stash.slice(0, max);
      } else if (s.stash.length) {
        const head = s.stash.subarray(0, Math.min(max, s.stash.length));
        s.stash = s.stash.subarray(head.length);
        if (s.stash.length === 0) s.stash = EMPTY;
        return head.length < max ? concat(head, pull(c, max - head.length, now)) : head.slice();
      } else {
        const d = pull(c, max, now);
        if (d.length) return d;
      }
      this.takeError(s);
      if (s.shutRd || c.eof || e.removed) return EMPTY;
      return null;
    });
  }

  /** As much as fits in the send buffer; EAGAIN when full (a 'writable' notification follows),
   *  EAGAIN while the handshake is in progress, EPIPE after shutdown 'wr', on an unconnected
   *  socket (as Linux does) or once the connection is closing; a pending error is thrown first. */
  write(fd: number, data: Uint8Array, opts?: { more?: boolean }): number {
    const n = this.tryWrite(fd, data, opts);
    if (n < 0) throw new SocketError('EAGAIN', n === WOULD_BLOCK_HANDSHAKE ? 'connection in progress' : 'send buffer full');
    return n;
  }

  /** write() without the EAGAIN exception: a negative number when it would block (buffer full,
   *  or the handshake in progress); 'writable' follows as for EAGAIN. Other errors throw. */
  tryWrite(fd: number, data: Uint8Array, opts?: { more?: boolean }): number {
    const s = this.get(fd);
    this.takeError(s);
    if (s.shutWr) throw new SocketError('EPIPE', 'connection closing');
    const e = this.live(s);
    if (!e) throw new SocketError('EPIPE', s.entry ? 'connection closed' : 'socket is not connected');
    if (e.state === 'SYN-SENT' || e.state === 'SYN-RECEIVED') return WOULD_BLOCK_HANDSHAKE;
    if (e.state !== 'ESTABLISHED' && e.state !== 'CLOSE-WAIT') throw new SocketError('EPIPE', 'connection closing');
    if (data.length === 0) return 0;
    const lowat = this.notsentLowat(s);
    // MSG_MORE: this call sends no partial segment (Linux tcp_push with TCP_NAGLE_CORK).
    const more = opts?.more === true;
    return this.host.withConn(e, (c, now) => {
      try {
        if (lowat >= 0xffffffff) {
          const n = c.send(data, now, more);
          return n === 0 ? WOULD_BLOCK : n;
        }
        // TCP_NOTSENT_LOWAT: take bytes only while fewer than the mark are unsent (Linux checks
        // before each new segment, so the last piece may complete a segment past the mark).
        let total = 0;
        while (total < data.length) {
          const st = c.status();
          const unsent = Math.max(0, st.sendQueue - ((st.sndNxt - st.sndUna) >>> 0));
          if (unsent >= lowat) break;
          const mss = st.sndMss > 0 ? st.sndMss : c.config.mss;
          const n = c.send(data.subarray(total, total + Math.ceil((lowat - unsent) / mss) * mss), now, more);
          if (n === 0) break;
          total += n;
        }
        if (total > 0) return total;
        // Held back by the mark (not by a full buffer): wait for sent data, as writeRoom checks.
        if (c.writableBytes > 0) e.writeWaiting = true;
        return WOULD_BLOCK;
      } catch (err) {
        toSocketError(err);
      }
    });
  }

  /** 'wr' sends FIN after queued data (RFC 9293 CLOSE, half-close); 'rd' makes reads return
   *  EOF. ENOTCONN when not connected. */
  shutdown(fd: number, how: 'rd' | 'wr' | 'rdwr'): void {
    const s = this.get(fd);
    if (!s.entry || s.listener) throw new SocketError('ENOTCONN', 'socket is not connected');
    if (how === 'rd' || how === 'rdwr') {
      if (!s.shutRd) {
        s.shutRd = true;
        this.emit(s, 'eof');
      }
    }
    if ((how === 'wr' || how === 'rdwr') && !s.shutWr) {
      s.shutWr = true;
      const e = this.live(s);
      if (e) {
        this.host.withConn(e, (c, now) => {
          try {
            c.close(now);
          } catch (err) {
            toSocketError(err);
          }
        });
      }
    }
  }

  /** Releases the fd. A listener aborts its unaccepted children. A connection is closed
   *  gracefully and lives on as an orphan (FIN-WAIT, TIME-WAIT), except: SO_LINGER {on, 0}
   *  or unread received data abort it with RST (RFC 9293 3.10.5; RFC 2525 2.17, as Linux). */
  close(fd: number): void {
    const s = this.get(fd);
    this.fds.delete(fd);
    this.fdAlloc.release(fd);
    s.watchers?.clear();
    if (s.listener) {
      this.host.removeListener(s.listener);
      s.listener = null;
    }
    if (s.registered && s.local) {
      this.host.ports.delete(s.local.port, s);
      s.registered = false;
    }
    const e = this.live(s);
    if (e) {
      this.host.withConn(e, (c, now) => {
        try {
          const unread = c.readableBytes > 0 || s.stash.length > 0;
          if ((s.linger.onoff && s.linger.linger === 0) || unread) c.abort(now);
          else if (!s.shutWr) c.close(now);
        } catch {
          // RFC 9293 3.10.4: CLOSE of a closing connection ("connection closing"): nothing to do.
        }
      });
      this.host.orphan(e);
    } else if (s.entry) {
      s.entry.owner = null;
    }
  }

  setsockopt(fd: number, opt: SockOpt, value: number | boolean | { onoff: boolean; linger: number }): void {
    const s = this.get(fd);
    this.setOpt(s, opt, value);
    // Children of a listener are created with its options as they are when the SYN arrives.
    if (s.listener) {
      s.listener.config = this.config(s);
      s.listener.mssClamp = s.mssClamp;
    }
  }

  private setOpt(s: Sock, opt: SockOpt, value: number | boolean | { onoff: boolean; linger: number }): void {
    const num = (): number => {
      if (typeof value === 'boolean') return value ? 1 : 0;
      if (typeof value !== 'number' || !Number.isFinite(value)) throw new SocketError('EINVAL', `bad value for ${opt}`);
      return value;
    };
    const pos = (): number => {
      const v = num();
      if (v < 0) throw new SocketError('EINVAL', `bad value for ${opt}`);
      return Math.floor(v);
    };
    const live = this.live(s);
    // Options that the connection reads as it goes are applied to a live connection too.
    const apply = (patch: Partial<ConnectionConfig>, liveToo: boolean): void => {
      if (s.cfg === NO_OPTIONS) s.cfg = {};
      Object.assign(s.cfg, patch);
      if (liveToo && live) this.host.withConn(live, (c) => c.reconfigure(patch));
    };
    switch (opt) {
      case 'SO_REUSEADDR':
        s.reuseAddr = num() !== 0;
        return;
      case 'SO_REUSEPORT':
        s.reusePort = num() !== 0;
        return;
      case 'SO_RCVBUF':
        // Capped like Linux net.core.rmem_max/wmem_max: the buffers are allocated up front.
        // A size the user chose stands: no scaling with the MSS (bufSegments, like Linux's
        // SOCK_RCVBUF_LOCK turning autotuning off; here for both buffers).
        return apply({ rcvBuf: Math.min(this.host.limits.maxSocketBuffer, Math.max(2048, pos())), bufSegments: 0 }, false);
      case 'SO_SNDBUF':
        return apply({ sndBuf: Math.min(this.host.limits.maxSocketBuffer, Math.max(2048, pos())), bufSegments: 0 }, false);
      case 'SO_KEEPALIVE':
        return apply({ keepAlive: num() !== 0 }, true);
      case 'SO_LINGER': {
        if (typeof value !== 'object' || value === null) throw new SocketError('EINVAL', 'SO_LINGER takes {onoff, linger}');
        s.linger = { onoff: !!value.onoff, linger: Math.max(0, Math.floor(value.linger)) };
        return;
      }
      case 'SO_ERROR':
        throw new SocketError('ENOPROTOOPT', 'SO_ERROR is read-only');
      case 'TCP_NODELAY': {
        const on = num() !== 0;
        apply({ nagle: !on }, true);
        // Linux TCP_NAGLE_PUSH: what is queued goes now, corked or not.
        if (on && live) this.host.withConn(live, (c, now) => c.push?.(now));
        return;
      }
      case 'TCP_MAXSEG': {
        const v = pos();
        if (v !== 0 && (v < 88 || v > 65535)) throw new SocketError('EINVAL', 'TCP_MAXSEG out of range');
        s.mssClamp = v === 0 ? undefined : v;
        return;
      }
      case 'TCP_KEEPIDLE': {
        const v = pos();
        if (v < 1 || v > 32767) throw new SocketError('EINVAL', 'TCP_KEEPIDLE out of range');
        return apply({ keepAliveIdle: v * 1000 }, true);
      }
      case 'TCP_KEEPINTVL': {
        const v = pos();
        if (v < 1 || v > 32767) throw new SocketError('EINVAL', 'TCP_KEEPINTVL out of range');
        return apply({ keepAliveInterval: v * 1000 }, true);
      }
      case 'TCP_KEEPCNT': {
        const v = pos();
        if (v < 1 || v > 127) throw new SocketError('EINVAL', 'TCP_KEEPCNT out of range');
        return apply({ keepAliveCount: v }, true);
      }
      case 'TCP_USER_TIMEOUT':
        return apply({ userTimeout: pos() }, true);
      case 'TCP_CORK': {
        // Linux tcp(7): only full segments go while set; clearing it sends what is queued.
        const on = num() !== 0;
        apply({ cork: on }, false);
        if (live) this.host.withConn(live, (c, now) => c.cork?.(on, now));
        return;
      }
      case 'SO_RCVLOWAT':
        s.rcvLowat = Math.max(1, pos());
        return;
      case 'TCP_NOTSENT_LOWAT': {
        const v = num();
        if (v < 0 || v > 0xffffffff) throw new SocketError('EINVAL', 'TCP_NOTSENT_LOWAT out of range');
        s.notsentLowat = Math.floor(v);
        // A lower mark may make a waiting writer wait longer; a higher one may wake it now.
        const e = this.live(s);
        if (e && (e.state === 'ESTABLISHED' || e.state === 'CLOSE-WAIT')) {
          e.writeWaiting = true;
          this.writeRoom(e);
        }
        return;
      }
      case 'TCP_NOOPT':
        // FreeBSD: no options in our SYN (ConnectionConfig.noOptions).
        return apply({ noOptions: num() !== 0 }, false);
      case 'TCP_KEEPINIT': {
        // FreeBSD: seconds to complete the open (RFC 9293 3.8.3); 0 = the host's default.
        const v = pos();
        if (v > 0x7fffffff / 1000) throw new SocketError('EINVAL', 'TCP_KEEPINIT out of range');
        return apply({ openTimeout: v === 0 ? this.host.tcpDefaults.openTimeout : v * 1000 }, false);
      }
      case 'IP_TOS':
      case 'IPV6_TCLASS': {
        // RFC 9293 3.9.1.1 Diffserv field. The ECN bits stay TCP's (RFC 3168 6.1.1: a
        // connection that has not negotiated ECN sends Not-ECT), as Linux keeps them for TCP.
        if (s.family !== (opt === 'IP_TOS' ? 4 : 6)) throw new SocketError('ENOPROTOOPT', `${opt} on an IPv${s.family} socket`);
        const v = Math.floor(num());
        if (v < (opt === 'IP_TOS' ? 0 : -1) || v > 255) throw new SocketError('EINVAL', `${opt} out of range`);
        return apply({ tos: v === -1 ? this.host.tcpDefaults.tos : v & 0xfc }, true);
      }
      case 'IP_TTL':
      case 'IPV6_UNICAST_HOPS': {
        if (s.family !== (opt === 'IP_TTL' ? 4 : 6)) throw new SocketError('ENOPROTOOPT', `${opt} on an IPv${s.family} socket`);
        const v = Math.floor(num());
        if (v < -1 || v > 255 || (v === 0 && opt === 'IP_TTL')) throw new SocketError('EINVAL', `${opt} out of range`);
        return apply({ ttl: v === -1 ? this.host.tcpDefaults.ttl : v }, true);
      }
      default:
        throw new SocketError('ENOPROTOOPT', `unknown option ${String(opt)}`);
    }
  }

  /** Numbers as getsockopt(2) returns them (booleans 0/1, TCP_KEEPIDLE/INTVL in seconds,
   *  SO_LINGER the linger time or 0 when off). SO_ERROR returns the pending error as a Linux
   *  errno number (see errno.ts) and clears it; 0 when none. */
  getsockopt(fd: number, opt: SockOpt): number {
    const s = this.get(fd);
    const cfg = this.live(s)?.conn.config ?? this.config(s);
    switch (opt) {
      case 'SO_REUSEADDR':
        return s.reuseAddr ? 1 : 0;
      case 'SO_REUSEPORT':
        return s.reusePort ? 1 : 0;
      case 'SO_RCVBUF':
        return cfg.rcvBuf;
      case 'SO_SNDBUF':
        return cfg.sndBuf;
      case 'SO_KEEPALIVE':
        return cfg.keepAlive ? 1 : 0;
      case 'SO_LINGER':
        return s.linger.onoff ? s.linger.linger : 0;
      case 'SO_ERROR': {
        const e = s.pendingError;
        s.pendingError = null;
        return e ? errnoNumber(e) : 0;
      }
      case 'TCP_NODELAY':
        return cfg.nagle ? 0 : 1;
      case 'TCP_MAXSEG': {
        const e = this.live(s);
        if (e) return e.conn.config.mss;
        return s.mssClamp ?? 536;
      }
      case 'TCP_KEEPIDLE':
        return Math.floor(cfg.keepAliveIdle / 1000);
      case 'TCP_KEEPINTVL':
        return Math.floor(cfg.keepAliveInterval / 1000);
      case 'TCP_KEEPCNT':
        return cfg.keepAliveCount;
      case 'TCP_USER_TIMEOUT':
        return cfg.userTimeout;
      case 'TCP_CORK':
        return s.cfg.cork ? 1 : 0;
      case 'SO_RCVLOWAT':
        return s.rcvLowat;
      case 'TCP_NOTSENT_LOWAT':
        return s.notsentLowat;
      case 'TCP_NOOPT':
        return cfg.noOptions ? 1 : 0;
      case 'TCP_KEEPINIT':
        return Math.floor((cfg.openTimeout ?? 0) / 1000);
      case 'IP_TOS':
      case 'IPV6_TCLASS':
        return cfg.tos ?? 0;
      case 'IP_TTL':
      case 'IPV6_UNICAST_HOPS':
        return cfg.ttl ?? 64;
      default:
        throw new SocketError('ENOPROTOOPT', `unknown option ${String(opt)}`);
    }
  }

  /** Like Linux tcp_poll. Listener: readable when a connection is waiting. */
  poll(fd: number): PollResult {
    const s = this.get(fd);
    if (s.listener) {
      return { readable: s.listener.acceptQueue.length > 0, writable: false, error: false, hup: false };
    }
    const e = s.entry;
    const state: TcpState = e && !e.removed ? e.state : 'CLOSED';
    const error = s.pendingError !== null;
    let readable = error || s.shutRd;
    let writable = false;
    const hup = (s.shutRd && s.shutWr) || state === 'CLOSED';
    if (state !== 'SYN-SENT' && state !== 'SYN-RECEIVED') {
      if (e) {
        const c = e.conn;
        readable ||= s.stash.length + c.readableBytes >= s.rcvLowat || c.eof || (e.removed && s.everConnected);
        if (s.shutWr) writable = true;
        else writable = !e.removed && (state === 'ESTABLISHED' || state === 'CLOSE-WAIT') && c.writableBytes > 0 && this.belowNotsentLowat(s, c);
        if (e.removed) writable = true; // a write would fail at once (EPIPE): not blocking
      } else writable = true; // Linux: an unconnected socket polls writable (and hup)
    }
    if (error) writable = true;
    return { readable, writable, error, hup };
  }

  localAddress(fd: number): SockAddr {
    const s = this.get(fd);
    if (s.local) return { ...s.local };
    return { addr: s.family === 4 ? '0.0.0.0' : '::', port: 0 };
  }

  remoteAddress(fd: number): SockAddr {
    const s = this.get(fd);
    if (!s.remote || !s.entry) throw new SocketError('ENOTCONN', 'socket is not connected');
    return { ...s.remote };
  }

  inq(fd: number): number {
    const s = this.get(fd);
    if (s.listener) throw new SocketError('EINVAL', 'socket is listening');
    const e = s.entry;
    return s.stash.length + (e ? e.conn.readableBytes : 0);
  }

  // ---- extras for the layers above and tools -----------------------------------------------

  /** Close every descriptor (HostStack.destroy). */
  closeAll(): void {
    for (const fd of [...this.fds.keys()]) this.close(fd);
  }

  /** TCP state of the socket's connection: 'LISTEN' for listeners, 'CLOSED' without one. */
  state(fd: number): TcpState {
    const s = this.get(fd);
    if (s.listener) return 'LISTEN';
    const e = s.entry;
    return e && !e.removed ? e.state : 'CLOSED';
  }

  /** RFC 9293 3.10.6 STATUS of the socket's connection, or null. */
  status(fd: number): ConnStatus | null {
    const s = this.get(fd);
    return s.entry ? s.entry.conn.status() : null;
  }

  family(fd: number): 4 | 6 {
    return this.get(fd).family;
  }

  /** Open descriptors, ascending. */
  openFds(): number[] {
    return [...this.fds.keys()].sort((a, b) => a - b);
  }

  /** Unaccepted completed connections waiting on a listener. */
  acceptQueueLength(fd: number): number {
    const s = this.get(fd);
    if (!s.listener) throw new SocketError('EINVAL', 'socket is not listening');
    return s.listener.acceptQueue.length;
  }
}
