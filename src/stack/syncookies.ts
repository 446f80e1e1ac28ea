// SYN cookies (RFC 4987 3.6; the Linux/FreeBSD scheme): when a listener's SYN queue is full the
// host keeps no state for a new SYN and answers with a SYN,ACK whose sequence number encodes
// what it needs to rebuild the connection when the final ACK comes back:
//
//   ISN = H1(key, 4-tuple) + SEG.SEQ(peer ISN) + (count << 24)
//         + ((H2(key, 4-tuple, count) + mssIndex) mod 2^24)
//
// `count` is a coarse clock (64 s slots, 8 bits). On the ACK, ISN = SEG.ACK - 1 and the peer ISN
// = SEG.SEQ - 1; subtracting H1 and the peer ISN gives count in the top byte (accepted when it
// is the current or the previous slot) and, after subtracting H2, the MSS index (3 bits used;
// anything else means a forged or stale ACK). H1 and H2 are SipHash-2-4 under a boot secret
// (RFC 6528's keyed hash), so an off-path attacker cannot forge a cookie.
//
// Options a cookie cannot hold are carried, like Linux, in the low bits of our TSval when the
// peer offered timestamps (its ACK echoes them in TSecr): the peer's window scale (4 bits, 15 =
// none) and SACK-permitted (1 bit). Without timestamps a cookie connection has no window
// scaling and no SACK. Browser-safe: no node: imports.
import { siphash24 } from '../tcp/isn.js';
import { ACK, RST, SYN, type Segment, type SegmentOptions } from '../wire/types.js';
import { parseAddr } from '../wire/addr.js';
import { scaledBuffers, type ConnectionConfig } from '../tcp/types.js';
import type { HostStack, Listener, SynCookieHook } from './host.js';

/** MSS values a cookie can encode (Linux msstab plus the IPv6 minimum and jumbo frames). */
export const COOKIE_MSS = [536, 1220, 1300, 1440, 1460, 4312, 8960] as const;
/** Length of one cookie time slot, ms (Linux counts minutes; 64 s keeps it a power of two). */
export const COOKIE_SLOT_MS = 64_000;
/** TSval bits that carry the peer's options: 4 for the window scale, 1 for SACK-permitted. */
const TS_BITS = 5;
const TS_MASK = (1 << TS_BITS) - 1;
const WS_NONE = 15;

export interface CookieTuple {
  /** Address bytes (4 or 16). */
  src: Uint8Array;
  dst: Uint8Array;
  srcPort: number;
  dstPort: number;
}

function tupleBytes(t: CookieTuple, count: number | null): Uint8Array {
  const n = t.src.length + t.dst.length;
  const m = new Uint8Array(n + 4 + (count === null ? 0 : 2));
  m.set(t.src, 0);
  m.set(t.dst, t.src.length);
  m[n] = t.srcPort >>> 8;
  m[n + 1] = t.srcPort & 0xff;
  m[n + 2] = t.dstPort >>> 8;
  m[n + 3] = t.dstPort & 0xff;
  if (count !== null) {
    m[n + 4] = 0xc0; // domain separation from H1
    m[n + 5] = count & 0xff;
  }
  return m;
}

function h1(key: Uint8Array, t: CookieTuple): number {
  return Number(siphash24(key, tupleBytes(t, null)) & 0xffffffffn);
}

function h2(key: Uint8Array, t: CookieTuple, count: number): number {
  return Number(siphash24(key, tupleBytes(t, count)) & 0xffffffn);
}

/** The 8-bit time counter for `now` (ms). */
export function cookieCount(now: number): number {
  return Math.floor(now / COOKIE_SLOT_MS) & 0xff;
}

/** Index of the largest encodable MSS not above the peer's (0 when the peer's is tiny). */
export function mssIndex(peerMss: number): number {
  let i = 0;
  for (let k = 0; k < COOKIE_MSS.length; k++) if (COOKIE_MSS[k] <= peerMss) i = k;
  return i;
}

/** The cookie (our ISN) for a SYN with sequence number `peerIsn` from `t.src:t.srcPort`. */
export function makeCookie(key: Uint8Array, t: CookieTuple, peerIsn: number, mssIdx: number, now: number): number {
  if (key.length !== 16) throw new RangeError('SYN cookie key must be 16 bytes');
  const count = cookieCount(now);
  return (h1(key, t) + peerIsn + count * 0x1000000 + ((h2(key, t, count) + mssIdx) & 0xffffff)) >>> 0;
}

/** Checks the cookie echoed in a final ACK (`cookie` = SEG.ACK - 1, `peerIsn` = SEG.SEQ - 1).
 *  Returns the MSS index, or null for a forged, mangled or stale cookie (older than the
 *  previous time slot). */
export function checkCookie(key: Uint8Array, t: CookieTuple, peerIsn: number, cookie: number, now: number): number | null {
  const v = (cookie - h1(key, t) - peerIsn) >>> 0;
  const count = v >>> 24;
  const age = (cookieCount(now) - count) & 0xff;
  if (age > 1) return null; // RFC 4987 3.6: "tolerate the previous time slot"
  const idx = ((v & 0xffffff) - h2(key, t, count)) & 0xffffff;
  return idx < COOKIE_MSS.length ? idx : null;
}

/** Our TSval for a cookie SYN,ACK: never above `nowTs` (so the connection's later TSvals only
 *  grow, RFC 7323 PAWS), with the peer's window scale and SACK-permitted in the low bits. */
export function encodeTsOptions(nowTs: number, wscale: number | undefined, sack: boolean): number {
  const ws = wscale === undefined ? WS_NONE : Math.min(14, wscale);
  const bits = (ws << 1) | (sack ? 1 : 0);
  return ((((nowTs >>> 0) & ~TS_MASK) - (TS_MASK + 1) + bits) >>> 0);
}

export function decodeTsOptions(ecr: number): { wscale: number | undefined; sack: boolean } {
  const bits = ecr & TS_MASK;
  const ws = bits >>> 1;
  return { wscale: ws === WS_NONE ? undefined : ws, sack: (bits & 1) === 1 };
}

/** Our window shift for a receive buffer (the same rule as tcp/connection.ts). */
function shiftFor(c: ConnectionConfig): number {
  let shift = 0;
  const rcvBuf = scaledBuffers(c).rcvBuf; // as the Connection will size it
  if (c.windowScaling) while (shift < 14 && 65535 * 2 ** shift < rcvBuf) shift++;
  return shift;
}

/** The cookie key: SipHash of a label under the host's boot secret (so the ISN key itself is
 *  never used twice). */
export function deriveCookieKey(secret: Uint8Array): Uint8Array {
  const key = new Uint8Array(16);
  const label = new TextEncoder().encode('synack syncookies');
  for (let half = 0; half < 2; half++) {
    label[0] = half;
    let v = siphash24(secret.subarray(0, 16), label);
    for (let i = 0; i < 8; i++) {
      key[half * 8 + i] = Number(v & 0xffn);
      v >>= 8n;
    }
  }
  return key;
}

/** The host's SYN cookie hook (counters: HostCounters.syncookiesSent/Recv/Failed) (on by default, like net.ipv4.tcp_syncookies = 1: only used
 *  when a listener's SYN queue is full). */
export class SynCookies implements SynCookieHook {
  /** Last time a cookie was sent (per listener): ACKs are checked for cookies only within two
   *  slots of it (Linux tcp_synq_no_recent_overflow), so ordinary stray ACKs cost no hashing. */
  private readonly lastSent = new WeakMap<Listener, number>();

  constructor(
    private readonly host: HostStack,
    private readonly key: Uint8Array,
  ) {
    if (key.length !== 16) throw new RangeError('SYN cookie key must be 16 bytes');
  }

  private tuple(ip: { src: string; dst: string }, seg: Segment): CookieTuple {
    return { src: parseAddr(ip.src)!.bytes, dst: parseAddr(ip.dst)!.bytes, srcPort: seg.srcPort, dstPort: seg.dstPort };
  }

  private ourMss(l: Listener, family: 4 | 6, peer: string, local: string): number {
    const r = this.host.route(peer, local);
    return this.host.configFor(l.config, family, r ? r.mtu : 1500, l.mssClamp).mss;
  }

  synQueueFull(l: Listener, ip: { src: string; dst: string; family: 4 | 6 }, syn: Segment): boolean {
    if (syn.flags & (ACK | RST)) return false;
    const now = this.host.now();
    const t = this.tuple(ip, syn);
    const peerMss = syn.options.mss ?? (ip.family === 6 ? 1220 : 536);
    const idx = mssIndex(peerMss);
    const cookie = makeCookie(this.key, t, syn.seq, idx, now);
    const c = l.config;
    const o: SegmentOptions = { mss: this.ourMss(l, ip.family, ip.src, ip.dst) };
    const ts = syn.options.timestamp;
    if (ts && c.timestamps) {
      // Linux order: MSS, SACK-permitted, timestamps, window scale.
      const sack = c.sack && syn.options.sackPermitted === true;
      const ws = c.windowScaling ? syn.options.wscale : undefined;
      if (sack) o.sackPermitted = true;
      o.timestamp = { val: encodeTsOptions(Math.floor(now), ws, sack), ecr: ts.val };
      if (ws !== undefined) o.wscale = shiftFor(c);
    }
    const seg: Segment = {
      srcPort: syn.dstPort,
      dstPort: syn.srcPort,
      seq: cookie,
      ack: (syn.seq + 1) >>> 0,
      flags: SYN | ACK,
      // RFC 7323 2.2: the window in a SYN,ACK is never scaled.
      window: Math.min(c.rcvBuf, 65535),
      urgent: 0,
      options: o,
      payload: new Uint8Array(0),
    };
    this.lastSent.set(l, now);
    this.host.bumpCounter('syncookiesSent');
    this.host.sendRaw(ip.family, ip.dst, ip.src, seg);
    return true;
  }

  ackToListener(l: Listener, ip: { src: string; dst: string; family: 4 | 6 }, ack: Segment): boolean {
    if (ack.flags & (SYN | RST)) return false;
    const now = this.host.now();
    const last = this.lastSent.get(l);
    if (last === undefined || now - last > 2 * COOKIE_SLOT_MS) return false;
    const t = this.tuple(ip, ack);
    const peerIsn = (ack.seq - 1) >>> 0;
    const iss = (ack.ack - 1) >>> 0;
    const idx = checkCookie(this.key, t, peerIsn, iss, now);
    if (idx === null) {
      this.host.bumpCounter('syncookiesFailed');
      return false;
    }
    if (l.acceptQueueFull || this.host.connectionCount >= this.host.limits.maxConnections) {
      // Like Linux: the ACK is dropped; the peer retransmits and may find room later.
      this.host.countDrop('tcp', l.acceptQueueFull ? 'listen-overflow' : 'connection-limit');
      return true;
    }
    this.host.bumpCounter('syncookiesRecv');
    // Rebuild the SYN the peer sent (as far as the cookie remembers it) and replay it into a
    // fresh child with ISS = the cookie; its SYN,ACK was already sent (the cookie one), so the
    // child is quiet while it replays. Then the real ACK completes the handshake.
    const opts: SegmentOptions = { mss: COOKIE_MSS[idx] };
    const ts = ack.options.timestamp;
    if (ts && l.config.timestamps) {
      const d = decodeTsOptions(ts.ecr);
      if (d.wscale !== undefined) opts.wscale = d.wscale;
      if (d.sack) opts.sackPermitted = true;
      opts.timestamp = { val: ts.val, ecr: 0 };
    }
    const syn: Segment = { srcPort: ack.srcPort, dstPort: ack.dstPort, seq: peerIsn, ack: 0, flags: SYN, window: ack.window, urgent: 0, options: opts, payload: new Uint8Array(0) };
    const e = this.host.adoptChild(l, ip.family, { addr: ip.dst, port: ack.dstPort }, { addr: ip.src, port: ack.srcPort }, iss);
    e.quiet = true;
    this.host.withConn(e, (c, n) => {
      c.openPassive(n);
      c.segmentArrives(syn, n);
    });
    e.quiet = false;
    if (!e.removed) this.host.withConn(e, (c, n) => c.segmentArrives(ack, n));
    if (!e.removed && e.state === 'SYN-RECEIVED') {
      // The ACK did not complete the handshake after all: keep no state.
      this.host.withConn(e, (c, n) => c.abort(n));
    }
    return true;
  }
}
