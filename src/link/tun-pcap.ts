// A streaming classic pcap writer (LINKTYPE_RAW) for `synack tun --pcap`: packets go to the file
// as they pass, so long transfers do not pile up in memory (PcapngWriter builds in memory).
// Readable by tcpdump, tshark, Wireshark and link/pcapng.ts's readPcap.
import { closeSync, openSync, writeSync } from 'node:fs';

const LINKTYPE_RAW = 101;

export class PcapStream {
  private fd: number;
  private buf: Buffer;
  private used = 0;
  private closed = false;
  count = 0;

  constructor(file: string, readonly snaplen = 262144) {
    this.fd = openSync(file, 'w');
    this.buf = Buffer.allocUnsafe(1 << 20);
    const h = Buffer.alloc(24);
    h.writeUInt32LE(0xa1b2c3d4, 0); // microsecond timestamps
    h.writeUInt16LE(2, 4);
    h.writeUInt16LE(4, 6);
    h.writeUInt32LE(snaplen, 16);
    h.writeUInt32LE(LINKTYPE_RAW, 20);
    writeSync(this.fd, h);
  }

  write(packet: Uint8Array, tMs = performance.timeOrigin + performance.now()): void {
    if (this.closed) return;
    const cap = Math.min(packet.length, this.snaplen);
    if (this.used + 16 + cap > this.buf.length) this.flush();
    if (16 + cap > this.buf.length) this.buf = Buffer.allocUnsafe(16 + cap);
    const us = Math.round(tMs * 1000);
    const b = this.buf;
    let o = this.used;
    b.writeUInt32LE(Math.floor(us / 1e6) >>> 0, o);
    b.writeUInt32LE(us % 1e6, o + 4);
    b.writeUInt32LE(cap, o + 8);
    b.writeUInt32LE(packet.length, o + 12);
    o += 16;
    b.set(packet.subarray(0, cap), o);
    this.used = o + cap;
    this.count++;
  }

  flush(): void {
    if (this.used > 0 && !this.closed) writeSync(this.fd, this.buf, 0, this.used);
    this.used = 0;
  }

  close(): void {
    if (this.closed) return;
    this.flush();
    this.closed = true;
    closeSync(this.fd);
  }
}
