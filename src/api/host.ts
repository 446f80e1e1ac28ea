// What the API layers (Node `net`, web streams) need from a host: its socket layer with
// notifications, its clock, and name lookup. `Stack` provides it; tests may provide their own.
// Browser-safe.
import { SocketError, type NonBlockingCalls, type SockAddr, type SocketLayer, type SocketWatch } from '../stack/types.js';
import type { Scheduler } from '../sim/types.js';
import { isIP, stripZone } from './ip.js';

export interface ApiHost {
  /** The NonBlockingCalls are used when present (the host stack has them): no exception per
   *  EAGAIN on the data path. Hosts without them get the throwing calls, caught. */
  readonly sockets: SocketLayer & SocketWatch & Partial<NonBlockingCalls>;
  readonly scheduler: Scheduler;
  /** Addresses for a host name (IP literals never reach this), best first; [] when unknown. */
  lookup(name: string, family: 0 | 4 | 6): string[];
  /** Holds the event loop open while a socket or server is active (real time only). */
  readonly loop: LoopHold;
}

type ApiSockets = ApiHost['sockets'];

function wouldBlock(e: unknown): boolean {
  return e instanceof SocketError && e.code === 'EAGAIN';
}

/** read() that returns null for EAGAIN. */
export function nbRead(s: ApiSockets, fd: number, n: number): Uint8Array | null {
  if (s.tryRead) return s.tryRead(fd, n);
  try {
    return s.read(fd, n);
  } catch (e) {
    if (wouldBlock(e)) return null;
    throw e;
  }
}

/** write() that returns a negative number for EAGAIN. */
export function nbWrite(s: ApiSockets, fd: number, data: Uint8Array): number {
  if (s.tryWrite) return s.tryWrite(fd, data);
  try {
    return s.write(fd, data);
  } catch (e) {
    if (wouldBlock(e)) return -1;
    throw e;
  }
}

/** accept() that returns null for EAGAIN. */
export function nbAccept(s: ApiSockets, fd: number): { fd: number; remote: SockAddr } | null {
  if (s.tryAccept) return s.tryAccept(fd);
  try {
    return s.accept(fd);
  } catch (e) {
    if (wouldBlock(e)) return null;
    throw e;
  }
}

/** connect() without the EINPROGRESS exception: true when in progress (a 'connect' or
 *  'error' notification follows), false when a host's connect() completed synchronously. */
export function nbConnect(s: ApiSockets, fd: number, addr: SockAddr): boolean {
  if (s.tryConnect) {
    s.tryConnect(fd, addr);
    return true;
  }
  try {
    s.connect(fd, addr);
  } catch (e) {
    if (e instanceof SocketError && e.code === 'EINPROGRESS') return true;
    throw e;
  }
  return false;
}

/** A reference count that keeps the JS event loop alive while anything holds it, like Node's
 *  ref'd handles. In virtual time nothing is held: the test drives the clock. */
export class LoopHold {
  private count = 0;
  private handle: ReturnType<typeof setInterval> | null = null;
  constructor(readonly enabled: boolean) {}

  /** Take one reference; returns its release function (idempotent). */
  hold(): () => void {
    if (!this.enabled) return () => {};
    this.count++;
    if (this.handle === null) this.handle = setInterval(() => {}, 1 << 30);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      if (--this.count === 0 && this.handle !== null) {
        clearInterval(this.handle);
        this.handle = null;
      }
    };
  }

  get held(): number {
    return this.count;
  }
}

/** A host table: names to addresses, with `localhost` built in. */
export class HostTable {
  private names = new Map<string, string[]>();

  add(name: string, addrs: string[]): void {
    const key = name.toLowerCase();
    const cur = this.names.get(key) ?? [];
    for (const a of addrs) if (!cur.includes(a)) cur.push(a);
    this.names.set(key, cur);
  }

  lookup(name: string, family: 0 | 4 | 6, localFamilies: { v4: boolean; v6: boolean }): string[] {
    const key = name.toLowerCase().replace(/\.$/, '');
    let addrs: string[];
    if (key === 'localhost' || key.endsWith('.localhost')) {
      addrs = [];
      if (localFamilies.v4) addrs.push('127.0.0.1');
      if (localFamilies.v6) addrs.push('::1');
    } else {
      addrs = this.names.get(key) ?? [];
    }
    return family === 0 ? addrs.slice() : addrs.filter((a) => isIP(stripZone(a)) === family);
  }
}
