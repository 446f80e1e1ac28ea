// Web-streams API over a host's socket layer (browser-safe: no node: imports, no Buffer).
//
//   const conn = await stack.connect({ host: '10.0.0.2', port: 80 });
//   const w = conn.writable.getWriter(); await w.write(bytes); await w.close();   // FIN
//   for await (const chunk of conn.readable) ...                                  // until EOF
//
//   const listener = stack.listen({ port: 80 });
//   for await (const conn of listener) { conn.readable.pipeTo(conn.writable); }
//
// Backpressure: the readable pulls from the stack only when its queue has room; the writable's
// write() resolves once the bytes are in the stack's send buffer (waiting for SocketWatch
// 'writable' when it is full).
import type { SockAddr, SocketEventName } from '../stack/types.js';
import { nbAccept, nbConnect, nbRead, nbWrite, type ApiHost } from './host.js';
import { errnoName, fromSocketError, isErrno, systemError } from './errors.js';
import { isIP, stripZone, validatePort } from './ip.js';

const READ_CHUNK = 64 * 1024;

export interface StreamConnectOptions {
  host?: string;
  port: number;
  localAddress?: string;
  localPort?: number;
  /** Disable Nagle (TCP_NODELAY). */
  noDelay?: boolean;
  signal?: AbortSignal;
}

export interface StreamListenOptions {
  port?: number;
  host?: string;
  backlog?: number;
}

export interface StreamConnection {
  readonly readable: ReadableStream<Uint8Array>;
  readonly writable: WritableStream<Uint8Array>;
  readonly remote: SockAddr;
  readonly local: SockAddr;
  /** Resolves when the socket is released (both directions done, or close()/abort()). */
  readonly closed: Promise<void>;
  /** Graceful close: waits for an in-progress write, sends FIN after buffered data, stops
   *  reading and releases the socket. */
  close(): Promise<void>;
  /** Abortive close: RST, buffered data discarded. */
  abort(): void;
}

export interface StreamListener extends AsyncIterable<StreamConnection> {
  readonly local: SockAddr;
  readonly port: number;
  /** Next connection, or null once the listener is closed. */
  accept(): Promise<StreamConnection | null>;
  close(): void;
}

/** Turns a socket's notifications into awaitable signals. */
class Waiters {
  private waiting: Array<() => void> = [];
  wait(): Promise<void> {
    return new Promise((r) => this.waiting.push(r));
  }
  wake(): void {
    const w = this.waiting;
    this.waiting = [];
    for (const r of w) r();
  }
}

class Conn implements StreamConnection {
  readonly readable: ReadableStream<Uint8Array>;
  readonly writable: WritableStream<Uint8Array>;
  readonly closed: Promise<void>;
  local: SockAddr;
  remote: SockAddr;
  private readWait = new Waiters();
  private writeWait = new Waiters();
  private unwatch: () => void;
  private readDone = false;
  private writeDone = false;
  private released = false;
  private error: Error | null = null;
  private inflight: Promise<void> = Promise.resolve();
  private resolveClosed!: () => void;
  private readCtl: ReadableStreamDefaultController<Uint8Array> | null = null;

  constructor(private readonly host: ApiHost, private fd: number, local: SockAddr, remote: SockAddr) {
    this.local = local;
    this.remote = remote;
    this.closed = new Promise((r) => (this.resolveClosed = r));
    this.unwatch = host.sockets.watch(fd, (ev) => this.onEvent(ev));
    this.readable = new ReadableStream<Uint8Array>(
      {
        start: (c) => {
          this.readCtl = c;
        },
        pull: (c) => this.pull(c),
        cancel: () => {
          this.readDone = true;
          if (!this.released) {
            try {
              host.sockets.shutdown(this.fd, 'rd');
            } catch {
              /* ignore */
            }
          }
          this.maybeRelease();
        },
      },
      { highWaterMark: 1 },
    );
    this.writable = new WritableStream<Uint8Array>({
      write: (chunk) => {
        const p = this.write(chunk);
        this.inflight = p.catch(() => {});
        return p;
      },
      close: () => {
        this.shutdownWrite();
      },
      abort: () => {
        this.abort();
      },
    });
  }

  private onEvent(ev: SocketEventName): void {
    if (ev === 'error' || ev === 'closed') {
      if (!this.error && !this.released) {
        try {
          const n = this.host.sockets.getsockopt(this.fd, 'SO_ERROR');
          if (n) this.error = systemError(errnoName(n) ?? 'ECONNRESET', 'read');
        } catch {
          /* ignore */
        }
      }
    }
    this.readWait.wake();
    this.writeWait.wake();
  }

  private async pull(c: ReadableStreamDefaultController<Uint8Array>): Promise<void> {
    for (;;) {
      if (this.released || this.readDone) {
        if (!this.readDone) this.readDone = true;
        try {
          c.close();
        } catch {
          /* already closed */
        }
        return;
      }
      let chunk: Uint8Array | null;
      try {
        chunk = nbRead(this.host.sockets, this.fd, READ_CHUNK);
      } catch (e) {
        if (isErrno(e, 'ENOTCONN') && !this.error) chunk = new Uint8Array(0);
        else return this.fail(c, this.error ?? fromSocketError(e, 'read'));
      }
      if (chunk === null) {
        // EAGAIN: wait for 'readable' (or an error).
        if (this.error) return this.fail(c, this.error);
        await this.readWait.wait();
        continue;
      }
      if (chunk.length === 0) {
        this.readDone = true;
        c.close();
        this.maybeRelease();
        return;
      }
      c.enqueue(chunk);
      return;
    }
  }

  private fail(c: ReadableStreamDefaultController<Uint8Array>, err: Error): void {
    this.readDone = true;
    try {
      c.error(err);
    } catch {
      /* ignore */
    }
    this.maybeRelease();
  }

  private async write(chunk: Uint8Array): Promise<void> {
    if (!(chunk instanceof Uint8Array)) throw new TypeError('StreamConnection.writable accepts Uint8Array chunks');
    let off = 0;
    while (off < chunk.length) {
      if (this.released) throw systemError('EPIPE', 'write');
      let n: number;
      try {
        n = nbWrite(this.host.sockets, this.fd, off === 0 ? chunk : chunk.subarray(off));
      } catch (e) {
        throw this.error ?? fromSocketError(e, 'write');
      }
      if (n > 0) off += n;
      if (off < chunk.length) {
        if (this.error) throw this.error;
        // EAGAIN or a partial write (the send buffer is full): 'writable' follows.
        await this.writeWait.wait();
      }
    }
  }

  private shutdownWrite(): void {
    if (this.writeDone) return;
    this.writeDone = true;
    if (!this.released) {
      try {
        this.host.sockets.shutdown(this.fd, 'wr');
      } catch {
        /* the peer may be gone already */
      }
    }
    this.maybeRelease();
  }

  private maybeRelease(): void {
    if (this.readDone && this.writeDone) this.release();
  }

  private release(): void {
    if (this.released) return;
    this.released = true;
    this.unwatch();
    try {
      this.host.sockets.close(this.fd);
    } catch {
      /* ignore */
    }
    this.readWait.wake();
    this.writeWait.wake();
    this.resolveClosed();
  }

  async close(): Promise<void> {
    await this.inflight;
    this.writeDone = true;
    this.readDone = true;
    if (!this.released) {
      try {
        this.readCtl?.close();
      } catch {
        /* already closed or errored */
      }
    }
    this.release();
  }

  abort(): void {
    if (this.released) return;
    try {
      this.host.sockets.setsockopt(this.fd, 'SO_LINGER', { onoff: true, linger: 0 });
    } catch {
      /* ignore */
    }
    this.readDone = this.writeDone = true;
    try {
      this.readCtl?.error(systemError('ECONNABORTED', 'read'));
    } catch {
      /* ignore */
    }
    this.release();
  }
}

function resolveTarget(host: ApiHost, name: string): string[] {
  const lit = stripZone(name);
  if (isIP(lit)) return [lit];
  return host.lookup(name, 0);
}

/** Active open. Rejects with a Node-style error (ECONNREFUSED, ETIMEDOUT, ENOTFOUND...). */
export async function connectStream(host: ApiHost, opts: StreamConnectOptions): Promise<StreamConnection> {
  const port = validatePort(opts.port, 'options.port');
  const name = opts.host ?? 'localhost';
  const addrs = resolveTarget(host, name);
  if (addrs.length === 0) throw Object.assign(systemError('ENOTFOUND', 'getaddrinfo', name), { errno: -3008 });
  let last: Error | null = null;
  for (const addr of addrs) {
    try {
      return await connectOne(host, addr, port, opts);
    } catch (e) {
      last = e as Error;
      if (opts.signal?.aborted) break;
    }
  }
  throw last!;
}

async function connectOne(host: ApiHost, addr: string, port: number, opts: StreamConnectOptions): Promise<StreamConnection> {
  const s = host.sockets;
  const fam = isIP(addr) as 4 | 6;
  let fd: number;
  try {
    fd = s.socket(fam);
  } catch (e) {
    throw fromSocketError(e, 'connect', addr, port);
  }
  let unwatch: () => void = () => {};
  try {
    if (opts.noDelay) s.setsockopt(fd, 'TCP_NODELAY', true);
    if (opts.localAddress !== undefined || opts.localPort !== undefined) {
      const la = opts.localAddress ?? (fam === 6 ? '::' : '0.0.0.0');
      try {
        s.bind(fd, { addr: la, port: opts.localPort ?? 0 });
      } catch (e) {
        throw fromSocketError(e, 'bind', la, opts.localPort, true);
      }
    }
    let settled: ((err: Error | null) => void) | null = null;
    const done = new Promise<Error | null>((r) => (settled = r));
    unwatch = s.watch(fd, (ev) => {
      if (ev === 'connect') settled?.(null);
      else if (ev === 'error' || ev === 'closed') {
        let code = 'ECONNREFUSED';
        try {
          const n = s.getsockopt(fd, 'SO_ERROR');
          code = errnoName(n) ?? code;
        } catch {
          /* ignore */
        }
        settled?.(systemError(code, 'connect', addr, port));
      }
    });
    const onAbort = () => settled?.(Object.assign(new Error('The operation was aborted'), { name: 'AbortError', code: 'ABORT_ERR' }));
    if (opts.signal?.aborted) onAbort();
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    let inProgress: boolean;
    try {
      inProgress = nbConnect(s, fd, { addr, port });
    } catch (e) {
      throw fromSocketError(e, 'connect', addr, port);
    }
    if (!inProgress) settled!(null);
    const err = await done;
    opts.signal?.removeEventListener('abort', onAbort);
    unwatch();
    if (err) throw err;
    return new Conn(host, fd, s.localAddress(fd), s.remoteAddress(fd));
  } catch (e) {
    unwatch();
    try {
      s.close(fd);
    } catch {
      /* ignore */
    }
    throw e;
  }
}

/** Passive open. Binds and listens synchronously (throws EADDRINUSE etc. at once). */
export function listenStream(host: ApiHost, opts: StreamListenOptions = {}): StreamListener {
  const s = host.sockets;
  const port = validatePort(opts.port ?? 0, 'options.port');
  let addr: string;
  if (opts.host === undefined) addr = host.lookup('localhost', 6).length ? '::' : '0.0.0.0';
  else {
    const found = resolveTarget(host, opts.host);
    if (!found.length) throw Object.assign(systemError('ENOTFOUND', 'getaddrinfo', opts.host), { errno: -3008 });
    addr = found[0];
  }
  const fd = s.socket(isIP(addr) as 4 | 6);
  let local: SockAddr;
  try {
    s.bind(fd, { addr, port });
    s.listen(fd, opts.backlog ?? 511);
    local = s.localAddress(fd);
  } catch (e) {
    try {
      s.close(fd);
    } catch {
      /* ignore */
    }
    throw fromSocketError(e, 'listen', addr, port, true);
  }
  const queue: StreamConnection[] = [];
  const waiting: Array<(c: StreamConnection | null) => void> = [];
  let closed = false;
  const drain = () => {
    while (!closed) {
      let got: { fd: number; remote: SockAddr } | null;
      try {
        got = nbAccept(s, fd);
      } catch {
        return;
      }
      if (!got) return;
      let la: SockAddr;
      try {
        la = s.localAddress(got.fd);
      } catch {
        la = local;
      }
      const conn = new Conn(host, got.fd, la, got.remote);
      const w = waiting.shift();
      if (w) w(conn);
      else queue.push(conn);
    }
  };
  const unwatch = s.watch(fd, (ev) => {
    if (ev === 'accept') drain();
  });
  drain();
  const listener: StreamListener = {
    local,
    port: local.port,
    accept() {
      const c = queue.shift();
      if (c) return Promise.resolve(c);
      if (closed) return Promise.resolve(null);
      return new Promise((r) => waiting.push(r));
    },
    close() {
      if (closed) return;
      closed = true;
      unwatch();
      try {
        s.close(fd);
      } catch {
        /* ignore */
      }
      for (const c of queue.splice(0)) c.abort();
      for (const w of waiting.splice(0)) w(null);
    },
    [Symbol.asyncIterator](): AsyncIterator<StreamConnection> {
      return {
        next: async () => {
          const c = await listener.accept();
          return c ? { value: c, done: false } : { value: undefined, done: true };
        },
        return: async () => {
          listener.close();
          return { value: undefined, done: true };
        },
      };
    },
  };
  return listener;
}
