// What the API layers (Node `net`, web streams) need from a host: its socket layer with
// notifications, its clock, and name lookup. `Stack` provides it; tests may provide their own.
// Browser-safe.
import type { SocketLayer, SocketWatch } from '../stack/types.js';
import type { Scheduler } from '../sim/types.js';
import { isIP, stripZone } from './ip.js';

export interface ApiHost {
  readonly sockets: SocketLayer & SocketWatch;
  readonly scheduler: Scheduler;
  /** Addresses for a host name (IP literals never reach this), best first; [] when unknown. */
  lookup(name: string, family: 0 | 4 | 6): string[];
  /** Holds the event loop open while a socket or server is active (real time only). */
  readonly loop: LoopHold;
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
