// ICMPv4 (RFC 792, RFC 1191) and ICMPv6 (RFC 4443) parse/emit, with access to the quoted
// original datagram of error messages (IP header + first 8 bytes of TCP) for the host stack.
import { checksumValid, finish, pseudoSumV6, sum16 } from './checksum.js';
import { PROTO_ICMPV6 } from './ipv4.js';
import { NH_DEST_OPTIONS, NH_HOP_BY_HOP, NH_ROUTING } from './ipv6.js';
import { fail, ok, type WireResult } from './result.js';

// ICMPv4 types (RFC 792).
export const ICMP_ECHO_REPLY = 0;
export const ICMP_DEST_UNREACHABLE = 3;
export const ICMP_ECHO_REQUEST = 8;
export const ICMP_TIME_EXCEEDED = 11;
/** Destination unreachable codes (RFC 792, RFC 1122 3.2.2.1, RFC 1812 5.2.7.1). */
export const ICMP_UNREACH = {
  net: 0,
  host: 1,
  protocol: 2,
  port: 3,
  fragNeeded: 4, // RFC 1191 4: carries the next-hop MTU
  sourceRouteFailed: 5,
  netUnknown: 6,
  hostUnknown: 7,
  sourceHostIsolated: 8,
  netProhibited: 9,
  hostProhibited: 10,
  netTos: 11,
  hostTos: 12,
  adminProhibited: 13,
  hostPrecedence: 14,
  precedenceCutoff: 15,
} as const;

// ICMPv6 types (RFC 4443 2.1).
export const ICMPV6_DEST_UNREACHABLE = 1;
export const ICMPV6_PACKET_TOO_BIG = 2;
export const ICMPV6_TIME_EXCEEDED = 3;
export const ICMPV6_PARAM_PROBLEM = 4;
export const ICMPV6_ECHO_REQUEST = 128;
export const ICMPV6_ECHO_REPLY = 129;
/** RFC 4443 3.1 destination unreachable codes. */
export const ICMPV6_UNREACH = {
  noRoute: 0,
  adminProhibited: 1,
  beyondScope: 2,
  address: 3,
  port: 4,
  sourcePolicy: 5,
  rejectRoute: 6,
} as const;

export type IcmpKind = 'echoRequest' | 'echoReply' | 'destUnreachable' | 'packetTooBig' | 'timeExceeded' | 'other';

/** The original datagram quoted in an error message, as much as could be read. */
export interface IcmpQuote {
  version: 4 | 6;
  src: Uint8Array;
  dst: Uint8Array;
  protocol: number;
  /** First 8 bytes of the transport header, when present: ports, and seq for TCP. */
  srcPort?: number;
  dstPort?: number;
  seq?: number;
}

export interface IcmpHeader {
  family: 4 | 6;
  type: number;
  code: number;
  checksum: number;
  kind: IcmpKind;
  /** Bytes 4..7 of the message, raw ("rest of header"). */
  rest: number;
  /** Echo identifier and sequence number. */
  id?: number;
  seq?: number;
  /** Next-hop MTU (v4 frag-needed, RFC 1191 4) or MTU (v6 packet too big, RFC 4443 3.2). */
  mtu?: number;
  /** Everything after the 8-byte header: echo data, or the quoted datagram (subarray). */
  body: Uint8Array;
  /** Parsed quote for error messages (absent when unreadable). */
  quote?: IcmpQuote;
}

/** Fields to emit: rest is derived from id/seq or mtu when given. */
export interface IcmpInit {
  type: number;
  code?: number;
  id?: number;
  seq?: number;
  mtu?: number;
  rest?: number;
  body?: Uint8Array;
}

function u16(b: Uint8Array, i: number): number {
  return (b[i] << 8) | b[i + 1];
}

function u32(b: Uint8Array, i: number): number {
  return ((b[i] << 24) | (b[i + 1] << 16) | (b[i + 2] << 8) | b[i + 3]) >>> 0;
}

/** Reads the quoted datagram leniently (it is usually truncated). */
export function parseQuote(q: Uint8Array): IcmpQuote | undefined {
  if (q.length < 1) return undefined;
  const v = q[0] >> 4;
  let off: number;
  let quote: IcmpQuote;
  if (v === 4) {
    const hl = (q[0] & 0x0f) * 4;
    if (q.length < 20 || hl < 20 || hl > q.length) return undefined;
    quote = { version: 4, src: q.subarray(12, 16), dst: q.subarray(16, 20), protocol: q[9] };
    off = hl;
    // A non-first fragment quotes no transport header.
    if (((q[6] & 0x1f) << 8) | q[7]) return quote;
  } else if (v === 6) {
    if (q.length < 40) return undefined;
    let nh = q[6];
    off = 40;
    while ((nh === NH_HOP_BY_HOP || nh === NH_ROUTING || nh === NH_DEST_OPTIONS) && off + 8 <= q.length) {
      const next = q[off];
      off += (q[off + 1] + 1) * 8;
      nh = next;
    }
    quote = { version: 6, src: q.subarray(8, 24), dst: q.subarray(24, 40), protocol: nh };
  } else {
    return undefined;
  }
  if (off + 4 <= q.length) {
    quote.srcPort = u16(q, off);
    quote.dstPort = u16(q, off + 2);
  }
  if (quote.protocol === 6 && off + 8 <= q.length) quote.seq = u32(q, off + 4);
  return quote;
}

function kindV4(type: number): IcmpKind {
  switch (type) {
    case ICMP_ECHO_REQUEST:
      return 'echoRequest';
    case ICMP_ECHO_REPLY:
      return 'echoReply';
    case ICMP_DEST_UNREACHABLE:
      return 'destUnreachable';
    case ICMP_TIME_EXCEEDED:
      return 'timeExceeded';
    default:
      return 'other';
  }
}

function kindV6(type: number): IcmpKind {
  switch (type) {
    case ICMPV6_ECHO_REQUEST:
      return 'echoRequest';
    case ICMPV6_ECHO_REPLY:
      return 'echoReply';
    case ICMPV6_DEST_UNREACHABLE:
      return 'destUnreachable';
    case ICMPV6_PACKET_TOO_BIG:
      return 'packetTooBig';
    case ICMPV6_TIME_EXCEEDED:
      return 'timeExceeded';
    default:
      return 'other';
  }
}

function build(family: 4 | 6, bytes: Uint8Array): IcmpHeader {
  const type = bytes[0];
  const code = bytes[1];
  const kind = family === 4 ? kindV4(type) : kindV6(type);
  const rest = u32(bytes, 4);
  const body = bytes.subarray(8);
  const h: IcmpHeader = { family, type, code, checksum: u16(bytes, 2), kind, rest, body };
  if (kind === 'echoRequest' || kind === 'echoReply') {
    h.id = rest >>> 16;
    h.seq = rest & 0xffff;
  } else if (kind !== 'other') {
    if (family === 4 && kind === 'destUnreachable' && code === ICMP_UNREACH.fragNeeded) h.mtu = rest & 0xffff;
    if (kind === 'packetTooBig') h.mtu = rest;
    const q = parseQuote(body);
    if (q) h.quote = q;
  } else if (family === 6 && type === ICMPV6_PARAM_PROBLEM) {
    const q = parseQuote(body);
    if (q) h.quote = q;
  }
  return h;
}

/** ICMPv4 message (the IPv4 payload). RFC 792: checksum over the whole message. */
export function parseIcmp(bytes: Uint8Array, opts: { verifyChecksum?: boolean } = {}): WireResult<IcmpHeader> {
  if (bytes.length < 8) return fail('icmp', 'header', 'truncated');
  if (opts.verifyChecksum !== false && !checksumValid(bytes)) return fail('icmp', 'checksum', 'bad-checksum');
  return ok(build(4, bytes));
}

/** ICMPv6 message; with `pseudo` the checksum covers the RFC 8200 8.1 pseudo-header (RFC 4443 2.3). */
export function parseIcmpv6(bytes: Uint8Array, pseudo?: { src: Uint8Array; dst: Uint8Array }): WireResult<IcmpHeader> {
  if (bytes.length < 8) return fail('icmpv6', 'header', 'truncated');
  if (pseudo && !checksumValid(bytes, 0, bytes.length, pseudoSumV6(pseudo.src, pseudo.dst, PROTO_ICMPV6, bytes.length))) {
    return fail('icmpv6', 'checksum', 'bad-checksum');
  }
  return ok(build(6, bytes));
}

function restOf(m: IcmpInit, family: 4 | 6): number {
  if (m.id !== undefined || m.seq !== undefined) return (((m.id ?? 0) & 0xffff) << 16 | ((m.seq ?? 0) & 0xffff)) >>> 0;
  if (m.mtu !== undefined) return family === 4 ? m.mtu & 0xffff : m.mtu >>> 0;
  return (m.rest ?? 0) >>> 0;
}

/** Length of the message. */
export function icmpLength(m: IcmpInit): number {
  return 8 + (m.body ? m.body.length : 0);
}

/**
 * Writes the message at out[offset..]; returns its length. For ICMPv6 pass src/dst (pseudo-header);
 * for ICMPv4 leave them undefined.
 */
export function writeIcmp(m: IcmpInit, family: 4 | 6, out: Uint8Array, offset: number, src?: Uint8Array, dst?: Uint8Array): number {
  const len = icmpLength(m);
  const rest = restOf(m, family);
  out[offset] = m.type & 0xff;
  out[offset + 1] = (m.code ?? 0) & 0xff;
  out[offset + 2] = 0;
  out[offset + 3] = 0;
  out[offset + 4] = rest >>> 24;
  out[offset + 5] = (rest >>> 16) & 0xff;
  out[offset + 6] = (rest >>> 8) & 0xff;
  out[offset + 7] = rest & 0xff;
  if (m.body) out.set(m.body, offset + 8);
  const init = family === 6 && src && dst ? pseudoSumV6(src, dst, PROTO_ICMPV6, len) : 0;
  const c = finish(sum16(out, offset, offset + len, init));
  out[offset + 2] = c >> 8;
  out[offset + 3] = c & 0xff;
  return len;
}

export function emitIcmp(m: IcmpInit): Uint8Array {
  const out = new Uint8Array(icmpLength(m));
  writeIcmp(m, 4, out, 0);
  return out;
}

export function emitIcmpv6(m: IcmpInit, src: Uint8Array, dst: Uint8Array): Uint8Array {
  const out = new Uint8Array(icmpLength(m));
  writeIcmp(m, 6, out, 0, src, dst);
  return out;
}

/**
 * The quote to put in an error about `original` (an IP datagram): RFC 792 says the IP header + 64
 * bits (RFC 1812 4.3.2.3 allows more); ICMPv6 quotes as much as fits in 1280 bytes (RFC 4443 2.4(c)).
 */
export function quoteOf(original: Uint8Array, family: 4 | 6): Uint8Array {
  if (family === 6) return original.subarray(0, Math.min(original.length, 1280 - 48)); // RFC 4443 2.4(c)
  const hl = original.length > 0 ? (original[0] & 0x0f) * 4 : 0;
  return original.subarray(0, Math.min(original.length, Math.max(hl, 20) + 8));
}
