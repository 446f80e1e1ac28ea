// Local port bookkeeping: who uses which port (for EADDRINUSE / SO_REUSEADDR as Linux has them),
// bind(port 0) allocation, and RFC 6056 ephemeral port selection for connect().
import type { Rng } from '../sim/types.js';

/** Linux's default net.ipv4.ip_local_port_range. */
export const EPHEMERAL_MIN = 32768;
export const EPHEMERAL_MAX = 60999;

/** Something holding a local port: a bound or listening socket, or a connection (including an
 *  orphaned one in TIME-WAIT). */
export interface PortUser {
  /** Local address; '0.0.0.0' or '::' for the wildcard. */
  readonly addr: string;
  readonly reuseAddr: boolean;
  readonly reusePort: boolean;
  /** True when the port was picked by connect() (RFC 6056), not bound explicitly. */
  readonly ephemeral: boolean;
  kind(): 'bound' | 'listen' | 'conn' | 'time-wait';
  /** IP header fields (IP_TOS, IP_TTL ...) for a RST answering a segment to this bound socket. */
  ipFields?(): IpFields;
}

/** Per-socket IP header fields: TOS / Traffic Class byte and TTL / hop limit (absent: default). */
export interface IpFields {
  tos?: number;
  ttl?: number;
}

export function isWildcard(addr: string): boolean {
  return addr === '0.0.0.0' || addr === '::';
}

function isV6(addr: string): boolean {
  return addr.includes(':');
}

/** Do two local addresses overlap? '::' is dual-stack (it also covers IPv4, like Linux with
 *  net.ipv6.bindv6only=0); '0.0.0.0' covers every IPv4 address. */
export function addrsOverlap(a: string, b: string): boolean {
  if (a === b) return true;
  if (a === '::' || b === '::') return true;
  if (a === '0.0.0.0') return !isV6(b);
  if (b === '0.0.0.0') return !isV6(a);
  return false;
}

/** 32-bit keyed hash (murmur3 mixing over the string's UTF-16 units, seeded by a secret).
 *  Stands in for RFC 6056's F() (MD5 there): unpredictable without the secret, cheap, sync. */
export function keyedHash(s: string, secret: Uint32Array): number {
  let h = secret[0] ^ s.length;
  for (let i = 0; i < s.length; i++) {
    let k = s.charCodeAt(i) ^ secret[(i & 3)];
    k = Math.imul(k, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, 0x1b873593);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  h ^= secret[1];
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

export class PortTable {
  private users = new Map<number, Set<PortUser>>();
  private readonly secret: Uint32Array;
  /** RFC 6056 Algorithm 3 `next_ephemeral`. */
  private nextEphemeral: number;

  constructor(
    private readonly rng: Rng,
    readonly min = EPHEMERAL_MIN,
    readonly max = EPHEMERAL_MAX,
  ) {
    this.secret = new Uint32Array([rng.nextU32(), rng.nextU32(), rng.nextU32(), rng.nextU32()]);
    this.nextEphemeral = rng.nextU32() % (max - min + 1);
  }

  add(port: number, u: PortUser): void {
    let s = this.users.get(port);
    if (!s) this.users.set(port, (s = new Set()));
    s.add(u);
  }

  delete(port: number, u: PortUser): void {
    const s = this.users.get(port);
    if (!s) return;
    s.delete(u);
    if (s.size === 0) this.users.delete(port);
  }

  usersOf(port: number): ReadonlySet<PortUser> {
    return this.users.get(port) ?? new Set();
  }

  get portsInUse(): number {
    return this.users.size;
  }

  /** Linux inet_csk_bind_conflict semantics. A candidate (about to bind, or about to listen)
   *  conflicts with an overlapping user unless both set SO_REUSEPORT, or both set SO_REUSEADDR
   *  and the other one is not listening, or the other is in TIME-WAIT and the candidate set
   *  SO_REUSEADDR. `self` is skipped (a socket re-checking at listen time). */
  conflict(port: number, cand: { addr: string; reuseAddr: boolean; reusePort: boolean }, self?: PortUser): boolean {
    const s = this.users.get(port);
    if (!s) return false;
    for (const u of s) {
      if (u === self || !addrsOverlap(u.addr, cand.addr)) continue;
      if (cand.reusePort && u.reusePort) continue;
      const k = u.kind();
      if (cand.reuseAddr && k === 'time-wait') continue;
      if (cand.reuseAddr && u.reuseAddr && k !== 'listen') continue;
      return true;
    }
    return false;
  }

  /** bind(port 0): a port in the ephemeral range nobody uses, starting at a random point. */
  allocateForBind(): number | null {
    const n = this.max - this.min + 1;
    const start = this.rng.nextU32() % n;
    for (let i = 0; i < n; i++) {
      const port = this.min + ((start + i) % n);
      if (!this.users.has(port)) return port;
    }
    return null;
  }

  /** RFC 6056 3.3.3 Algorithm 3 (simple hash-based): offset = F(laddr, raddr, rport, secret),
   *  port = min + (offset + next_ephemeral) % num_ephemeral. A port qualifies when every user of
   *  it also came from connect() (never a bound or listening socket) and `tupleFree(port)` says
   *  the 4-tuple is not in use (including TIME-WAIT). */
  allocateForConnect(laddr: string, raddr: string, rport: number, tupleFree: (port: number) => boolean): number | null {
    const n = this.max - this.min + 1;
    const offset = keyedHash(`${laddr}|${raddr}|${rport}`, this.secret);
    for (let count = 0; count < n; count++) {
      const port = this.min + ((offset + this.nextEphemeral) % n);
      this.nextEphemeral = (this.nextEphemeral + 1) % n;
      const s = this.users.get(port);
      let ok = true;
      if (s) {
        for (const u of s) {
          if (!u.ephemeral) {
            ok = false;
            break;
          }
        }
      }
      if (ok && tupleFree(port)) return port;
    }
    return null;
  }
}
