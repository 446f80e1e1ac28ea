// A packet capture for the scenarios: records (time, direction, packet) as the link runs and
// writes pcapng once at the end (Section Header Block, one Interface Description Block with
// LINKTYPE_RAW and microsecond timestamps, Enhanced Packet Blocks with epb_flags direction),
// the same format as link/pcapng.ts's PcapngWriter. It exists because a bulk run captures
// ~10 MB and the scenarios must finish in about a second: this writer copies each packet once
// into one preallocated buffer. Browser-safe.
import type { Clock } from '../../sim/types.js';
import type { LinkPort } from '../../link/types.js';

const LINKTYPE_RAW = 101;
const enc = new TextEncoder();

interface Rec {
  t: number;
  out: boolean;
  p: Uint8Array;
}

const pad4 = (n: number): number => (n + 3) & ~3;

export class LinkCapture {
  private recs: Rec[] = [];
  constructor(
    private readonly clock: Clock,
    readonly ifName: string,
    private readonly application = 'synack scenario',
  ) {}

  get count(): number {
    return this.recs.length;
  }

  /** Wrap `port` so every packet sent through it and received from it is recorded. The packet
   *  is copied (the stack may reuse its buffer; the link hands out private copies). */
  tap(port: LinkPort): LinkPort {
    const cap = this;
    let handler: ((p: Uint8Array) => void) | null = null;
    return {
      send(packet: Uint8Array) {
        cap.recs.push({ t: cap.clock.now(), out: true, p: packet.slice() });
        port.send(packet);
      },
      get onReceive() {
        return handler;
      },
      set onReceive(fn: ((p: Uint8Array) => void) | null) {
        handler = fn;
        port.onReceive = fn
          ? (p: Uint8Array) => {
              cap.recs.push({ t: cap.clock.now(), out: false, p });
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
    for (const r of this.recs) total += 32 + pad4(r.p.length) + 12;
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
    for (const r of this.recs) {
      const len = 32 + pad4(r.p.length) + 12;
      const us = Math.max(0, Math.round(r.t * 1000));
      u32(0x00000006);
      u32(len);
      u32(0); // interface 0
      u32(Math.floor(us / 4294967296));
      u32(us);
      u32(r.p.length);
      u32(r.p.length);
      bytes(r.p);
      u16(2); // epb_flags
      u16(4);
      u32(r.out ? 2 : 1); // direction: 1 inbound, 2 outbound
      u32(0);
      u32(len);
    }
    return out;
  }
}
