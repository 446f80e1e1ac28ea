// A node:net-compatible API over a host's socket layer (SocketLayer + SocketWatch). Node-only
// (node:stream, node:events, Buffer, process.nextTick). `createNet(host)` returns the module
// object a `Stack` exposes as `stack.net`: code written for node:net runs unchanged with it.
//
// Event order follows Node: 'lookup', 'connect', 'ready', 'data'..., 'end', 'finish', 'close'
// (hadError); failures are 'error' then 'close'(true). Backpressure: a socket reads from the
// stack only while its consumer wants data; writes go into the stack's send buffer, and when it
// is full the write callback waits for the SocketWatch 'writable' notification, so write()
// returns false once the stream's own buffer passes its high-water mark and 'drain' follows.
import { Duplex, type DuplexOptions } from 'node:stream';
import { EventEmitter } from 'node:events';
import { Buffer } from 'node:buffer';
import type { SockAddr, SocketEventName } from '../stack/types.js';
import type { TimerHandle } from '../sim/types.js';
import { nbAccept, nbConnect, nbRead, nbWrite, type ApiHost } from './host.js';
import {
  codedError, errnoName, fromSocketError, invalidArgType, invalidArgValue, isErrno, systemError,
  type NodeSystemError,
} from './errors.js';
import { familyName, isIP, isIPv4, isIPv6, stripZone, validatePort } from './ip.js';

const READ_CHUNK = 64 * 1024;

export interface SocketConstructorOptions {
  allowHalfOpen?: boolean;
  readable?: boolean;
  writable?: boolean;
  highWaterMark?: number;
  readableHighWaterMark?: number;
  writableHighWaterMark?: number;
  noDelay?: boolean;
  keepAlive?: boolean;
  keepAliveInitialDelay?: number;
  signal?: AbortSignal;
}

export interface SocketConnectOptions {
  port?: number | string;
  host?: string;
  localAddress?: string;
  localPort?: number;
  family?: number;
  hints?: number;
  lookup?: (
    hostname: string,
    options: { family?: number; all?: boolean },
    cb: (err: Error | null, address: string | { address: string; family: number }[], family?: number) => void,
  ) => void;
  timeout?: number;
  noDelay?: boolean;
  keepAlive?: boolean;
  keepAliveInitialDelay?: number;
  allowHalfOpen?: boolean;
  path?: string;
  signal?: AbortSignal;
  autoSelectFamily?: boolean;
  autoSelectFamilyAttemptTimeout?: number;
}

export interface AddressInfo {
  address: string;
  family: string;
  port: number;
}

type Callback = (err?: Error | null) => void;
const noop = () => {};

function toBuffer(u: Uint8Array): Buffer {
  return Buffer.from(u.buffer, u.byteOffset, u.byteLength);
}

/** Node's normalizeArgs for connect(): (options[, cb]) | (port[, host][, cb]) | (path[, cb]). */
export function normalizeConnectArgs(args: unknown[]): [SocketConnectOptions, Callback | undefined] {
  if (args.length === 0) return [{}, undefined];
  const last = args[args.length - 1];
  const cb = typeof last === 'function' ? (last as Callback) : undefined;
  const a0 = args[0];
  let options: SocketConnectOptions = {};
  if (a0 !== null && typeof a0 === 'object') options = { ...(a0 as SocketConnectOptions) };
  else if (typeof a0 === 'string' && a0.trim() !== '' && Number.isNaN(Number(a0))) options.path = a0;
  else {
    options.port = a0 as number;
    if (args.length > 1 && typeof args[1] === 'string') options.host = args[1];
  }
  return [options, cb];
}

export class Socket extends Duplex {
  /** True while an active open is in progress. */
  connecting = false;
  bytesRead = 0;
  /** The idle timeout set by setTimeout(), in ms (undefined until set). */
  timeout: number | undefined = undefined;
  /** The server that accepted this socket, if any. */
  server: Server | null = null;

  readonly #host: ApiHost;
  #fd = -1;
  #unwatch: (() => void) | null = null;
  #connected = false;
  #reading = false;
  #pumping = false;
  #pendingWrite: { data: Uint8Array; cb: Callback } | null = null;
  #pendingFinal: Callback | null = null;
  #bytesWritten = 0;
  #local: SockAddr | null = null;
  #remote: SockAddr | null = null;
  #noDelay: boolean | undefined;
  #keepAlive: { enable: boolean; delay: number } | undefined;
  #timer: TimerHandle | null = null;
  #lastActive = 0;
  #release: () => void = noop;
  #refed = true;
  #attempt: { addrs: string[]; index: number; port: number; options: SocketConnectOptions } | null = null;
  #lingerReset = false;

  constructor(host: ApiHost, options: SocketConstructorOptions = {}, accepted?: { fd: number; remote: SockAddr }) {
    const opts: DuplexOptions = {
      allowHalfOpen: options.allowHalfOpen ?? false,
      emitClose: false, // 'close' carries hadError, emitted by _destroy as Node does
      autoDestroy: true,
      decodeStrings: true,
      signal: options.signal,
    };
    if (options.highWaterMark !== undefined) opts.highWaterMark = options.highWaterMark;
    if (options.readableHighWaterMark !== undefined) opts.readableHighWaterMark = options.readableHighWaterMark;
    if (options.writableHighWaterMark !== undefined) opts.writableHighWaterMark = options.writableHighWaterMark;
    super(opts);
    this.#host = host;
    if (options.noDelay) this.#noDelay = true;
    if (options.keepAlive) this.#keepAlive = { enable: true, delay: options.keepAliveInitialDelay ?? 0 };
    if (accepted) {
      this.#fd = accepted.fd;
      this.#remote = accepted.remote;
      this.#connected = true;
      this.#release = host.loop.hold();
      this.#unwatch = host.sockets.watch(accepted.fd, (ev) => this.#onEvent(ev));
      this.#applyOptions();
      try {
        this.#local = host.sockets.localAddress(accepted.fd);
      } catch {
        /* the connection may already be gone; address() then reports {} */
      }
    }
  }

  // ---- addresses and state -------------------------------------------------------------------

  get remoteAddress(): string | undefined {
    return this.#remote?.addr;
  }
  get remotePort(): number | undefined {
    return this.#remote?.port;
  }
  get remoteFamily(): string | undefined {
    return this.#remote ? familyName(this.#remote.addr) : undefined;
  }
  // As Node: the local name comes from the live handle (gone after destroy); the peer's name is
  // remembered.
  get localAddress(): string | undefined {
    return this.#fd >= 0 ? this.#local?.addr : undefined;
  }
  get localPort(): number | undefined {
    return this.#fd >= 0 ? this.#local?.port : undefined;
  }
  get localFamily(): string | undefined {
    return this.#fd >= 0 && this.#local ? familyName(this.#local.addr) : undefined;
  }
  address(): AddressInfo | Record<string, never> {
    if (!this.#local || this.#fd < 0) return {};
    return { address: this.#local.addr, family: familyName(this.#local.addr), port: this.#local.port };
  }
  get bytesWritten(): number {
    return this.#bytesWritten;
  }
  /** Deprecated in Node, kept for compatibility. */
  get bufferSize(): number {
    return this.writableLength;
  }
  /** True when not yet connected (no handle, or connecting). */
  get pending(): boolean {
    return !this.#connected || this.connecting;
  }
  get readyState(): 'opening' | 'open' | 'readOnly' | 'writeOnly' | 'closed' {
    if (this.connecting) return 'opening';
    if (this.readable && this.writable) return 'open';
    if (this.readable && !this.writable) return 'readOnly';
    if (!this.readable && this.writable) return 'writeOnly';
    return 'closed';
  }
  /** The socket-layer descriptor (for diagnostics); -1 when none. */
  get fd(): number {
    return this.#fd;
  }

  // ---- options -------------------------------------------------------------------------------

  setNoDelay(noDelay = true): this {
    this.#noDelay = !!noDelay;
    if (this.#fd >= 0) this.#setopt('TCP_NODELAY', !!noDelay);
    return this;
  }

  setKeepAlive(enable = false, initialDelay = 0): this {
    this.#keepAlive = { enable: !!enable, delay: Math.max(0, Math.floor(Number(initialDelay) || 0)) };
    if (this.#fd >= 0) this.#applyKeepAlive();
    return this;
  }

  /** Idle timeout on the host's clock (virtual or real): emits 'timeout' after `ms` without
   *  reads or writes. 0 disables it. The socket stays open; the user decides. */
  setTimeout(ms: number, cb?: () => void): this {
    if (typeof ms !== 'number' || !(ms >= 0) || !Number.isFinite(ms)) {
      throw codedError('ERR_OUT_OF_RANGE', `The value of "msecs" is out of range. It must be a non-negative finite number. Received ${String(ms)}`, RangeError);
    }
    this.timeout = ms;
    this.#cancelTimer();
    if (ms === 0) {
      if (cb) this.removeListener('timeout', cb);
      return this;
    }
    if (cb) this.once('timeout', cb);
    this.#lastActive = this.#host.scheduler.now();
    if (!this.destroyed) this.#armTimer();
    return this;
  }

  ref(): this {
    if (!this.#refed) {
      this.#refed = true;
      if (this.#fd >= 0) this.#release = this.#host.loop.hold();
    }
    return this;
  }

  unref(): this {
    if (this.#refed) {
      this.#refed = false;
      this.#release();
      this.#release = noop;
    }
    return this;
  }

  /** End the writable side, then destroy once everything has been written. */
  destroySoon(): void {
    if (this.writable) this.end();
    if (this.writableFinished) this.destroy();
    else this.once('finish', () => this.destroy());
  }

  /** Abort with RST (SO_LINGER 0) instead of FIN, as Node's resetAndDestroy(). */
  resetAndDestroy(): this {
    if (this.#fd >= 0 && !this.destroyed) {
      this.#lingerReset = true;
      this.destroy();
    } else if (!this.destroyed) {
      this.destroy(codedError('ERR_SOCKET_CLOSED', 'Socket is closed'));
    }
    return this;
  }

  // ---- connect -------------------------------------------------------------------------------

  connect(options: SocketConnectOptions, connectListener?: () => void): this;
  connect(port: number | string, host?: string, connectListener?: () => void): this;
  connect(port: number | string, connectListener?: () => void): this;
  connect(...args: unknown[]): this {
    const [options, cb] = normalizeConnectArgs(args);
    if (this.connecting || this.#connected) {
      throw systemError('EISCONN', 'connect', this.#remote?.addr, this.#remote?.port);
    }
    if (options.path) {
      throw invalidArgValue('options.path', options.path, 'is not supported by synack (IPC pipes); use port and host');
    }
    if (options.port === undefined || options.port === null) {
      throw codedError('ERR_MISSING_ARGS', 'The "options" or "port" or "path" argument must be specified', TypeError);
    }
    if (typeof options.port !== 'number' && typeof options.port !== 'string') {
      throw invalidArgType('options.port', 'of type number or string', options.port);
    }
    const port = validatePort(options.port);
    const hostName = options.host ?? 'localhost';
    if (typeof hostName !== 'string') throw invalidArgType('options.host', 'of type string', hostName);
    if (options.localAddress !== undefined && !isIP(options.localAddress)) {
      throw codedError('ERR_INVALID_IP_ADDRESS', `Invalid IP address: ${String(options.localAddress)}`, TypeError);
    }
    if (options.localPort !== undefined) validatePort(options.localPort, 'options.localPort');
    const family = options.family ?? 0;
    if (family !== 0 && family !== 4 && family !== 6) {
      throw invalidArgValue('options.family', family, 'must be one of: 0, 4, 6');
    }
    if (this.destroyed) {
      // Node allows reconnecting a destroyed socket: start over with a fresh state.
      (this as unknown as { _undestroy(): void })._undestroy();
      this.#fd = -1;
      this.#local = this.#remote = null;
    }
    if (options.noDelay) this.#noDelay = true;
    if (options.keepAlive) this.#keepAlive = { enable: true, delay: options.keepAliveInitialDelay ?? 0 };
    if (options.timeout) this.setTimeout(options.timeout);
    if (cb) this.once('connect', cb);
    this.connecting = true;
    if (this.#refed) this.#release = this.#host.loop.hold();
    process.nextTick(() => this.#lookupAndConnect(hostName, port, family as 0 | 4 | 6, options));
    return this;
  }

  #lookupAndConnect(hostName: string, port: number, family: 0 | 4 | 6, options: SocketConnectOptions): void {
    if (this.destroyed || !this.connecting) return;
    const literal = isIP(stripZone(hostName)) ? stripZone(hostName) : null;
    if (literal) {
      this.#startAttempts([literal], port, options);
      return;
    }
    const done = (err: Error | null, addrs: string[]) => {
      if (this.destroyed || !this.connecting) return;
      if (err || addrs.length === 0) {
        const e = (err ?? systemError('ENOTFOUND', 'getaddrinfo', hostName)) as NodeSystemError & { hostname?: string };
        if (!err) {
          e.errno = -3008;
          e.hostname = hostName;
          delete e.address;
        }
        this.emit('lookup', e, undefined, undefined, hostName);
        this.destroy(e);
        return;
      }
      this.emit('lookup', null, addrs[0], isIP(addrs[0]), hostName);
      this.#startAttempts(addrs, port, options);
    };
    if (options.lookup) {
      try {
        options.lookup(hostName, { family, all: true }, (err, res) => {
          if (err) return done(err, []);
          const list = typeof res === 'string' ? [res] : (res ?? []).map((r) => r.address);
          done(null, list);
        });
      } catch (e) {
        done(e as Error, []);
      }
      return;
    }
    done(null, this.#host.lookup(hostName, family));
  }

  #startAttempts(addrs: string[], port: number, options: SocketConnectOptions): void {
    this.#attempt = { addrs, index: 0, port, options };
    this.#tryNext(null);
  }

  /** Try the next resolved address (sequential happy eyeballs); fail with the last error. */
  #tryNext(lastErr: Error | null): void {
    const at = this.#attempt;
    if (!at || this.destroyed) return;
    if (at.index >= at.addrs.length) {
      this.destroy(lastErr ?? systemError('ECONNREFUSED', 'connect', at.addrs[0], at.port));
      return;
    }
    const addr = at.addrs[at.index++];
    const s = this.#host.sockets;
    const fam = isIP(addr) as 4 | 6;
    this.#closeFd();
    let fd: number;
    try {
      fd = s.socket(fam);
    } catch (e) {
      this.#tryNext(fromSocketError(e, 'connect', addr, at.port));
      return;
    }
    this.#fd = fd;
    this.#remote = { addr, port: at.port };
    this.#unwatch = s.watch(fd, (ev) => this.#onEvent(ev));
    this.#applyOptions();
    const { localAddress, localPort } = at.options;
    if (localAddress !== undefined || localPort !== undefined) {
      const la = localAddress ?? (fam === 6 ? '::' : '0.0.0.0');
      if (isIP(la) !== fam) {
        this.#tryNext(systemError('EINVAL', 'bind', la, localPort));
        return;
      }
      try {
        s.bind(fd, { addr: la, port: localPort ?? 0 });
      } catch (e) {
        this.destroy(fromSocketError(e, 'bind', la, localPort, true));
        return;
      }
    }
    let inProgress: boolean;
    try {
      inProgress = nbConnect(s, fd, { addr, port: at.port });
    } catch (e) {
      this.#tryNext(fromSocketError(e, 'connect', addr, at.port));
      return;
    }
    if (inProgress) {
      try {
        this.#local = s.localAddress(fd);
      } catch {
        /* filled in on connect */
      }
      return; // 'connect' or 'error' notification follows
    }
    // Completed synchronously (allowed by the contract for a local peer).
    process.nextTick(() => this.#onConnected());
  }

  #onConnected(): void {
    if (!this.connecting || this.destroyed) return;
    const s = this.#host.sockets;
    try {
      this.#local = s.localAddress(this.#fd);
      this.#remote = s.remoteAddress(this.#fd);
    } catch {
      /* keep what we have */
    }
    this.connecting = false;
    this.#connected = true;
    this.#attempt = null;
    this.#touch();
    this.emit('connect');
    this.emit('ready');
    if (this.destroyed) return;
    if (this.#reading) this.#pump();
    const pw = this.#pendingWrite;
    if (pw) {
      this.#pendingWrite = null;
      this.#writeNow(pw.data, pw.cb);
    }
    const pf = this.#pendingFinal;
    if (pf && !this.#pendingWrite) {
      this.#pendingFinal = null;
      this._final(pf);
    }
  }

  // ---- notifications from the stack ---------------------------------------------------------

  #onEvent(ev: SocketEventName): void {
    if (this.destroyed && ev !== 'closed') return;
    switch (ev) {
      case 'connect':
        this.#onConnected();
        break;
      case 'readable':
      case 'eof':
        if (this.#reading && this.#connected) this.#pump();
        break;
      case 'writable':
        this.#flushPending();
        break;
      case 'error':
      case 'closed':
        this.#onError(ev);
        break;
      default:
        break;
    }
  }

  #onError(ev: 'error' | 'closed'): void {
    if (this.destroyed || this.#fd < 0) return;
    let code: string | undefined;
    try {
      const n = this.#host.sockets.getsockopt(this.#fd, 'SO_ERROR');
      if (n) code = errnoName(n) ?? 'ECONNRESET';
    } catch (e) {
      code = (e as { code?: string }).code;
    }
    if (this.connecting) {
      const at = this.#attempt;
      const addr = at?.addrs[at.index - 1] ?? this.#remote?.addr;
      const err = systemError(code ?? 'ECONNREFUSED', 'connect', addr, at?.port);
      if (at && at.index < at.addrs.length) this.#tryNext(err);
      else this.destroy(err);
      return;
    }
    if (!code) {
      // Closed without an error (e.g. the peer's FIN and ours both done): reads will see EOF.
      if (this.#reading) this.#pump();
      this.#flushPending();
      return;
    }
    this.destroy(systemError(code, this.#pendingWrite ? 'write' : 'read'));
  }

  // ---- reading ------------------------------------------------------------------------------

  override _read(_n: number): void {
    this.#reading = true;
    if (this.#connected && !this.connecting) this.#pump();
  }

  #pump(): void {
    if (this.#pumping) return;
    this.#pumping = true;
    try {
      const sockets = this.#host.sockets;
      while (this.#reading && this.#fd >= 0 && !this.destroyed) {
        let chunk: Uint8Array | null;
        try {
          chunk = nbRead(sockets, this.#fd, READ_CHUNK);
          if (chunk === null) return; // EAGAIN: a 'readable' notification follows
        } catch (e) {
          if (isErrno(e, 'ENOTCONN')) {
            // The connection is gone without a pending error: treat as EOF.
            this.#reading = false;
            this.push(null);
            return;
          }
          this.destroy(fromSocketError(e, 'read'));
          return;
        }
        if (chunk.length === 0) {
          this.#reading = false;
          this.push(null);
          return;
        }
        this.bytesRead += chunk.length;
        this.#touch();
        if (!this.push(toBuffer(chunk))) this.#reading = false;
      }
    } finally {
      this.#pumping = false;
    }
  }

  // ---- writing ------------------------------------------------------------------------------

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: Callback): void {
    if (!this.#connected || this.connecting) {
      this.#pendingWrite = { data: chunk, cb };
      return;
    }
    this.#writeNow(chunk, cb);
  }

  override _writev(chunks: { chunk: Buffer }[], cb: Callback): void {
    const data = chunks.length === 1 ? chunks[0].chunk : Buffer.concat(chunks.map((c) => c.chunk));
    this._write(data, 'buffer' as BufferEncoding, cb);
  }

  #writeNow(data: Uint8Array, cb: Callback): void {
    let n = 0;
    while (n < data.length) {
      let w: number;
      try {
        w = nbWrite(this.#host.sockets, this.#fd, n === 0 ? data : data.subarray(n));
      } catch (e) {
        cb(fromSocketError(e, 'write'));
        return;
      }
      if (w <= 0) break; // EAGAIN: a 'writable' notification follows
      n += w;
      this.#bytesWritten += w;
      // A partial write means the send buffer is full: stop instead of asking again.
      if (n < data.length) break;
    }
    if (n > 0) this.#touch();
    if (n < data.length) {
      this.#pendingWrite = { data: data.subarray(n), cb };
      return;
    }
    cb();
  }

  #flushPending(): void {
    const pw = this.#pendingWrite;
    if (!pw || !this.#connected || this.connecting || this.#fd < 0) return;
    this.#pendingWrite = null;
    this.#writeNow(pw.data, pw.cb);
    const pf = this.#pendingFinal;
    if (pf && !this.#pendingWrite) {
      this.#pendingFinal = null;
      this._final(pf);
    }
  }

  override _final(cb: Callback): void {
    if (!this.#connected || this.connecting || this.#pendingWrite) {
      this.#pendingFinal = cb;
      return;
    }
    try {
      this.#host.sockets.shutdown(this.#fd, 'wr');
    } catch (e) {
      if (!isErrno(e, 'ENOTCONN', 'EPIPE')) {
        cb(fromSocketError(e, 'shutdown'));
        return;
      }
    }
    cb();
  }

  // ---- teardown -----------------------------------------------------------------------------

  override _destroy(err: Error | null, cb: (err: Error | null) => void): void {
    this.#cancelTimer();
    this.connecting = false;
    this.#attempt = null;
    this.#reading = false;
    const pw = this.#pendingWrite;
    this.#pendingWrite = null;
    this.#pendingFinal = null;
    if (this.#fd >= 0 && this.#lingerReset) this.#setopt('SO_LINGER', { onoff: true, linger: 0 });
    this.#closeFd();
    this.#release();
    this.#release = noop;
    cb(err);
    if (pw) pw.cb(err ?? codedError('ERR_STREAM_DESTROYED', 'Cannot call write after a stream was destroyed'));
    const hadError = !!err;
    process.nextTick(() => this.emit('close', hadError));
  }

  #closeFd(): void {
    if (this.#unwatch) {
      this.#unwatch();
      this.#unwatch = null;
    }
    if (this.#fd >= 0) {
      const fd = this.#fd;
      this.#fd = -1;
      try {
        this.#host.sockets.close(fd);
      } catch {
        /* already gone */
      }
    }
  }

  // ---- helpers ------------------------------------------------------------------------------

  #applyOptions(): void {
    if (this.#noDelay !== undefined) this.#setopt('TCP_NODELAY', this.#noDelay);
    if (this.#keepAlive) this.#applyKeepAlive();
  }

  #applyKeepAlive(): void {
    const ka = this.#keepAlive!;
    this.#setopt('SO_KEEPALIVE', ka.enable);
    // Linux semantics: TCP_KEEPIDLE in seconds (Node passes initialDelay ms / 1000).
    if (ka.enable && ka.delay > 0) this.#setopt('TCP_KEEPIDLE', Math.max(1, Math.floor(ka.delay / 1000)));
  }

  #setopt(opt: Parameters<ApiHost['sockets']['setsockopt']>[1], v: number | boolean | { onoff: boolean; linger: number }): void {
    try {
      this.#host.sockets.setsockopt(this.#fd, opt, v);
    } catch {
      /* options are hints; an unsupported one is not fatal (Node ignores these failures too) */
    }
  }

  #touch(): void {
    if (!this.timeout) return;
    this.#lastActive = this.#host.scheduler.now();
    if (!this.#timer) this.#armTimer();
  }

  #armTimer(): void {
    const ms = this.timeout ?? 0;
    if (!ms) return;
    this.#timer = this.#host.scheduler.at(this.#lastActive + ms, () => {
      this.#timer = null;
      if (this.destroyed || !this.timeout) return;
      const due = this.#lastActive + this.timeout;
      if (this.#host.scheduler.now() < due) {
        this.#armTimer();
        return;
      }
      this.emit('timeout'); // re-armed by the next read or write, as Node's refreshed timer
    });
  }

  #cancelTimer(): void {
    if (this.#timer) {
      this.#timer.cancel();
      this.#timer = null;
    }
  }
}

export interface ServerOptions {
  allowHalfOpen?: boolean;
  pauseOnConnect?: boolean;
  noDelay?: boolean;
  keepAlive?: boolean;
  keepAliveInitialDelay?: number;
  highWaterMark?: number;
}

export interface ListenOptions {
  port?: number | string;
  host?: string;
  backlog?: number;
  exclusive?: boolean;
  ipv6Only?: boolean;
  path?: string;
  signal?: AbortSignal;
}

export class Server extends EventEmitter {
  maxConnections: number | undefined = undefined;
  readonly #host: ApiHost;
  readonly #options: ServerOptions;
  #listeners: { fd: number; unwatch: () => void; local: SockAddr }[] = [];
  #connections = new Set<Socket>();
  #release: () => void = noop;
  #refed = true;
  #starting = false;

  constructor(host: ApiHost, options?: ServerOptions | ((socket: Socket) => void), connectionListener?: (socket: Socket) => void) {
    super();
    this.#host = host;
    if (typeof options === 'function') {
      connectionListener = options;
      options = {};
    }
    if (options !== undefined && (options === null || typeof options !== 'object')) {
      throw invalidArgType('options', 'of type object', options);
    }
    this.#options = { ...(options ?? {}) };
    if (connectionListener) this.on('connection', connectionListener);
  }

  get listening(): boolean {
    return this.#listeners.length > 0;
  }

  listen(port?: number | string, host?: string, backlog?: number, cb?: () => void): this;
  listen(port?: number | string, host?: string, cb?: () => void): this;
  listen(port?: number | string, backlog?: number, cb?: () => void): this;
  listen(port?: number | string, cb?: () => void): this;
  listen(options: ListenOptions, cb?: () => void): this;
  listen(cb?: () => void): this;
  listen(...args: unknown[]): this {
    const last = args[args.length - 1];
    const cb = typeof last === 'function' ? (last as () => void) : undefined;
    if (cb) args = args.slice(0, -1);
    let opts: ListenOptions = {};
    const a0 = args[0];
    if (a0 !== null && typeof a0 === 'object') opts = { ...(a0 as ListenOptions) };
    else if (a0 === undefined || a0 === null) opts = { port: 0 };
    else if (typeof a0 === 'string' && a0.trim() !== '' && Number.isNaN(Number(a0))) opts = { path: a0 };
    else {
      opts.port = a0 as number;
      if (typeof args[1] === 'string') {
        opts.host = args[1];
        if (typeof args[2] === 'number') opts.backlog = args[2];
      } else if (typeof args[1] === 'number') opts.backlog = args[1];
    }
    if (this.listening || this.#starting) {
      throw codedError('ERR_SERVER_ALREADY_LISTEN', 'Listen method has been called more than once without closing.');
    }
    if (opts.path) {
      throw invalidArgValue('options', opts, 'must have the property "port" (IPC paths are not supported by synack)');
    }
    if (opts.port === undefined) opts.port = 0;
    if (typeof opts.port !== 'number' && typeof opts.port !== 'string') {
      throw invalidArgValue('options', opts, 'must have the property "port" or "path"');
    }
    const port = validatePort(opts.port, 'options.port');
    if (opts.host !== undefined && opts.host !== null && typeof opts.host !== 'string') {
      throw invalidArgType('options.host', 'of type string', opts.host);
    }
    const backlog = opts.backlog === undefined ? 511 : Math.max(0, Math.floor(Number(opts.backlog) || 0));
    if (cb) this.once('listening', cb);
    this.#starting = true;
    // Bind synchronously so listen(0)'s port is known at once (address() works right after
    // listen(), as in Node); report errors and 'listening' asynchronously like Node.
    let err: Error | null = null;
    try {
      this.#bindAll(opts.host || null, port, backlog, opts.ipv6Only ?? false);
    } catch (e) {
      err = e as Error;
    }
    this.#starting = false;
    if (err) {
      process.nextTick(() => this.emit('error', err));
      return this;
    }
    if (this.#refed) this.#release = this.#host.loop.hold();
    process.nextTick(() => {
      if (this.listening) this.emit('listening');
    });
    return this;
  }

  #bindAll(hostName: string | null, port: number, backlog: number, ipv6Only: boolean): void {
    let addrs: string[];
    if (hostName === null) {
      // Node listens on '::' by default, which is dual-stack (it takes IPv4 too), as in synack.
      // ipv6Only asks for '::' alone; synack has no IPV6_V6ONLY, so that is '::' as well.
      void ipv6Only;
      addrs = [this.#families().v6 ? '::' : '0.0.0.0'];
    } else {
      const literal = isIP(stripZone(hostName)) ? stripZone(hostName) : null;
      if (literal) addrs = [literal];
      else {
        const found = this.#host.lookup(hostName, 0);
        if (found.length === 0) {
          const e = systemError('ENOTFOUND', 'getaddrinfo', hostName) as NodeSystemError & { hostname?: string };
          e.errno = -3008;
          e.hostname = hostName;
          delete e.address;
          throw e;
        }
        addrs = [found[0]];
      }
    }
    // With port 0 both wildcards must share the port the first bind picked; retry if taken.
    for (let tries = 0; ; tries++) {
      try {
        this.#bindList(addrs, port, backlog);
        return;
      } catch (e) {
        const code = (e as { code?: string }).code;
        if (port === 0 && code === 'EADDRINUSE' && addrs.length > 1 && tries < 16) continue;
        throw e;
      }
    }
  }

  #bindList(addrs: string[], port: number, backlog: number): void {
    const s = this.#host.sockets;
    const opened: { fd: number; unwatch: () => void; local: SockAddr }[] = [];
    let p = port;
    try {
      for (const addr of addrs) {
        let fd: number;
        try {
          fd = s.socket(isIP(addr) as 4 | 6);
        } catch (e) {
          throw fromSocketError(e, 'listen', addr, p, true);
        }
        const entry = { fd, unwatch: noop, local: { addr, port: p } };
        opened.push(entry);
        try {
          s.bind(fd, { addr, port: p });
          s.listen(fd, backlog);
          entry.local = s.localAddress(fd);
        } catch (e) {
          throw fromSocketError(e, 'listen', addr === '::' || addr === '0.0.0.0' ? addr : addr, p, true);
        }
        p = entry.local.port;
        entry.unwatch = s.watch(fd, (ev) => {
          if (ev === 'accept') this.#acceptAll(fd);
        });
      }
    } catch (e) {
      for (const o of opened) {
        o.unwatch();
        try {
          s.close(o.fd);
        } catch {
          /* ignore */
        }
      }
      throw e;
    }
    this.#listeners = opened;
    // Connections may already be waiting (the stack does not re-notify them).
    for (const o of opened) this.#acceptAll(o.fd);
  }

  #families(): { v4: boolean; v6: boolean } {
    return { v4: this.#host.lookup('localhost', 4).length > 0, v6: this.#host.lookup('localhost', 6).length > 0 };
  }

  #acceptAll(fd: number): void {
    const s = this.#host.sockets;
    for (;;) {
      if (!this.#listeners.some((l) => l.fd === fd)) return;
      let got: { fd: number; remote: SockAddr } | null;
      try {
        got = nbAccept(s, fd);
      } catch (e) {
        this.emit('error', fromSocketError(e, 'accept'));
        return;
      }
      if (!got) return;
      if (this.maxConnections !== undefined && this.#connections.size >= this.maxConnections) {
        let local: SockAddr | undefined;
        try {
          local = s.localAddress(got.fd);
        } catch {
          /* ignore */
        }
        try {
          s.close(got.fd);
        } catch {
          /* ignore */
        }
        this.emit('drop', {
          localAddress: local?.addr, localPort: local?.port, localFamily: local && familyName(local.addr),
          remoteAddress: got.remote.addr, remotePort: got.remote.port, remoteFamily: familyName(got.remote.addr),
        });
        continue;
      }
      const o = this.#options;
      const sock = new Socket(this.#host, { allowHalfOpen: o.allowHalfOpen, highWaterMark: o.highWaterMark }, got);
      sock.server = this;
      if (o.noDelay) sock.setNoDelay(true);
      if (o.keepAlive) sock.setKeepAlive(true, o.keepAliveInitialDelay);
      if (o.pauseOnConnect) sock.pause();
      this.#connections.add(sock);
      sock.once('close', () => {
        this.#connections.delete(sock);
        this.#emitCloseIfDrained();
      });
      this.emit('connection', sock);
    }
  }

  address(): AddressInfo | null {
    if (!this.listening) return null;
    const l = this.#listeners[0].local;
    return { address: l.addr, family: familyName(l.addr), port: l.port };
  }

  /** Stop accepting; 'close' follows once every accepted connection has closed. */
  close(cb?: (err?: Error) => void): this {
    if (typeof cb === 'function') {
      if (!this.listening) {
        this.once('close', () => cb(codedError('ERR_SERVER_NOT_RUNNING', 'Server is not running.')));
      } else this.once('close', () => cb());
    }
    const s = this.#host.sockets;
    for (const l of this.#listeners) {
      l.unwatch();
      try {
        s.close(l.fd);
      } catch {
        /* ignore */
      }
    }
    const wasListening = this.#listeners.length > 0;
    this.#listeners = [];
    this.#release();
    this.#release = noop;
    this.#closePending = true;
    if (wasListening || this.#connections.size === 0) this.#emitCloseIfDrained();
    return this;
  }

  #closePending = false;

  #emitCloseIfDrained(): void {
    if (!this.#closePending || this.listening || this.#connections.size > 0) return;
    this.#closePending = false;
    process.nextTick(() => this.emit('close'));
  }

  getConnections(cb: (err: Error | null, count: number) => void): this {
    const n = this.#connections.size;
    process.nextTick(() => cb(null, n));
    return this;
  }

  ref(): this {
    if (!this.#refed) {
      this.#refed = true;
      if (this.listening) this.#release = this.#host.loop.hold();
    }
    return this;
  }

  unref(): this {
    if (this.#refed) {
      this.#refed = false;
      this.#release();
      this.#release = noop;
    }
    return this;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    if (!this.listening) return;
    await new Promise<void>((resolve) => this.close(() => resolve()));
  }
}

/** The module object `stack.net`: the node:net functions and classes, bound to one host. */
export interface NetModule {
  Socket: new (options?: SocketConstructorOptions) => Socket;
  Stream: new (options?: SocketConstructorOptions) => Socket;
  Server: new (options?: ServerOptions | ((socket: Socket) => void), connectionListener?: (socket: Socket) => void) => Server;
  createServer(connectionListener?: (socket: Socket) => void): Server;
  createServer(options?: ServerOptions, connectionListener?: (socket: Socket) => void): Server;
  connect(options: SocketConnectOptions, connectionListener?: () => void): Socket;
  connect(port: number | string, host?: string, connectionListener?: () => void): Socket;
  connect(port: number | string, connectionListener?: () => void): Socket;
  createConnection(options: SocketConnectOptions, connectionListener?: () => void): Socket;
  createConnection(port: number | string, host?: string, connectionListener?: () => void): Socket;
  createConnection(port: number | string, connectionListener?: () => void): Socket;
  isIP(input: string): number;
  isIPv4(input: string): boolean;
  isIPv6(input: string): boolean;
  getDefaultAutoSelectFamily(): boolean;
  setDefaultAutoSelectFamily(value: boolean): void;
}

export function createNet(host: ApiHost): NetModule {
  class BoundSocket extends Socket {
    constructor(options?: SocketConstructorOptions) {
      super(host, options);
    }
  }
  class BoundServer extends Server {
    constructor(options?: ServerOptions | ((socket: Socket) => void), connectionListener?: (socket: Socket) => void) {
      super(host, options, connectionListener);
    }
  }
  function connect(...args: unknown[]): Socket {
    const [options, cb] = normalizeConnectArgs(args);
    const sock = new BoundSocket(options);
    return (sock.connect as (o: SocketConnectOptions, cb?: () => void) => Socket)(options, cb);
  }
  let autoSelect = true;
  return {
    Socket: BoundSocket,
    Stream: BoundSocket,
    Server: BoundServer,
    createServer: ((options?: ServerOptions | ((s: Socket) => void), listener?: (s: Socket) => void) =>
      new BoundServer(options, listener)) as NetModule['createServer'],
    connect: connect as NetModule['connect'],
    createConnection: connect as NetModule['createConnection'],
    isIP: (s: string) => isIP(s),
    isIPv4: (s: string) => isIPv4(s),
    isIPv6: (s: string) => isIPv6(s),
    getDefaultAutoSelectFamily: () => autoSelect,
    setDefaultAutoSelectFamily: (v: boolean) => {
      autoSelect = !!v;
    },
  };
}

export { isIP, isIPv4, isIPv6 };
