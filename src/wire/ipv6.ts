// IPv6 fixed header (RFC 8200 3) parse/emit, and the extension-header walk (RFC 8200 4) that
// finds the upper-layer header. Fragments are dropped (no reassembly).
import { fail, ok, type WireResult } from './result.js';

export const IPV6_HEADER = 40;
export const NH_HOP_BY_HOP = 0;
export const NH_ROUTING = 43;
export const NH_FRAGMENT = 44;
export const NH_DEST_OPTIONS = 60;
export const NH_NONE = 59;

/** Extension headers we do not walk (RFC 8200 4, IANA "IPv6 Extension Header Types"). */
const UNSUPPORTED_EXT = new Set([50, 51, 135, 139, 140, 253, 254]);

export interface IPv6Header {
  version: 6;
  trafficClass: number;
  flowLabel: number;
  payloadLength: number;
  /** Next Header field of the fixed header. */
  nextHeader: number;
  hopLimit: number;
  src: Uint8Array;
  dst: Uint8Array;
  /** Upper-layer protocol found after the extension headers (59 = no next header). */
  protocol: number;
  /** Extension header types walked, in order. */
  extensionHeaders: number[];
  /** Offset of the upper-layer header from the start of the packet. */
  payloadOffset: number;
  /** The upper-layer bytes (subarray, padding past payloadLength cut off). */
  payload: Uint8Array;
}

export interface IPv6Fields {
  trafficClass?: number;
  flowLabel?: number;
  /** Next header (upper-layer protocol when there are no extension headers). */
  nextHeader: number;
  hopLimit?: number;
  src: Uint8Array;
  dst: Uint8Array;
}

export interface IPv6ParseOptions {
  /** Return fragments (protocol 44 payload) instead of failing with 'fragment'. */
  allowFragments?: boolean;
}

export function parseIPv6Header(bytes: Uint8Array, opts: IPv6ParseOptions = {}): WireResult<IPv6Header> {
  if (bytes.length < IPV6_HEADER) return fail('ipv6', 'header', 'truncated');
  if (bytes[0] >> 4 !== 6) return fail('ipv6', 'version', 'wrong-version');
  const payloadLength = (bytes[4] << 8) | bytes[5];
  const end = IPV6_HEADER + payloadLength;
  if (end > bytes.length) return fail('ipv6', 'payloadLength', 'truncated');
  const nextHeader = bytes[6];
  const extensionHeaders: number[] = [];
  let nh = nextHeader;
  let off = IPV6_HEADER;
  // RFC 8200 4.1: walk the chain; each of these headers has (len + 1) * 8 bytes.
  for (;;) {
    if (nh === NH_HOP_BY_HOP || nh === NH_ROUTING || nh === NH_DEST_OPTIONS) {
      // RFC 8200 4.3: Hop-by-Hop is only allowed right after the fixed header.
      if (nh === NH_HOP_BY_HOP && off !== IPV6_HEADER) return fail('ipv6', 'hopByHop', 'bad-extension-order');
      if (off + 8 > end) return fail('ipv6', 'extensionHeader', 'truncated');
      const len = (bytes[off + 1] + 1) * 8;
      if (off + len > end) return fail('ipv6', 'extensionHeader', 'truncated');
      // RFC 8200 4.4: a routing header with Segments Left > 0 asks us to forward; we are a host.
      if (nh === NH_ROUTING && bytes[off + 3] !== 0) return fail('ipv6', 'routingHeader', 'unsupported-extension-header');
      extensionHeaders.push(nh);
      nh = bytes[off];
      off += len;
      continue;
    }
    if (nh === NH_FRAGMENT) {
      if (!opts.allowFragments) return fail('ipv6', 'fragmentHeader', 'fragment');
      break;
    }
    if (UNSUPPORTED_EXT.has(nh)) return fail('ipv6', 'nextHeader', 'unsupported-extension-header');
    break;
  }
  return ok({
    version: 6,
    trafficClass: ((bytes[0] & 0x0f) << 4) | (bytes[1] >> 4),
    flowLabel: ((bytes[1] & 0x0f) << 16) | (bytes[2] << 8) | bytes[3],
    payloadLength,
    nextHeader,
    hopLimit: bytes[7],
    src: bytes.subarray(8, 24),
    dst: bytes.subarray(24, 40),
    protocol: nh,
    extensionHeaders,
    payloadOffset: off,
    payload: bytes.subarray(off, end),
  });
}

/** Writes the 40-byte fixed header at out[offset..] for `payloadLength` bytes that follow. */
export function writeIPv6Header(f: IPv6Fields, payloadLength: number, out: Uint8Array, offset = 0): number {
  const tc = (f.trafficClass ?? 0) & 0xff;
  const fl = (f.flowLabel ?? 0) & 0xfffff;
  out[offset] = 0x60 | (tc >> 4);
  out[offset + 1] = ((tc & 0x0f) << 4) | (fl >> 16);
  out[offset + 2] = (fl >> 8) & 0xff;
  out[offset + 3] = fl & 0xff;
  out[offset + 4] = (payloadLength >> 8) & 0xff;
  out[offset + 5] = payloadLength & 0xff;
  out[offset + 6] = f.nextHeader & 0xff;
  out[offset + 7] = (f.hopLimit ?? 64) & 0xff;
  const src = f.src;
  const dst = f.dst;
  for (let k = 0; k < 16; k++) {
    out[offset + 8 + k] = src[k];
    out[offset + 24 + k] = dst[k];
  }
  return IPV6_HEADER;
}

/** A whole packet: fixed header + payload (which may start with extension headers). */
export function emitIPv6(f: IPv6Fields, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(IPV6_HEADER + payload.length);
  writeIPv6Header(f, payload.length, out, 0);
  out.set(payload, IPV6_HEADER);
  return out;
}
