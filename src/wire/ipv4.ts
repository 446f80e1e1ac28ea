// IPv4 header (RFC 791 3.1) parse and emit. Options are skipped; fragments are dropped (we do no
// reassembly); the header checksum is verified (RFC 791 3.1 "Header Checksum", RFC 1071).
import { checksumValid, internetChecksum } from './checksum.js';
import { fail, ok, type WireResult } from './result.js';

export const IPV4_MIN_HEADER = 20;
export const IPV4_FLAG_DF = 0x2; // RFC 791 3.1: bit 1 don't fragment
export const IPV4_FLAG_MF = 0x1; // bit 2 more fragments

export const PROTO_ICMP = 1;
export const PROTO_TCP = 6;
export const PROTO_UDP = 17;
export const PROTO_ICMPV6 = 58;

export interface IPv4Header {
  version: 4;
  /** Header length in bytes (IHL * 4). */
  headerLength: number;
  dscp: number;
  ecn: number;
  totalLength: number;
  id: number;
  /** 3-bit flags field: DF = 2, MF = 1. */
  flags: number;
  fragmentOffset: number;
  ttl: number;
  protocol: number;
  checksum: number;
  src: Uint8Array;
  dst: Uint8Array;
  /** Raw option bytes (subarray), skipped. */
  options: Uint8Array;
  /** bytes[headerLength, totalLength): link padding past totalLength is cut off. */
  payload: Uint8Array;
}

export interface IPv4Fields {
  dscp?: number;
  ecn?: number;
  id?: number;
  /** Default DF (RFC 1191 path MTU discovery). */
  flags?: number;
  fragmentOffset?: number;
  ttl?: number;
  protocol: number;
  src: Uint8Array;
  dst: Uint8Array;
  /** Raw options (padded with zeros to 4 bytes). */
  options?: Uint8Array;
  /** Checksum value to write when `checksum: false` is passed to the writer. */
  checksum?: number;
}

export interface IPv4ParseOptions {
  verifyChecksum?: boolean;
  /** Return fragments instead of failing with 'fragment' (for ICMP quotes, tools). */
  allowFragments?: boolean;
}

export function parseIPv4Header(bytes: Uint8Array, opts: IPv4ParseOptions = {}): WireResult<IPv4Header> {
  if (bytes.length < IPV4_MIN_HEADER) return fail('ipv4', 'header', 'truncated');
  const b0 = bytes[0];
  if (b0 >> 4 !== 4) return fail('ipv4', 'version', 'wrong-version');
  const headerLength = (b0 & 0x0f) * 4;
  if (headerLength < IPV4_MIN_HEADER) return fail('ipv4', 'ihl', 'bad-header-length');
  if (headerLength > bytes.length) return fail('ipv4', 'ihl', 'truncated');
  const totalLength = (bytes[2] << 8) | bytes[3];
  if (totalLength < headerLength) return fail('ipv4', 'totalLength', 'bad-total-length');
  if (totalLength > bytes.length) return fail('ipv4', 'totalLength', 'truncated');
  if (opts.verifyChecksum !== false && !checksumValid(bytes, 0, headerLength)) {
    return fail('ipv4', 'checksum', 'bad-checksum');
  }
  const flags = bytes[6] >> 5;
  const fragmentOffset = ((bytes[6] & 0x1f) << 8) | bytes[7];
  // RFC 791 3.2: a datagram is a fragment when MF is set or the offset is non-zero.
  if (!opts.allowFragments && ((flags & IPV4_FLAG_MF) !== 0 || fragmentOffset !== 0)) {
    return fail('ipv4', flags & IPV4_FLAG_MF ? 'flags' : 'fragmentOffset', 'fragment');
  }
  return ok({
    version: 4,
    headerLength,
    dscp: bytes[1] >> 2,
    ecn: bytes[1] & 3,
    totalLength,
    id: (bytes[4] << 8) | bytes[5],
    flags,
    fragmentOffset,
    ttl: bytes[8],
    protocol: bytes[9],
    checksum: (bytes[10] << 8) | bytes[11],
    src: bytes.subarray(12, 16),
    dst: bytes.subarray(16, 20),
    options: bytes.subarray(20, headerLength),
    payload: bytes.subarray(headerLength, totalLength),
  });
}

/** Header length in bytes for these fields (20 + options padded to 4). */
export function ipv4HeaderLength(f: IPv4Fields): number {
  const o = f.options ? f.options.length : 0;
  return IPV4_MIN_HEADER + ((o + 3) & ~3);
}

/**
 * Writes the header at out[offset..] for a datagram carrying `payloadLength` bytes; returns the
 * header length. The checksum is computed unless `checksum === false`.
 */
export function writeIPv4Header(
  f: IPv4Fields,
  payloadLength: number,
  out: Uint8Array,
  offset = 0,
  checksum = true,
): number {
  const hl = ipv4HeaderLength(f);
  const total = hl + payloadLength;
  const flags = f.flags ?? IPV4_FLAG_DF;
  const frag = f.fragmentOffset ?? 0;
  const id = f.id ?? 0;
  out[offset] = 0x40 | (hl >> 2);
  out[offset + 1] = (((f.dscp ?? 0) & 0x3f) << 2) | ((f.ecn ?? 0) & 3);
  out[offset + 2] = (total >> 8) & 0xff;
  out[offset + 3] = total & 0xff;
  out[offset + 4] = (id >> 8) & 0xff;
  out[offset + 5] = id & 0xff;
  out[offset + 6] = ((flags & 7) << 5) | ((frag >> 8) & 0x1f);
  out[offset + 7] = frag & 0xff;
  out[offset + 8] = (f.ttl ?? 64) & 0xff;
  out[offset + 9] = f.protocol & 0xff;
  out[offset + 10] = 0;
  out[offset + 11] = 0;
  const src = f.src;
  const dst = f.dst;
  for (let k = 0; k < 4; k++) {
    out[offset + 12 + k] = src[k];
    out[offset + 16 + k] = dst[k];
  }
  if (f.options && f.options.length) {
    out.set(f.options, offset + 20);
    out.fill(0, offset + 20 + f.options.length, offset + hl);
  }
  const c = checksum ? internetChecksum(out, offset, offset + hl) : (f.checksum ?? 0);
  out[offset + 10] = c >> 8;
  out[offset + 11] = c & 0xff;
  return hl;
}

/** A whole datagram: header + payload in one new buffer. */
export function emitIPv4(f: IPv4Fields, payload: Uint8Array, opts: { checksum?: boolean } = {}): Uint8Array {
  const hl = ipv4HeaderLength(f);
  const out = new Uint8Array(hl + payload.length);
  writeIPv4Header(f, payload.length, out, 0, opts.checksum !== false);
  out.set(payload, hl);
  return out;
}
