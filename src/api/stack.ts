// `Stack`: a HostStack with the application-facing APIs on top. Browser-safe: the Node `net`
// module (`stack.net`) is attached by the Node entry (src/index.ts registers it), so importing
// this file never pulls in node: modules.
//
//   const stack = new Stack();         // loopback 127.0.0.1/8 and ::1, real time
//   const { net } = stack;             // drop-in for node:net (Node only)
//   const conn = await stack.connect({ host: '127.0.0.1', port: 80 });   // web streams
import { HostStack, type HostStackOptions } from '../stack/host.js';
import type { Scheduler } from '../sim/types.js';
import { RealTimeScheduler } from '../sim/realtime.js';
import type { NetModule } from './net.js';
import { HostTable, LoopHold, type ApiHost } from './host.js';
import {
  connectStream, listenStream, type StreamConnectOptions, type StreamConnection, type StreamListenOptions,
  type StreamListener,
} from './streams.js';

export interface StackOptions extends Partial<Omit<HostStackOptions, 'scheduler'>> {
  /** Clock and timers. Default: a RealTimeScheduler (Node's event loop / the browser's). */
  scheduler?: Scheduler;
  /** Seed for the host's randomness (ISNs, ephemeral ports), when `rng` is not given. */
  seed?: number | string;
  /** Names this host resolves (shared by every host of a Network). */
  hosts?: HostTable;
  /** Keep Node's event loop alive while sockets or servers are open, as node:net does.
   *  Default: true with a real-time scheduler, false otherwise (virtual time is driven). */
  holdEventLoop?: boolean;
}

type NetFactory = (host: ApiHost) => NetModule;
let netFactory: NetFactory | null = null;

/** Called by the Node entry point to make `stack.net` available. */
export function registerNet(factory: NetFactory): void {
  netFactory = factory;
}

export class Stack extends HostStack implements ApiHost {
  readonly hosts: HostTable;
  readonly loop: LoopHold;
  private netModule: NetModule | null = null;

  constructor(opts: StackOptions = {}) {
    const scheduler = opts.scheduler ?? new RealTimeScheduler();
    const { seed, hosts, holdEventLoop, ...rest } = opts;
    super({ ...rest, scheduler, rng: opts.rng ?? seed });
    this.hosts = hosts ?? new HostTable();
    this.loop = new LoopHold(holdEventLoop ?? scheduler instanceof RealTimeScheduler);
  }

  /** A node:net-compatible module bound to this host (Node only). */
  get net(): NetModule {
    if (!this.netModule) {
      if (!netFactory) {
        throw new Error("stack.net needs Node's stream module: import { Stack } from 'synack' (the Node entry), not 'synack/browser'");
      }
      this.netModule = netFactory(this);
    }
    return this.netModule;
  }

  /** Addresses for a host name: 'localhost' maps to this host's loopback addresses, other
   *  names come from the host table (a Network registers its hosts' names). */
  lookup(name: string, family: 0 | 4 | 6): string[] {
    let v4 = false;
    let v6 = false;
    for (const i of this.interfaces()) {
      if (!i.loopback) continue;
      for (const a of i.addrs) {
        if (a.family === 4) v4 = true;
        else v6 = true;
      }
    }
    return this.hosts.lookup(name, family, { v4, v6 });
  }

  /** Web streams: open a connection. */
  connect(opts: StreamConnectOptions): Promise<StreamConnection> {
    return connectStream(this, opts);
  }

  /** Web streams: listen; iterate the result with `for await` to accept connections. */
  listen(opts: StreamListenOptions = {}): StreamListener {
    return listenStream(this, opts);
  }
}
