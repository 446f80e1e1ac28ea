// SYN flood harness (fast test: 50,000 spoofed SYNs; soak runner: 1,000,000). A server with SYN
// cookies and a small listen backlog; an attacker injects spoofed SYNs (random source addresses
// and ports) in bursts, in virtual time, while a legitimate client host connects, sends a
// request and reads the reply. The "switch" delivers packets between the two real hosts and
// blackholes everything the server sends to spoofed addresses (counted).
import assert from 'node:assert/strict';
import { VirtualScheduler } from '../../src/sim/scheduler.js';
import { SeededRng } from '../../src/sim/random.js';
import type { LinkPort } from '../../src/link/types.js';
import { HostStack, type Listener } from '../../src/stack/host.js';
import { SocketError } from '../../src/stack/types.js';
import { buildTcpPacket } from '../../src/wire/packet.js';
import { ACK, SYN } from '../../src/wire/types.js';
import { heapUsed } from './heap.js';

export interface FloodResult {
  spoofedSyns: number;
  spoofedAcks: number;
  legitOk: number;
  legitTotal: number;
  maxSynQueue: number;
  synLimit: number;
  maxConnections: number;
  heapDeltaMB: number;
  blackholed: number;
  counters: { syncookiesSent: number; syncookiesRecv: number; syncookiesFailed: number; synQueueOverflows: number; listenDrops: number; tcpPassiveOpens: number };
  virtualMs: number;
  wallMs: number;
}

function pairPorts(sched: VirtualScheduler, delay: number): { server: LinkPort; client: LinkPort; blackholed: () => number } {
  let black = 0;
  const server: LinkPort = {
    onReceive: null,
    mtu: 1500,
    send(p) {
      // IPv4 only here: destination 10.0.0.1 is the client; anything else was spoofed.
      if (p[16] === 10 && p[17] === 0 && p[18] === 0 && p[19] === 1) sched.at(sched.now() + delay, () => client.onReceive?.(p));
      else black++;
    },
  };
  const client: LinkPort = {
    onReceive: null,
    mtu: 1500,
    send(p) {
      sched.at(sched.now() + delay, () => server.onReceive?.(p));
    },
  };
  return { server, client, blackholed: () => black };
}

export function synFlood(opts: { syns: number; burst: number; burstEveryMs: number; legit: number; seed: number; ackFlood?: number }): FloodResult {
  const w0 = performance.now();
  const sched = new VirtualScheduler();
  const ports = pairPorts(sched, 1);
  const server = new HostStack({ name: 'server', scheduler: sched, rng: opts.seed, synCookies: true, limits: { somaxconn: 4096 } });
  const client = new HostStack({ name: 'client', scheduler: sched, rng: opts.seed + 1 });
  server.addInterface({ name: 'eth0', port: ports.server, addresses: ['10.0.0.2/8'] });
  client.addInterface({ name: 'eth0', port: ports.client, addresses: ['10.0.0.1/8'] });
  const ss = server.sockets;
  const l = ss.socket(4);
  ss.bind(l, { addr: '0.0.0.0', port: 80 });
  ss.listen(l, 128);
  const listener = (server as unknown as { listeners: Map<string, Listener[]> }).listeners.get('0.0.0.0 80')![0];
  assert.ok(listener, 'listener found');
  // The server application: accept, read the request, answer, close.
  ss.watch(l, () => {
    for (;;) {
      let fd: number;
      try {
        fd = ss.accept(l).fd;
      } catch {
        return;
      }
      let served = false;
      const serve = (): void => {
        if (served) return;
        let got = 0;
        try {
          got = ss.read(fd, 65536).length;
        } catch {
          return;
        }
        if (got > 0) {
          served = true;
          ss.write(fd, new Uint8Array(3000).fill(0x5a));
          ss.close(fd);
        }
      };
      ss.watch(fd, serve);
      serve();
    }
  });
  const cs = client.sockets;
  const rng = new SeededRng(opts.seed * 7 + 3);
  const spoof = new Uint8Array(4);
  const dst = new Uint8Array([10, 0, 0, 2]);
  let legitOk = 0;
  let legitStarted = 0;
  const totalBursts = Math.ceil(opts.syns / opts.burst);
  const legitEvery = Math.max(1, Math.floor(totalBursts / opts.legit));
  let sent = 0;
  let acks = 0;
  let maxSynQueue = 0;
  let maxConns = 0;
  const startLegit = (): void => {
    legitStarted++;
    const fd = cs.socket(4);
    let got = 0;
    let done = false;
    cs.watch(fd, (ev) => {
      if (ev === 'connect') cs.write(fd, new Uint8Array(500).fill(0x47));
      if (ev === 'readable' || ev === 'eof') {
        for (;;) {
          let d: Uint8Array;
          try {
            d = cs.read(fd, 65536);
          } catch {
            break;
          }
          if (d.length === 0) {
            if (!done && got === 3000) legitOk++;
            done = true;
            cs.close(fd);
            return;
          }
          got += d.length;
        }
      }
    });
    try {
      cs.connect(fd, { addr: '10.0.0.2', port: 80 });
    } catch (e) {
      if (!(e instanceof SocketError) || e.code !== 'EINPROGRESS') throw e;
    }
  };
  const h0 = heapUsed();
  let heapMax = h0;
  for (let b = 0; b < totalBursts; b++) {
    const n = Math.min(opts.burst, opts.syns - sent);
    for (let i = 0; i < n; i++) {
      const v = rng.nextU32();
      spoof[0] = 10;
      spoof[1] = 1 + (v >>> 24) % 254; // never 10.0.0.x: the real hosts live there
      spoof[2] = (v >>> 16) & 0xff;
      spoof[3] = (v >>> 8) & 0xff;
      const seg = {
        srcPort: 1024 + (rng.nextU32() % 64000),
        dstPort: 80,
        seq: rng.nextU32(),
        ack: 0,
        flags: SYN,
        window: 65535,
        urgent: 0,
        options: { mss: 1460, sackPermitted: true, timestamp: { val: rng.nextU32(), ecr: 0 }, wscale: 7 },
        payload: new Uint8Array(0),
      };
      server.input('eth0', buildTcpPacket(spoof, dst, seg));
      sent++;
    }
    // Blind ACKs guessing a cookie (they must all fail).
    const na = opts.ackFlood ? Math.min(opts.ackFlood - acks, Math.ceil(opts.ackFlood / totalBursts)) : 0;
    for (let i = 0; i < na; i++) {
      const v = rng.nextU32();
      spoof[1] = 1 + (v >>> 24) % 254;
      spoof[2] = (v >>> 16) & 0xff;
      spoof[3] = (v >>> 8) & 0xff;
      server.input('eth0', buildTcpPacket(spoof, dst, { srcPort: 1024 + (v & 0xffff) % 64000, dstPort: 80, seq: rng.nextU32(), ack: rng.nextU32(), flags: ACK, window: 65535, urgent: 0, options: {}, payload: new Uint8Array(0) }));
      acks++;
    }
    if (b % legitEvery === 0 && legitStarted < opts.legit) startLegit();
    maxSynQueue = Math.max(maxSynQueue, listener.synQueue.size);
    maxConns = Math.max(maxConns, server.connectionCount);
    sched.runFor(opts.burstEveryMs);
    maxSynQueue = Math.max(maxSynQueue, listener.synQueue.size);
    if (b % 100 === 99) heapMax = Math.max(heapMax, heapUsed());
  }
  while (legitStarted < opts.legit) startLegit();
  // Let every legitimate connection finish and every half-open one time out.
  sched.runFor(300_000);
  heapMax = Math.max(heapMax, heapUsed());
  const c = server.counters();
  return {
    spoofedSyns: sent,
    spoofedAcks: acks,
    legitOk,
    legitTotal: opts.legit,
    maxSynQueue,
    synLimit: listener.synLimit,
    maxConnections: maxConns,
    heapDeltaMB: (heapMax - h0) / 1048576,
    blackholed: ports.blackholed(),
    counters: {
      syncookiesSent: c.syncookiesSent,
      syncookiesRecv: c.syncookiesRecv,
      syncookiesFailed: c.syncookiesFailed,
      synQueueOverflows: c.synQueueOverflows,
      listenDrops: c.listenDrops,
      tcpPassiveOpens: c.tcpPassiveOpens,
    },
    virtualMs: sched.now(),
    wallMs: performance.now() - w0,
  };
}
