// Contract of the host stack's BSD-like socket layer. It is synchronous and non-blocking:
// calls that would block throw SocketError('EAGAIN' | 'EINPROGRESS' ...). The packetdrill runner
// drives it directly; the Node `net` and web-streams APIs are built on it.

export type Errno =
  | 'EAGAIN' | 'EINPROGRESS' | 'EALREADY' | 'EISCONN' | 'ENOTCONN' | 'ECONNREFUSED'
  | 'ECONNRESET' | 'ECONNABORTED' | 'ETIMEDOUT' | 'EPIPE' | 'EADDRINUSE' | 'EADDRNOTAVAIL'
  | 'EINVAL' | 'EBADF' | 'EOPNOTSUPP' | 'EAFNOSUPPORT' | 'EHOSTUNREACH' | 'ENETUNREACH'
  | 'EMFILE' | 'ENOBUFS' | 'EMSGSIZE' | 'ENOPROTOOPT';

/** Errors that are part of normal non-blocking operation: built without a stack trace. */
const CHEAP: ReadonlySet<Errno> = new Set<Errno>(['EAGAIN', 'EINPROGRESS']);
const ErrorCtor = Error as unknown as { stackTraceLimit?: number };

function noTrace(code: Errno): number | undefined {
  if (!CHEAP.has(code)) return undefined;
  const lim = ErrorCtor.stackTraceLimit;
  ErrorCtor.stackTraceLimit = 0; // V8: capture no frames (a no-op property elsewhere)
  return lim;
}

export class SocketError extends Error {
  readonly code: Errno;
  constructor(code: Errno, message?: string) {
    const lim = noTrace(code);
    try {
      super(message ?? code);
    } finally {
      if (CHEAP.has(code)) ErrorCtor.stackTraceLimit = lim;
    }
    this.code = code;
    this.name = 'SocketError';
  }
}

export interface SockAddr {
  addr: string; // "10.0.0.1", "::1"; "0.0.0.0" / "::" = wildcard
  port: number;
}

export interface PollResult {
  readable: boolean; // data, EOF, a pending accept, or an error
  writable: boolean;
  error: boolean;
  hup: boolean; // both directions closed
}

/** Socket options the runner and the APIs set (names follow the Linux/BSD constants). */
export type SockOpt =
  | 'SO_REUSEADDR' | 'SO_REUSEPORT' | 'SO_RCVBUF' | 'SO_SNDBUF' | 'SO_KEEPALIVE' | 'SO_LINGER'
  | 'SO_ERROR' | 'TCP_NODELAY' | 'TCP_MAXSEG' | 'TCP_KEEPIDLE' | 'TCP_KEEPINTVL' | 'TCP_KEEPCNT'
  | 'TCP_USER_TIMEOUT' | 'TCP_CORK' | 'SO_RCVLOWAT' | 'TCP_NOTSENT_LOWAT' | 'TCP_NOOPT' | 'TCP_KEEPINIT'
  | 'IP_TOS' | 'IP_TTL' | 'IPV6_TCLASS' | 'IPV6_UNICAST_HOPS';

export interface SocketLayer {
  socket(family: 4 | 6): number;
  bind(fd: number, addr: SockAddr): void;
  listen(fd: number, backlog: number): void;
  /** Returns a new fd for a completed connection, or throws EAGAIN. */
  accept(fd: number): { fd: number; remote: SockAddr };
  /** Starts an active open; throws EINPROGRESS (non-blocking semantics). */
  connect(fd: number, addr: SockAddr): void;
  /** Reads up to n bytes; empty array = EOF; throws EAGAIN when nothing is buffered. */
  read(fd: number, n: number, opts?: { peek?: boolean }): Uint8Array;
  /** Writes as much as fits; throws EAGAIN when the buffer is full, EPIPE after shutdown.
   *  `more` (Linux MSG_MORE): more data follows, so this call sends no partial segment. */
  write(fd: number, data: Uint8Array, opts?: { more?: boolean }): number;
  shutdown(fd: number, how: 'rd' | 'wr' | 'rdwr'): void;
  close(fd: number): void;
  setsockopt(fd: number, opt: SockOpt, value: number | boolean | { onoff: boolean; linger: number }): void;
  getsockopt(fd: number, opt: SockOpt): number;
  poll(fd: number): PollResult;
  localAddress(fd: number): SockAddr;
  remoteAddress(fd: number): SockAddr;
  /** Bytes waiting to be read (FIONREAD / SIOCINQ). */
  inq(fd: number): number;
}

/** Non-throwing variants of the calls that would block, for event-driven layers (Node `net`,
 *  web streams): the would-block answer is a value instead of an exception, so a hot path never
 *  pays for an Error. Every other error is thrown exactly as the SocketLayer call throws it.
 *  The throwing SocketLayer calls stay (the packetdrill runner and tools use them). */
export interface NonBlockingCalls {
  /** read() that returns null instead of throwing EAGAIN. */
  tryRead(fd: number, n: number, opts?: { peek?: boolean }): Uint8Array | null;
  /** write() that returns a negative number instead of throwing EAGAIN (0 only for empty data). */
  tryWrite(fd: number, data: Uint8Array, opts?: { more?: boolean }): number;
  /** accept() that returns null instead of throwing EAGAIN. */
  tryAccept(fd: number): { fd: number; remote: SockAddr } | null;
  /** connect() that returns once the open has started instead of throwing EINPROGRESS. */
  tryConnect(fd: number, addr: SockAddr): void;
}

/** Per-socket notifications for event-driven layers above (Node `net`, web streams), so they
 *  never poll. Delivered synchronously after the stack has finished processing the input or
 *  timer that caused them (never re-entrantly from inside a SocketLayer call). */
export type SocketEventName =
  | 'connect' // active open completed (ESTABLISHED)
  | 'accept' // a listener has a completed connection waiting in its accept queue
  | 'readable' // new data is buffered
  | 'writable' // room again after EAGAIN or a partial write: a third of the send buffer free
  //              (Linux sk_stream_min_wspace), or the connection no longer takes data
  | 'eof' // the peer's FIN was reached in sequence
  | 'error' // a pending error (read it with getsockopt(fd, 'SO_ERROR'))
  | 'closed'; // the connection is gone (CLOSED); the fd stays valid until close(fd)

export interface SocketWatch {
  /** Subscribe to one socket's notifications; returns an unsubscribe function. */
  watch(fd: number, cb: (ev: SocketEventName) => void): () => void;
}

// ---- What the host stack's socket layer (src/stack/sockets.ts, `HostStack.sockets`) adds ------
// `Sockets` implements SocketLayer & SocketWatch & NonBlockingCalls plus:
//   state(fd): TcpState        'LISTEN' for listeners, 'CLOSED' when there is no connection
//   status(fd): ConnStatus|null RFC 9293 3.10.6 STATUS of the socket's connection
//   family(fd), openFds(), acceptQueueLength(fd)
// Errno numbers for SO_ERROR: src/stack/errno.ts (`ERRNO`, `errnoNumber`, `errnoName`, Linux
// numbering). Semantics follow Linux where POSIX leaves room:
//   - fds are the lowest free number >= 3.
//   - bind: EINVAL when already bound; EADDRNOTAVAIL for a non-local address; EAFNOSUPPORT for
//     the other family; EADDRINUSE on conflict. '::' is dual-stack (covers IPv4, bindv6only=0)
//     and a '::' listener accepts IPv4 connections (their addresses are reported as IPv4).
//     SO_REUSEADDR: shares with non-listening users that also set it and binds over TIME-WAIT;
//     SO_REUSEPORT: shares when both set it (SYNs spread by a hash of the peer). Port 0 = any.
//   - listen: autobinds when unbound; a second listen() changes the backlog only. Accept queue
//     full when more than `backlog` wait (Linux); SYN queue holds `backlog` half-open
//     connections (limits.maxSynBacklog caps it). Overflowing SYNs are dropped and counted.
//   - connect: EINPROGRESS always (completion: 'connect' notification; failure: 'error' with
//     SO_ERROR set, and the next connect() throws the error once). connect(0.0.0.0 / ::) goes to
//     the loopback address. ENETUNREACH without a route; EADDRNOTAVAIL when no ephemeral port
//     (RFC 6056 Algorithm 3, 32768-60999) or the bound 4-tuple is free.
//   - read: buffered data before a pending error; [] at EOF, after shutdown('rd') or once the
//     connection is gone cleanly; EAGAIN otherwise; ENOTCONN when never connected. peek works.
//   - write: pending error first; EAGAIN during the handshake or when the buffer is full (a
//     'writable' notification follows); EPIPE after shutdown('wr'), once closing, or unconnected.
//   - close: graceful (the connection lives on as an orphan through FIN-WAIT/TIME-WAIT), except
//     SO_LINGER {onoff: true, linger: 0} or unread received data: abort with RST.
//   - setsockopt: TCP_NODELAY, SO_KEEPALIVE, TCP_KEEPIDLE/INTVL (seconds), TCP_KEEPCNT,
//     TCP_USER_TIMEOUT (ms), IP_TOS/IPV6_TCLASS, IP_TTL/IPV6_UNICAST_HOPS apply to a live
//     connection too; SO_RCVBUF/SO_SNDBUF/TCP_MAXSEG, TCP_NOOPT, TCP_KEEPINIT (seconds) to
//     connections opened (or accepted) later; accepted sockets inherit the listener's options.
//     TCP_CORK and SO_LINGER's non-zero timeout are stored only. SO_RCVLOWAT affects poll().
//   - poll: like Linux tcp_poll (a fresh socket is writable and hup).
