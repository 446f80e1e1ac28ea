// TCP header (RFC 9293 3.1) parse/emit, conversion to the core's Segment, and a zero-copy view.
import { checksumValid, pseudoHeaderSum, sum16, finish } from './checksum.js';
import {
  encodeSegmentOptions,
  optionListLength,
  parseTcpOptions,
  segmentOptions,
  writeOptionList,
  MAX_OPTIONS_LENGTH,
  type OptionLayout,
} from './options.js';
import { PROTO_TCP } from './ipv4.js';
export { PROTO_TCP };
import { fail, ok, type WireResult } from './result.js';
import type { Segment, TcpOption } from './types.js';

export const TCP_MIN_HEADER = 20;

export interface TcpHeader {
  srcPort: number;
  dstPort: number;
  seq: number;
  ack: number;
  /** Header length in 32-bit words (5..15), as on the wire. */
  dataOffset: number;
  /** FIN|SYN|RST|PSH|ACK|URG|ECE|CWR (reserved bits are ignored, RFC 9293 3.1). */
  flags: number;
  window: number;
  checksum: number;
  urgent: number;
  /** Options in header order, up to and including an EOL. */
  options: TcpOption[];
  /** Subarray of the parsed bytes (zero copy). */
  payload: Uint8Array;
}

/** What emitTcp needs: dataOffset and checksum are computed when absent. */
export type TcpHeaderInit = Omit<TcpHeader, 'dataOffset' | 'checksum'> & { dataOffset?: number; checksum?: number };

export interface PseudoAddrs {
  src: Uint8Array;
  dst: Uint8Array;
}

function u16(b: Uint8Array, i: number): number {
  return (b[i] << 8) | b[i + 1];
}

function u32(b: Uint8Array, i: number): number {
  return ((b[i] << 24) | (b[i + 1] << 16) | (b[i + 2] << 8) | b[i + 3]) >>> 0;
}

function put16(b: Uint8Array, i: number, v: number): void {
  b[i] = (v >> 8) & 0xff;
  b[i + 1] = v & 0xff;
}

function put32(b: Uint8Array, i: number, v: number): void {
  b[i] = (v >>> 24) & 0xff;
  b[i + 1] = (v >>> 16) & 0xff;
  b[i + 2] = (v >>> 8) & 0xff;
  b[i + 3] = v & 0xff;
}

/**
 * Parses a whole TCP segment (header + data). With `pseudo`, the checksum is verified over the
 * pseudo-header and the segment (RFC 9293 3.1, MUST-2/MUST-3).
 */
export function parseTcp(bytes: Uint8Array, pseudo?: PseudoAddrs): WireResult<TcpHeader> {
  if (bytes.length < TCP_MIN_HEADER) return fail('tcp', 'header', 'truncated');
  const dataOffset = bytes[12] >> 4;
  const hl = dataOffset * 4;
  // RFC 9293 3.1: Data Offset counts 32-bit words; at least 5, and within the segment.
  if (dataOffset < 5 || hl > bytes.length) return fail('tcp', 'dataOffset', 'bad-data-offset');
  if (pseudo && !checksumValid(bytes, 0, bytes.length, pseudoHeaderSum(pseudo.src, pseudo.dst, PROTO_TCP, bytes.length))) {
    return fail('tcp', 'checksum', 'bad-checksum');
  }
  const opts = parseTcpOptions(bytes, TCP_MIN_HEADER, hl);
  if (!opts.ok) return opts;
  return ok({
    srcPort: u16(bytes, 0),
    dstPort: u16(bytes, 2),
    seq: u32(bytes, 4),
    ack: u32(bytes, 8),
    dataOffset,
    flags: bytes[13],
    window: u16(bytes, 14),
    checksum: u16(bytes, 16),
    urgent: u16(bytes, 18),
    options: opts.value,
    payload: bytes.subarray(hl),
  });
}

/** Header length in bytes for this header (options padded to 4, at least header.dataOffset). */
export function tcpHeaderLength(h: { options: TcpOption[]; dataOffset?: number }): number {
  const need = TCP_MIN_HEADER + ((optionListLength(h.options) + 3) & ~3);
  const hl = Math.max(need, (h.dataOffset ?? 0) * 4);
  // Emitting (unlike parsing) may throw: a caller bug, not network input.
  if (hl > TCP_MIN_HEADER + MAX_OPTIONS_LENGTH) throw new RangeError(`TCP options too long (${need - TCP_MIN_HEADER} bytes)`);
  return hl;
}

/** Writes the 20 fixed bytes (checksum field zero) with the given header length. */
function writeFixed(h: Omit<TcpHeaderInit, 'options' | 'payload'>, hl: number, out: Uint8Array, o: number): void {
  put16(out, o, h.srcPort);
  put16(out, o + 2, h.dstPort);
  put32(out, o + 4, h.seq);
  put32(out, o + 8, h.ack);
  out[o + 12] = (hl >> 2) << 4;
  out[o + 13] = h.flags & 0xff;
  put16(out, o + 14, h.window);
  out[o + 16] = 0;
  out[o + 17] = 0;
  put16(out, o + 18, h.urgent);
}

/**
 * Writes header + options + payload at out[offset..] and returns the segment length. The checksum
 * is computed over `src`/`dst` pseudo-header unless `checksum === false` (then h.checksum ?? 0).
 */
export function writeTcp(
  h: TcpHeaderInit,
  out: Uint8Array,
  offset: number,
  src: Uint8Array,
  dst: Uint8Array,
  checksum = true,
): number {
  const hl = tcpHeaderLength(h);
  writeFixed(h, hl, out, offset);
  const n = writeOptionList(h.options, out, offset + TCP_MIN_HEADER);
  // RFC 9293 3.1: padding is zeros (an EOL followed by zeros, or zeros after a final EOL).
  out.fill(0, offset + TCP_MIN_HEADER + n, offset + hl);
  out.set(h.payload, offset + hl);
  const len = hl + h.payload.length;
  const c = checksum ? finish(sum16(out, offset, offset + len, pseudoHeaderSum(src, dst, PROTO_TCP, len))) : (h.checksum ?? 0);
  put16(out, offset + 16, c);
  return len;
}

/** Emits a TCP segment into a new buffer. */
export function emitTcp(h: TcpHeaderInit, src: Uint8Array, dst: Uint8Array, opts: { checksum?: boolean } = {}): Uint8Array {
  const out = new Uint8Array(tcpHeaderLength(h) + h.payload.length);
  writeTcp(h, out, 0, src, dst, opts.checksum !== false);
  return out;
}

/** Length of the segment fromSegment/writeSegment would produce. */
export function segmentLength(seg: Segment, layout: OptionLayout = 'linux'): number {
  return TCP_MIN_HEADER + encodeSegmentOptions(seg.options, layout, null) + seg.payload.length;
}

/**
 * Writes a core Segment straight into out[offset..] (no intermediate option list) and returns the
 * segment length: the output hot path. Checksum as in writeTcp.
 */
export function writeSegment(
  seg: Segment,
  layout: OptionLayout,
  out: Uint8Array,
  offset: number,
  src: Uint8Array,
  dst: Uint8Array,
  checksum = true,
): number {
  const optLen = encodeSegmentOptions(seg.options, layout, null);
  const hl = TCP_MIN_HEADER + optLen;
  writeFixed(seg, hl, out, offset);
  encodeSegmentOptions(seg.options, layout, out, offset + TCP_MIN_HEADER);
  out.set(seg.payload, offset + hl);
  const len = hl + seg.payload.length;
  const c = checksum ? finish(sum16(out, offset, offset + len, pseudoHeaderSum(src, dst, PROTO_TCP, len))) : 0;
  put16(out, offset + 16, c);
  return len;
}

/** The core's view of a parsed header (options flattened; payload shared). */
export function toSegment(h: TcpHeader, ecn?: number): Segment {
  return {
    srcPort: h.srcPort,
    dstPort: h.dstPort,
    seq: h.seq,
    ack: h.ack,
    flags: h.flags,
    window: h.window,
    urgent: h.urgent,
    options: segmentOptions(h.options),
    payload: h.payload,
    ecn, // the IP header's ECN codepoint (RFC 3168 5), when the caller knows it
  };
}

/** A header for a core Segment, options laid out as `layout` does (checksum left 0). */
export function fromSegment(seg: Segment, layout: OptionLayout = 'linux'): TcpHeader {
  const optLen = encodeSegmentOptions(seg.options, layout, null);
  const buf = new Uint8Array(optLen);
  encodeSegmentOptions(seg.options, layout, buf, 0);
  const r = parseTcpOptions(buf, 0, optLen);
  return {
    srcPort: seg.srcPort,
    dstPort: seg.dstPort,
    seq: seg.seq >>> 0,
    ack: seg.ack >>> 0,
    dataOffset: (TCP_MIN_HEADER + optLen) >> 2,
    flags: seg.flags & 0xff,
    window: seg.window,
    checksum: 0,
    urgent: seg.urgent,
    options: r.ok ? r.value : [],
    payload: seg.payload,
  };
}

/**
 * Zero-copy view over a TCP segment at bytes[offset, offset + length) for the hot path: getters
 * read the wire directly. Call `check()` (or use `TcpView.from`) before trusting the getters.
 */
export class TcpView {
  constructor(
    readonly bytes: Uint8Array,
    readonly offset = 0,
    readonly length = bytes.length - offset,
  ) {}

  /** A validated view (header length sane), or the same error parseTcp would give. */
  static from(bytes: Uint8Array, offset = 0, length = bytes.length - offset): WireResult<TcpView> {
    const v = new TcpView(bytes, offset, length);
    const e = v.check();
    return e ? { ok: false, error: e } : ok(v);
  }

  /** Structural check of the fixed header (not options, not checksum); null when fine. */
  check(): { layer: 'tcp'; field: string; reason: string } | null {
    if (this.length < TCP_MIN_HEADER || this.offset + this.length > this.bytes.length) {
      return { layer: 'tcp', field: 'header', reason: 'truncated' };
    }
    const d = this.dataOffset;
    if (d < 5 || d * 4 > this.length) return { layer: 'tcp', field: 'dataOffset', reason: 'bad-data-offset' };
    return null;
  }

  get srcPort(): number {
    return u16(this.bytes, this.offset);
  }
  get dstPort(): number {
    return u16(this.bytes, this.offset + 2);
  }
  get seq(): number {
    return u32(this.bytes, this.offset + 4);
  }
  get ack(): number {
    return u32(this.bytes, this.offset + 8);
  }
  get dataOffset(): number {
    return this.bytes[this.offset + 12] >> 4;
  }
  get headerLength(): number {
    return this.dataOffset * 4;
  }
  get flags(): number {
    return this.bytes[this.offset + 13];
  }
  get window(): number {
    return u16(this.bytes, this.offset + 14);
  }
  get checksum(): number {
    return u16(this.bytes, this.offset + 16);
  }
  get urgent(): number {
    return u16(this.bytes, this.offset + 18);
  }
  /** Offset of the payload within `bytes`. */
  get payloadOffset(): number {
    return this.offset + this.headerLength;
  }
  get payloadLength(): number {
    return this.length - this.headerLength;
  }
  get payload(): Uint8Array {
    return this.bytes.subarray(this.payloadOffset, this.offset + this.length);
  }
  get optionBytes(): Uint8Array {
    return this.bytes.subarray(this.offset + TCP_MIN_HEADER, this.payloadOffset);
  }
  /** Parsed options (allocates). */
  options(): WireResult<TcpOption[]> {
    return parseTcpOptions(this.bytes, this.offset + TCP_MIN_HEADER, this.payloadOffset);
  }
  /** RFC 9293 3.1 checksum over pseudo-header + segment. */
  verifyChecksum(src: Uint8Array, dst: Uint8Array): boolean {
    const end = this.offset + this.length;
    return checksumValid(this.bytes, this.offset, end, pseudoHeaderSum(src, dst, PROTO_TCP, this.length));
  }
  /** Full parse of the viewed bytes. */
  parse(pseudo?: PseudoAddrs): WireResult<TcpHeader> {
    return parseTcp(this.bytes.subarray(this.offset, this.offset + this.length), pseudo);
  }
}

export { MAX_OPTIONS_LENGTH };
