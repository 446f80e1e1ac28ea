// bulk: one connection carrying `bytes` from client to server, wall clock from the first write
// to the last byte read. synack<->synack over a SimLink (delay 0, no loss, checksum offload,
// virtual time driven as fast as possible) at MTU 1500 and 65535; Node `net` over the kernel
// loopback (same byte count, same process) as the yardstick.
import { once } from 'node:events';
import type net from 'node:net';
import { synPair, listenOn, establish, drive, readAll, isErrno } from '../lib/synack.js';
import { kernelServer, kernelConnect } from '../lib/kernel.js';
import { nowMs, gbps, cpuSince } from '../lib/util.js';

const CHUNK = 64 * 1024;

function pattern(n: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (i * 131 + 7) & 0xff;
  return b;
}

export interface BulkRun {
  bytes: number;
  seconds: number;
  gbps: number;
  /** CPU seconds (user + system) of this process over the same interval. */
  cpuSeconds: number;
  /** Segments the sender put on the wire (tcpOutSegs), retransmissions. */
  segments?: number;
  retrans?: number;
  /** The last chunk compared byte for byte with what was sent. */
  verified?: boolean;
}

export function synackBulk(bytes: number, mtu: number): BulkRun {
  const p = synPair({ mtu, checksumOffload: true, delay: 0 });
  const lfd = listenOn(p.b, p.bAddr, 5001);
  const [c, s] = establish(p, lfd, 5001);
  const chunk = pattern(CHUNK);
  let sent = 0;
  let received = 0;
  let lastRead: Uint8Array | null = null;
  const pump = (): void => {
    while (sent < bytes) {
      const off = sent % CHUNK;
      const len = Math.min(CHUNK - off, bytes - sent);
      let n: number;
      try {
        n = p.a.sockets.write(c, len === CHUNK ? chunk : chunk.subarray(off, off + len));
      } catch (e) {
        if (isErrno(e, 'EAGAIN')) return; // a 'writable' notification follows
        throw e;
      }
      sent += n;
      // Partial write: the buffer is full. A 'writable' notification follows when an ACK frees
      // room, so stop here rather than take an EAGAIN exception on the next call.
      if (n < len) return;
    }
  };
  const drain = (): void => {
    while (p.b.sockets.inq(s) > 0) {
      const d = p.b.sockets.read(s, 1 << 20);
      received += d.length;
      if (received > bytes - CHUNK) lastRead = d;
    }
  };
  p.a.sockets.watch(c, (ev) => {
    if (ev === 'writable') pump();
  });
  p.b.sockets.watch(s, (ev) => {
    if (ev === 'readable') drain();
  });
  const before = p.a.counters();
  const c0 = process.cpuUsage();
  const t0 = nowMs();
  pump();
  drive(p.sched, () => received >= bytes, `bulk mtu ${mtu}`);
  const seconds = (nowMs() - t0) / 1000;
  const cpuSeconds = cpuSince(c0);
  const after = p.a.counters();
  // Check the tail: the stream is the pattern repeated, so byte i is pattern[i % CHUNK].
  let verified = received === bytes;
  const tail = lastRead as Uint8Array | null;
  if (tail) {
    const start = received - tail.length;
    for (let i = 0; i < tail.length && verified; i++) if (tail[i] !== chunk[(start + i) % CHUNK]) verified = false;
  }
  p.a.sockets.close(c);
  p.b.sockets.close(s);
  p.b.sockets.close(lfd);
  return {
    bytes: received,
    seconds,
    gbps: gbps(received, seconds),
    cpuSeconds,
    segments: after.tcpOutSegs - before.tcpOutSegs,
    retrans: after.tcpRetransSegs - before.tcpRetransSegs,
    verified,
  };
}

export async function kernelBulk(bytes: number): Promise<BulkRun> {
  let received = 0;
  let resolveDone!: () => void;
  const done = new Promise<void>((r) => (resolveDone = r));
  const srv = await kernelServer((s: net.Socket) => {
    s.on('data', (d: Buffer) => {
      received += d.length;
      if (received >= bytes) resolveDone();
    });
    s.on('error', () => {});
  });
  const c = await kernelConnect(srv.port);
  const chunk = Buffer.from(pattern(CHUNK));
  const c0 = process.cpuUsage();
  const t0 = nowMs();
  let sent = 0;
  while (sent < bytes) {
    const len = Math.min(CHUNK, bytes - sent);
    sent += len;
    if (!c.write(len === CHUNK ? chunk : chunk.subarray(0, len))) await once(c, 'drain');
  }
  await done;
  const seconds = (nowMs() - t0) / 1000;
  const cpuSeconds = cpuSince(c0);
  c.destroy();
  await srv.close();
  return { bytes: received, seconds, gbps: gbps(received, seconds), cpuSeconds, verified: received === bytes };
}
