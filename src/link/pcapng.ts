// Packet capture files. PcapngWriter writes pcapng (Section Header Block, one Interface
// Description Block per interface with LINKTYPE_RAW and microsecond timestamps, Enhanced
// Packet Blocks) that Wireshark/tshark open. readPcapng/readPcap read captures back into IP
// packets; they never throw on garbage, they return { error }. Browser-safe.
// Formats: draft-ietf-opsawg-pcapng, draft-ietf-opsawg-pcap; link types from tcpdump.org.
import type { Clock } from '../sim/types.js';
import type { LinkPort } from './types.js';

export const LINKTYPE_NULL = 0;
export const LINKTYPE_ETHERNET = 1;
export const LINKTYPE_RAW = 101;
export const LINKTYPE_LOOP = 108;
export const LINKTYPE_LINUX_SLL = 113;
export const LINKTYPE_IPV4 = 228;
export const LINKTYPE_IPV6 = 229;
export const LINKTYPE_LINUX_SLL2 = 276;

const BT_SHB = 0x0a0d0d0a;
const BT_IDB = 0x00000001;
const BT_PB = 0x00000002; // obsolete Packet Block
const BT_SPB = 0x00000003;
const BT_EPB = 0x00000006;
const BYTE_ORDER_MAGIC = 0x1a2b3c4d;

export interface PcapngWriterOptions {
  /** Timestamp source for write() without an explicit time (ms). Default: always 0. */
  clock?: Clock;
  /** Interfaces to declare up front (more can be added with addInterface). */
  interfaces?: string[];
  /** shb_userappl option (default 'synack'). */
  application?: string;
  snaplen?: number;
}

export type PacketDirection = 'in' | 'out';

const enc = new TextEncoder();

/** Little-endian block builder. */
class Block {
  private parts: number[] = [];
  u8(...xs: number[]): this {
    for (const x of xs) this.parts.push(x & 0xff);
    return this;
  }
  u16(x: number): this {
    return this.u8(x, x >>> 8);
  }
  u32(x: number): this {
    return this.u8(x, x >>> 8, x >>> 16, x >>> 24);
  }
  bytes(b: Uint8Array): this {
    for (const x of b) this.parts.push(x);
    return this.pad();
  }
  pad(): this {
    while (this.parts.length % 4) this.parts.push(0);
    return this;
  }
  option(code: number, value: Uint8Array): this {
    this.u16(code).u16(value.length);
    return this.bytes(value);
  }
  endOfOptions(): this {
    return this.u16(0).u16(0);
  }
  get length(): number {
    return this.parts.length;
  }
  /** Wrap body in type + total length ... total length. */
  static wrap(type: number, body: Block): Uint8Array {
    const total = body.length + 12;
    const out = new Uint8Array(total);
    const v = new DataView(out.buffer);
    v.setUint32(0, type, true);
    v.setUint32(4, total, true);
    out.set(body.parts, 8);
    v.setUint32(total - 4, total, true);
    return out;
  }
}

export class PcapngWriter {
  private blocks: Uint8Array[] = [];
  private ifaces: string[] = [];
  private size = 0;
  private readonly clock?: Clock;
  private readonly snaplen: number;
  /** Packets written so far. */
  count = 0;

  constructor(opts: PcapngWriterOptions = {}) {
    this.clock = opts.clock;
    this.snaplen = opts.snaplen ?? 262144;
    const shb = new Block()
      .u32(BYTE_ORDER_MAGIC)
      .u16(1) // major
      .u16(0) // minor
      .u32(0xffffffff) // section length: -1 (unknown), 64-bit
      .u32(0xffffffff)
      .option(4, enc.encode(opts.application ?? 'synack')) // shb_userappl
      .endOfOptions();
    this.push(Block.wrap(BT_SHB, shb));
    for (const name of opts.interfaces ?? []) this.addInterface(name);
  }

  /** Declare an interface (LINKTYPE_RAW, microsecond timestamps); returns its index. */
  addInterface(name: string): number {
    const idb = new Block()
      .u16(LINKTYPE_RAW)
      .u16(0)
      .u32(this.snaplen)
      .option(2, enc.encode(name)) // if_name
      .option(9, new Uint8Array([6])) // if_tsresol: 10^-6 s
      .endOfOptions();
    this.push(Block.wrap(BT_IDB, idb));
    this.ifaces.push(name);
    return this.ifaces.length - 1;
  }

  get interfaces(): readonly string[] {
    return this.ifaces;
  }

  /** Append one IP packet captured on interface `ifIndex` at time `t` ms (default: the clock).
   *  Interfaces up to ifIndex are declared automatically ('if0', 'if1', ...). */
  write(packet: Uint8Array, ifIndex = 0, t?: number, dir?: PacketDirection): void {
    if (!Number.isInteger(ifIndex) || ifIndex < 0) throw new RangeError(`PcapngWriter.write: bad interface ${ifIndex}`);
    while (this.ifaces.length <= ifIndex) this.addInterface(`if${this.ifaces.length}`);
    const ms = t ?? this.clock?.now() ?? 0;
    const us = Math.max(0, Math.round(ms * 1000));
    const cap = packet.length > this.snaplen ? packet.subarray(0, this.snaplen) : packet;
    const epb = new Block()
      .u32(ifIndex)
      .u32(Math.floor(us / 4294967296))
      .u32(us >>> 0)
      .u32(cap.length)
      .u32(packet.length)
      .bytes(cap);
    if (dir) epb.option(2, u32le(dir === 'in' ? 1 : 2)).endOfOptions(); // epb_flags: direction
    this.push(Block.wrap(BT_EPB, epb));
    this.count++;
  }

  /** The whole file so far. */
  toBytes(): Uint8Array {
    const out = new Uint8Array(this.size);
    let o = 0;
    for (const b of this.blocks) {
      out.set(b, o);
      o += b.length;
    }
    return out;
  }

  private push(b: Uint8Array): void {
    this.blocks.push(b);
    this.size += b.length;
  }
}

function u32le(x: number): Uint8Array {
  return new Uint8Array([x & 0xff, (x >>> 8) & 0xff, (x >>> 16) & 0xff, (x >>> 24) & 0xff]);
}

/** Wrap a LinkPort so every packet sent and received through it is written to `writer` on
 *  interface `ifIndex` (a new interface named `name` when ifIndex is not given). The wrapper
 *  is what the host attaches to. */
export function tapPort(port: LinkPort, writer: PcapngWriter, ifIndexOrName: number | string = 'tap'): LinkPort {
  const ifIndex = typeof ifIndexOrName === 'number' ? ifIndexOrName : writer.addInterface(ifIndexOrName);
  let handler: ((p: Uint8Array) => void) | null = null;
  const tapped: LinkPort = {
    send(packet: Uint8Array) {
      writer.write(packet, ifIndex, undefined, 'out');
      port.send(packet);
    },
    get onReceive() {
      return handler;
    },
    set onReceive(fn: ((p: Uint8Array) => void) | null) {
      handler = fn;
      port.onReceive = fn
        ? (p: Uint8Array) => {
            writer.write(p, ifIndex, undefined, 'in');
            fn(p);
          }
        : null;
    },
    get mtu() {
      return port.mtu;
    },
    get checksumOffload() {
      return port.checksumOffload;
    },
  };
  return tapped;
}

// ---------------------------------------------------------------------------------------------
// Readers

export interface CapturedPacket {
  /** Timestamp in ms. */
  t: number;
  /** The IP packet (link-layer header removed). */
  data: Uint8Array;
  /** Interface index (pcapng) or 0. */
  ifIndex: number;
}

export interface CaptureError {
  error: string;
  /** Packets read before the problem. */
  packets: CapturedPacket[];
}

export type CaptureResult = CapturedPacket[] | CaptureError;

export function isCaptureError(r: CaptureResult): r is CaptureError {
  return !Array.isArray(r);
}

/** Strip the link-layer header of `linktype` and return the IP packet; null for frames that do
 *  not carry IPv4/IPv6 (ARP, ...); undefined for an unsupported link type. */
export function stripLinkHeader(linktype: number, frame: Uint8Array, bigEndianFile = false): Uint8Array | null | undefined {
  const ipOnly = (p: Uint8Array) => (p.length > 0 && (p[0] >> 4 === 4 || p[0] >> 4 === 6) ? p : null);
  const be16 = (o: number) => (frame[o] << 8) | frame[o + 1];
  const isIpType = (et: number) => et === 0x0800 || et === 0x86dd;
  switch (linktype) {
    case LINKTYPE_RAW:
    case 12: // DLT_RAW on some BSDs
    case 14:
    case LINKTYPE_IPV4:
    case LINKTYPE_IPV6:
      return ipOnly(frame);
    case LINKTYPE_ETHERNET: {
      if (frame.length < 14) return null;
      let off = 12;
      let et = be16(off);
      while ((et === 0x8100 || et === 0x88a8) && frame.length >= off + 6) {
        off += 4; // 802.1Q / 802.1ad tag
        et = be16(off);
      }
      return isIpType(et) ? frame.subarray(off + 2) : null;
    }
    case LINKTYPE_LINUX_SLL:
      if (frame.length < 16) return null;
      return isIpType(be16(14)) ? frame.subarray(16) : null;
    case LINKTYPE_LINUX_SLL2:
      if (frame.length < 20) return null;
      return isIpType(be16(0)) ? frame.subarray(20) : null;
    case LINKTYPE_NULL:
    case LINKTYPE_LOOP: {
      if (frame.length < 4) return null;
      // NULL: AF_ value in the capturing host's byte order; LOOP: network order. Accept
      // AF_INET (2) and the AF_INET6 values of the BSDs and Linux (10, 24, 28, 30) either way.
      const le = frame[0] | (frame[1] << 8) | (frame[2] << 16) | (frame[3] << 24);
      const be = (frame[0] << 24) | (frame[1] << 16) | (frame[2] << 8) | frame[3];
      const af = linktype === LINKTYPE_LOOP || bigEndianFile ? be : le;
      const alt = af === le ? be : le;
      const ok = (x: number) => x === 2 || x === 10 || x === 24 || x === 28 || x === 30;
      return ok(af) || ok(alt) ? ipOnly(frame.subarray(4)) : null;
    }
    default:
      return undefined;
  }
}

/** Read a pcapng file. Supports multiple sections, either byte order, EPB/SPB/PB blocks and
 *  any if_tsresol. Never throws. */
export function readPcapng(bytes: Uint8Array): CaptureResult {
  const packets: CapturedPacket[] = [];
  const fail = (error: string): CaptureError => ({ error, packets });
  try {
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (bytes.length < 28) return fail('not a pcapng file: too short');
    let off = 0;
    let le = true;
    let ifaces: { linktype: number; unitsPerSec: number; tsOffset: number; snaplen: number }[] = [];
    while (off < bytes.length) {
      if (bytes.length - off < 12) return fail(`truncated block at offset ${off}`);
      const peekType = dv.getUint32(off, true);
      if (peekType === BT_SHB) {
        // Byte order is set by each section's magic.
        const magic = dv.getUint32(off + 8, true);
        if (magic === BYTE_ORDER_MAGIC) le = true;
        else if (magic === 0x4d3c2b1a) le = false;
        else return fail(`bad byte-order magic at offset ${off}`);
        ifaces = [];
      } else if (off === 0) {
        return fail('not a pcapng file: no Section Header Block');
      }
      const type = dv.getUint32(off, le);
      const len = dv.getUint32(off + 4, le);
      if (len < 12 || len % 4 !== 0 || off + len > bytes.length) return fail(`bad block length ${len} at offset ${off}`);
      if (dv.getUint32(off + len - 4, le) !== len) return fail(`block length mismatch at offset ${off}`);
      const body = off + 8;
      const bodyEnd = off + len - 4;
      if (type === BT_IDB) {
        if (bodyEnd - body < 8) return fail(`short interface block at offset ${off}`);
        const iface = { linktype: dv.getUint16(body, le), unitsPerSec: 1e6, tsOffset: 0, snaplen: dv.getUint32(body + 4, le) };
        for (const o of readOptions(dv, body + 8, bodyEnd, le)) {
          if (o.code === 9 && o.len >= 1) {
            const r = bytes[o.at];
            iface.unitsPerSec = r & 0x80 ? 2 ** (r & 0x7f) : 10 ** r;
          } else if (o.code === 14 && o.len === 8) {
            iface.tsOffset = Number(dv.getBigInt64(o.at, le));
          }
        }
        ifaces.push(iface);
      } else if (type === BT_EPB || type === BT_PB) {
        if (bodyEnd - body < 20) return fail(`short packet block at offset ${off}`);
        const ifIndex = type === BT_EPB ? dv.getUint32(body, le) : dv.getUint16(body, le);
        const iface = ifaces[ifIndex];
        if (!iface) return fail(`packet on undeclared interface ${ifIndex} at offset ${off}`);
        const hi = dv.getUint32(body + 4, le);
        const lo = dv.getUint32(body + 8, le);
        const caplen = dv.getUint32(body + 12, le);
        if (body + 20 + caplen > bodyEnd) return fail(`packet data overruns block at offset ${off}`);
        const frame = bytes.slice(body + 20, body + 20 + caplen);
        const t = ((hi * 4294967296 + lo) / iface.unitsPerSec + iface.tsOffset) * 1000;
        const ip = stripLinkHeader(iface.linktype, frame, !le);
        if (ip === undefined) return fail(`unsupported link type ${iface.linktype}`);
        if (ip) packets.push({ t, data: ip, ifIndex });
      } else if (type === BT_SPB) {
        const iface = ifaces[0];
        if (!iface) return fail(`simple packet block without an interface at offset ${off}`);
        const orig = dv.getUint32(body, le);
        const caplen = Math.min(orig, iface.snaplen || orig, bodyEnd - body - 4);
        const ip = stripLinkHeader(iface.linktype, bytes.slice(body + 4, body + 4 + caplen), !le);
        if (ip === undefined) return fail(`unsupported link type ${iface.linktype}`);
        if (ip) packets.push({ t: 0, data: ip, ifIndex: 0 });
      }
      off += len;
    }
    return packets;
  } catch (e) {
    return fail(`unreadable capture: ${(e as Error).message}`);
  }
}

function* readOptions(dv: DataView, at: number, end: number, le: boolean): Generator<{ code: number; len: number; at: number }> {
  while (at + 4 <= end) {
    const code = dv.getUint16(at, le);
    const len = dv.getUint16(at + 2, le);
    if (code === 0) return;
    if (at + 4 + len > end) return;
    yield { code, len, at: at + 4 };
    at += 4 + ((len + 3) & ~3);
  }
}

/** Read a classic libpcap file (micro- or nanosecond, either byte order). Never throws. */
export function readPcap(bytes: Uint8Array): CaptureResult {
  const packets: CapturedPacket[] = [];
  const fail = (error: string): CaptureError => ({ error, packets });
  try {
    if (bytes.length < 24) return fail('not a pcap file: too short');
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const m = dv.getUint32(0, true);
    let le: boolean;
    let unitsPerSec: number;
    if (m === 0xa1b2c3d4 || m === 0xa1b23c4d) le = true;
    else if (m === 0xd4c3b2a1 || m === 0x4d3cb2a1) le = false;
    else return fail('not a pcap file: bad magic');
    const magic = dv.getUint32(0, le);
    unitsPerSec = magic === 0xa1b23c4d ? 1e9 : 1e6;
    const linktype = dv.getUint32(20, le) & 0x0fffffff;
    let off = 24;
    while (off < bytes.length) {
      if (bytes.length - off < 16) return fail(`truncated record header at offset ${off}`);
      const sec = dv.getUint32(off, le);
      const frac = dv.getUint32(off + 4, le);
      const incl = dv.getUint32(off + 8, le);
      if (off + 16 + incl > bytes.length) return fail(`truncated packet at offset ${off}`);
      const frame = bytes.slice(off + 16, off + 16 + incl);
      const ip = stripLinkHeader(linktype, frame, !le);
      if (ip === undefined) return fail(`unsupported link type ${linktype}`);
      if (ip) packets.push({ t: (sec + frac / unitsPerSec) * 1000, data: ip, ifIndex: 0 });
      off += 16 + incl;
    }
    return packets;
  } catch (e) {
    return fail(`unreadable capture: ${(e as Error).message}`);
  }
}

/** Read either format, detected by its first bytes. Never throws. */
export function readCapture(bytes: Uint8Array): CaptureResult {
  if (bytes.length >= 4 && bytes[0] === 0x0a && bytes[1] === 0x0d && bytes[2] === 0x0d && bytes[3] === 0x0a) {
    return readPcapng(bytes);
  }
  return readPcap(bytes);
}

/** Write a classic pcap file (LINKTYPE_RAW, microseconds) from packets: handy for tools that
 *  only read libpcap format. */
export function writePcap(packets: { t: number; data: Uint8Array }[], snaplen = 262144): Uint8Array {
  const total = 24 + packets.reduce((n, p) => n + 16 + Math.min(p.data.length, snaplen), 0);
  const out = new Uint8Array(total);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, 0xa1b2c3d4, true);
  dv.setUint16(4, 2, true);
  dv.setUint16(6, 4, true);
  dv.setUint32(16, snaplen, true);
  dv.setUint32(20, LINKTYPE_RAW, true);
  let off = 24;
  for (const p of packets) {
    const us = Math.max(0, Math.round(p.t * 1000));
    const cap = p.data.subarray(0, snaplen);
    dv.setUint32(off, Math.floor(us / 1e6), true);
    dv.setUint32(off + 4, us % 1e6, true);
    dv.setUint32(off + 8, cap.length, true);
    dv.setUint32(off + 12, p.data.length, true);
    out.set(cap, off + 16);
    off += 16 + cap.length;
  }
  return out;
}
