// Shared setup for the API tests: a virtual-time LAN with a client and a server host, for IPv4
// and IPv6 alike (each test file runs its cases once per family).
import type { EventEmitter } from 'node:events';
import { Network, type NetworkOptions } from '../../src/index.js';
import type { Stack } from '../../src/api/stack.js';

export const FAMILIES = [
  { family: 4 as const, name: 'IPv4', client: '10.0.0.1', server: '10.0.0.2', other: '10.0.0.99' },
  { family: 6 as const, name: 'IPv6', client: 'fd00::1', server: 'fd00::2', other: 'fd00::99' },
];
export type Fam = (typeof FAMILIES)[number];

export interface Lan {
  network: Network;
  client: Stack;
  server: Stack;
}

export function lan(opts: NetworkOptions = {}): Lan {
  const network = new Network({ seed: 1, virtual: true, delay: '1ms', ...opts });
  const client = network.host({ name: 'client', addresses: ['10.0.0.1/24', 'fd00::1/64'] });
  const server = network.host({ name: 'server', addresses: ['10.0.0.2/24', 'fd00::2/64'] });
  return { network, client, server };
}

/** Resolves on the event, never rejects on 'error' (unlike events.once). */
export function on<T = unknown>(em: EventEmitter, ev: string): Promise<T> {
  return new Promise((r) => em.once(ev, (x: T) => r(x)));
}

export function pattern(n: number, seed = 0): Uint8Array {
  const b = new Uint8Array(n);
  let x = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    b[i] = x & 0xff;
  }
  return b;
}
