// Whole IP packets: parse (IPv4/IPv6 -> TCP/ICMP, all checksums), build TCP/ICMP packets in one
// allocation, and one-line descriptions for traces.
import { formatAddr } from './addr.js';
import { finish, pseudoHeaderSum, sum16 } from './checksum.js';
import {
  icmpLength,
  parseIcmp,
  parseIcmpv6,
  writeIcmp,
  type IcmpHeader,
  type IcmpInit,
} from './icmp.js';
import { parseIPv4Header, writeIPv4Header, IPV4_FLAG_DF, PROTO_ICMP, PROTO_ICMPV6, PROTO_TCP, type IPv4Header } from './ipv4.js';
import { parseIPv6Header, writeIPv6Header, IPV6_HEADER, type IPv6Header } from './ipv6.js';
import { encodeSegmentOptions, formatOptions, optionListLength, writeOptionList, type OptionLayout } from './options.js';
import { fail, ok, type WireResult } from './result.js';
import { parseTcp, TCP_MIN_HEADER, type TcpHeader } from './tcp.js';
import { flagString, type Segment, type TcpOption } from './types.js';

export interface Packet {
  version: 4 | 6;
  src: string;
  dst: string;
  srcBytes: Uint8Array;
  dstBytes: Uint8Array;
  /** TTL (IPv4) or hop limit (IPv6). */
  ttl: number;
  /** Upper-layer protocol (after IPv6 extension headers). */
  protocol: number;
  ip: IPv4Header | IPv6Header;
  tcp?: TcpHeader;
  icmp?: IcmpHeader;
  /** The upper-layer bytes (the TCP segment, the ICMP message, ...). */
  payload: Uint8Array;
}

/** parsePacket's result: `src` and `dst` are formatted on first use only (the stack's input
 *  path demultiplexes on the bytes and never needs the text for established connections). */
class ParsedPacket implements Packet {
  readonly version: 4 | 6;
  readonly srcBytes: Uint8Array;
  readonly dstBytes: Uint8Array;
  readonly ttl: number;
  tcp?: TcpHeader;
  icmp?: IcmpHeader;
  private srcText: string | undefined = undefined;
  private dstText: string | undefined = undefined;
  constructor(
    readonly ip: IPv4Header | IPv6Header,
    readonly protocol: number,
    readonly payload: Uint8Array,
  ) {
    this.version = ip.version;
    this.srcBytes = ip.src;
    this.dstBytes = ip.dst;
    this.ttl = ip.version === 4 ? ip.ttl : ip.hopLimit;
  }
  get src(): string {
    return (this.srcText ??= formatAddr(this.srcBytes));
  }
  get dst(): string {
    return (this.dstText ??= formatAddr(this.dstBytes));
  }
  /** Plain-object views (JSON, deepEqual, spreading) see the addresses as data. */
  toJSON(): object {
    return { version: this.version, src: this.src, dst: this.dst, srcBytes: this.srcBytes, dstBytes: this.dstBytes, ttl: this.ttl, protocol: this.protocol, ip: this.ip, tcp: this.tcp, icmp: this.icmp, payload: this.payload };
  }
}

export interface ParsePacketOptions {
  /** false on links with checksum offload: skip IPv4, TCP and ICMP checksum checks. */
  verifyChecksums?: boolean;
}

/** Parses an IP packet; TCP and ICMP/ICMPv6 are parsed too. Never throws. */
export function parsePacket(bytes: Uint8Array, opts: ParsePacketOptions = {}): WireResult<Packet> {
  if (!(bytes instanceof Uint8Array) || bytes.length < 1) return fail('ipv4', 'header', 'truncated');
  const verify = opts.verifyChecksums !== false;
  const v = bytes[0] >> 4;
  let ip: IPv4Header | IPv6Header;
  if (v === 4) {
    const r = parseIPv4Header(bytes, { verifyChecksum: verify });
    if (!r.ok) return r;
    ip = r.value;
  } else if (v === 6) {
    const r = parseIPv6Header(bytes);
    if (!r.ok) return r;
    ip = r.value;
  } else {
    return fail('ipv4', 'version', 'wrong-version');
  }
  const protocol = ip.protocol;
  const payload = ip.payload;
  const pkt: Packet = new ParsedPacket(ip, protocol, payload);
  if (protocol === PROTO_TCP) {
    const t = parseTcp(payload, verify ? { src: ip.src, dst: ip.dst } : undefined);
    if (!t.ok) return t;
    pkt.tcp = t.value;
  } else if (protocol === PROTO_ICMP && ip.version === 4) {
    const m = parseIcmp(payload, { verifyChecksum: verify });
    if (!m.ok) return m;
    pkt.icmp = m.value;
  } else if (protocol === PROTO_ICMPV6 && ip.version === 6) {
    const m = parseIcmpv6(payload, verify ? { src: ip.src, dst: ip.dst } : undefined);
    if (!m.ok) return m;
    pkt.icmp = m.value;
  }
  return ok(pkt);
}

export interface BuildOptions {
  /** TTL / hop limit, default 64. */
  ttl?: number;
  /** false: leave the TCP checksum 0 (offload links). The IPv4 header checksum is always set. */
  checksum?: boolean;
  /** Option layout for a Segment (default 'linux'); a TcpHeader keeps its own option list. */
  layout?: OptionLayout;
  /** IPv4 identification (default 0) and flags (default DF). */
  id?: number;
  ipFlags?: number;
  /** DSCP/ECN (IPv4 TOS or IPv6 traffic class, as the whole byte). */
  tos?: number;
  flowLabel?: number;
}

function isHeader(seg: Segment | TcpHeader): seg is TcpHeader {
  return Array.isArray(seg.options);
}

/**
 * Builds IP + TCP in one buffer: the stack's output hot path. The TCP checksum is summed over the
 * finished buffer with the pseudo-header (RFC 9293 3.1). src/dst: 4 or 16 bytes each.
 */
export function buildTcpPacket(src: Uint8Array, dst: Uint8Array, seg: Segment | TcpHeader, opts: BuildOptions = {}): Uint8Array {
  const v6 = src.length === 16;
  const ipLen = v6 ? IPV6_HEADER : 20;
  let optList: TcpOption[] | null = null;
  let optLen: number;
  let hl: number;
  if (isHeader(seg)) {
    optList = seg.options;
    optLen = optionListLength(optList);
    hl = Math.max(TCP_MIN_HEADER + ((optLen + 3) & ~3), seg.dataOffset * 4);
  } else {
    optLen = encodeSegmentOptions(seg.options, opts.layout ?? 'linux', null);
    hl = TCP_MIN_HEADER + optLen;
  }
  if (hl > 60) throw new RangeError('TCP options too long');
  const tcpLen = hl + seg.payload.length;
  const out = new Uint8Array(ipLen + tcpLen);
  const tos = opts.tos ?? 0;
  if (v6) {
    writeIPv6Header(
      { trafficClass: tos, flowLabel: opts.flowLabel, nextHeader: PROTO_TCP, hopLimit: opts.ttl ?? 64, src, dst },
      tcpLen,
      out,
      0,
    );
  } else {
    writeIPv4Header(
      { dscp: tos >> 2, ecn: tos & 3, id: opts.id, flags: opts.ipFlags ?? IPV4_FLAG_DF, ttl: opts.ttl ?? 64, protocol: PROTO_TCP, src, dst },
      tcpLen,
      out,
      0,
    );
  }
  // RFC 9293 3.1 header fields.
  const o = ipLen;
  out[o] = seg.srcPort >> 8;
  out[o + 1] = seg.srcPort & 0xff;
  out[o + 2] = seg.dstPort >> 8;
  out[o + 3] = seg.dstPort & 0xff;
  const sq = seg.seq >>> 0;
  out[o + 4] = sq >>> 24;
  out[o + 5] = (sq >>> 16) & 0xff;
  out[o + 6] = (sq >>> 8) & 0xff;
  out[o + 7] = sq & 0xff;
  const ak = seg.ack >>> 0;
  out[o + 8] = ak >>> 24;
  out[o + 9] = (ak >>> 16) & 0xff;
  out[o + 10] = (ak >>> 8) & 0xff;
  out[o + 11] = ak & 0xff;
  out[o + 12] = (hl >> 2) << 4;
  out[o + 13] = seg.flags & 0xff;
  out[o + 14] = (seg.window >> 8) & 0xff;
  out[o + 15] = seg.window & 0xff;
  out[o + 18] = (seg.urgent >> 8) & 0xff;
  out[o + 19] = seg.urgent & 0xff;
  if (optList) writeOptionList(optList, out, o + TCP_MIN_HEADER); // padding stays zero (fresh buffer)
  else encodeSegmentOptions((seg as Segment).options, opts.layout ?? 'linux', out, o + TCP_MIN_HEADER);
  out.set(seg.payload, o + hl);
  const c = opts.checksum === false ? 0 : finish(sum16(out, o, o + tcpLen, pseudoHeaderSum(src, dst, PROTO_TCP, tcpLen)));
  out[o + 16] = c >> 8;
  out[o + 17] = c & 0xff;
  return out;
}

/** Builds IP + ICMP (v4) or IP + ICMPv6 by the address length, in one buffer. */
export function buildIcmpPacket(src: Uint8Array, dst: Uint8Array, msg: IcmpInit, opts: BuildOptions = {}): Uint8Array {
  const v6 = src.length === 16;
  const len = icmpLength(msg);
  if (!v6) {
    const out = new Uint8Array(20 + len);
    writeIPv4Header({ id: opts.id, flags: opts.ipFlags ?? 0, ttl: opts.ttl ?? 64, protocol: PROTO_ICMP, src, dst }, len, out, 0);
    writeIcmp(msg, 4, out, 20);
    return out;
  }
  const out = new Uint8Array(IPV6_HEADER + len);
  writeIPv6Header({ flowLabel: opts.flowLabel, nextHeader: PROTO_ICMPV6, hopLimit: opts.ttl ?? 64, src, dst }, len, out, 0);
  writeIcmp(msg, 6, out, IPV6_HEADER, src, dst);
  return out;
}

export interface PacketDescription {
  src: string;
  dst: string;
  srcPort: number;
  dstPort: number;
  flags: string;
  seq: number;
  ack: number;
  len: number;
  win: number;
  options: string;
}

/**
 * One TCP packet summarized for traces (checksums not checked), or null when the bytes are not a
 * readable IPv4/IPv6 TCP packet.
 */
export function describePacket(bytes: Uint8Array): PacketDescription | null {
  const r = parsePacket(bytes, { verifyChecksums: false });
  if (!r.ok || !r.value.tcp) return null;
  const p = r.value;
  const t = p.tcp!;
  return {
    src: p.src,
    dst: p.dst,
    srcPort: t.srcPort,
    dstPort: t.dstPort,
    flags: flagString(t.flags),
    seq: t.seq,
    ack: t.ack,
    len: t.payload.length,
    win: t.window,
    options: formatOptions(t.options),
  };
}
