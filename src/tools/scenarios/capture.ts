// A packet capture for the scenarios: records (time, direction, packet) as the link runs and
// writes pcapng once at the end (Section Header Block, one Interface Description Block with
// LINKTYPE_RAW and microsecond timestamps, Enhanced Packet Blocks with epb_flags direction),
// the same format as link/pcapng.ts's PcapngWriter. It exists because a bulk run captures
// ~10 MB and the scenarios must finish in about a second: each packet is written as its
// Enhanced Packet Block straight into 1 MiB slabs as it passes (no per-packet copy or record
// object), and toPcapng() joins the headers and the slabs. Browser-safe.
import type { Clock } from '../../sim/types.js';
import type { LinkPort } from '../../link/types.js';

const LINKTYPE_RAW = 101;
const enc = new TextEncoder();

const SLAB = 1 << 20;

const pad4 = (n: number): number => (n + 3) & ~3;

export class LinkCapture {
  /** Enhanced Packet Blocks, written as packets pass; the last slab is filled up to `used`. */
  private slabs: Uint8Array[] = [];
  private slab = new Uint8Array(0);
  private view = new DataView(this.slab.buffer);
  private used = 0;
  private n = 0;
  constructor(
    private readonly clock: Clock,
    readonly ifName: string,
    private readonly application = 'synack scenario',
  ) {}

  get count(): number {
    return this.n;
  }

  /** Append one Enhanced Packet Block (interface 0, microsecond time, epb_flags direction). */
  private record(out: boolean, p: Uint8Array): void {
    const len = 32 + pad4(p.length) + 12;
    if (this.used + len > this.slab.length) {
      if (this.used > 0) this.slabs.push(this.slab.subarray(0, this.used));
      this.slab = new Uint8Array(Math.max(SLAB, len));
      this.view = new DataView(this.slab.buffer);
      this.used = 0;
    }
    const v = this.view;
    const o = this.used;
    const us = Math.max(0, Math.round(this.clock.now() * 1000));
    v.setUint32(o, 0x00000006, true);
    v.setUint32(o + 4, len, true);
    v.setUint32(o + 8, 0, true); // interface 0
    v.setUint32(o + 12, Math.floor(us / 4294967296), true);
    v.setUint32(o + 16, us >>> 0, true);
    v.setUint32(o + 20, p.length, true);
    v.setUint32(o + 24, p.length, true);
    this.slab.set(p, o + 28); // padding bytes are still zero: slabs are fresh and written once
    const q = o + 28 + pad4(p.length);
    v.setUint16(q, 2, true); // epb_flags
    v.setUint16(q + 2, 4, true);
    v.setUint32(q + 4, out ? 2 : 1, true); // direction: 1 inbound, 2 outbound
    v.setUint32(q + 8, 0, true); // opt_endofopt
    v.setUint32(q + 12, len, true);
    this.used = o + len;
    this.n++;
  }

  /** Wrap `port` so every packet sent through it and received from it is recorded (copied into
   *  the capture at once: the stack may reuse its buffer). */
  tap(port: LinkPort): LinkPort {
    const cap = this;
    let handler: ((p: Uint8Array) => void) | null = null;
    return {
      send(packet: Uint8Array) {
        cap.record(true, packet);
        port.send(packet);
      },
      get onReceive() {
        return handler;
      },
      set onReceive(fn: ((p: Uint8Array) => void) | null) {
        handler = fn;
        port.onReceive = fn
          ? (p: Uint8Array) => {
              cap.record(false, p);
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
  }

  /** The capture as a pcapng file. */
  toPcapng(): Uint8Array {
    const appl = enc.encode(this.application);
    const ifn = enc.encode(this.ifName);
    const shbLen = 28 + 4 + pad4(appl.length) + 4;
    const idbLen = 16 + 4 + pad4(ifn.length) + 8 + 4 + 4; // header, if_name, if_tsresol (1 byte padded), end, trailer
    let total = shbLen + idbLen;
    const slabs = this.used > 0 ? [...this.slabs, this.slab.subarray(0, this.used)] : this.slabs;
    for (const b of slabs) total += b.length;
    const out = new Uint8Array(total);
    const v = new DataView(out.buffer);
    let o = 0;
    const u16 = (x: number) => {
      v.setUint16(o, x, true);
      o += 2;
    };
    const u32 = (x: number) => {
      v.setUint32(o, x >>> 0, true);
      o += 4;
    };
    const bytes = (b: Uint8Array) => {
      out.set(b, o);
      o += pad4(b.length);
    };
    // Section Header Block
    u32(0x0a0d0d0a);
    u32(shbLen);
    u32(0x1a2b3c4d);
    u16(1);
    u16(0);
    u32(0xffffffff);
    u32(0xffffffff);
    u16(4); // shb_userappl
    u16(appl.length);
    bytes(appl);
    u32(0); // opt_endofopt
    u32(shbLen);
    // Interface Description Block
    u32(0x00000001);
    u32(idbLen);
    u16(LINKTYPE_RAW);
    u16(0);
    u32(262144);
    u16(2); // if_name
    u16(ifn.length);
    bytes(ifn);
    u16(9); // if_tsresol: 10^-6
    u16(1);
    out[o] = 6;
    o += 4;
    u32(0);
    u32(idbLen);
    // Enhanced Packet Blocks
    for (const b of slabs) {
      out.set(b, o);
      o += b.length;
    }
    return out;
  }
}
