// synack through its Node-compatible API (`stack.net`) on a virtual-time `Network`: the same
// socket code an application would run, driven by Network.until (one event-loop turn per virtual
// instant, so Node stream callbacks run in order). Wall clock and CPU time of real work.
import { once } from 'node:events';
import type { Socket } from '../../src/api/net.js';
import { Network } from '../../src/index.js';
import { nowMs, gbps, cpuSince } from './util.js';

function pair(mtu: number): { network: Network; a: ReturnType<Network['host']>; b: ReturnType<Network['host']> } {
  const network = new Network({ virtual: true, mtu, checksumOffload: true, delay: 0, seed: 5 });
  return { network, a: network.host('10.0.0.1/24'), b: network.host('10.0.0.2/24') };
}

export async function netApiBulk(bytes: number, mtu: number): Promise<{ bytes: number; seconds: number; gbps: number; cpuSeconds: number }> {
  const { network, a, b } = pair(mtu);
  let received = 0;
  let done!: () => void;
  const fin = new Promise<void>((r) => (done = r));
  const srv = b.net.createServer((s: Socket) => {
    s.on('data', (d: Buffer) => {
      received += d.length;
      if (received >= bytes) done();
    });
  });
  srv.listen(5001, '10.0.0.2');
  await network.until(once(srv, 'listening'));
  const c = a.net.connect({ port: 5001, host: '10.0.0.2' });
  await network.until(once(c, 'connect'));
  const chunk = Buffer.alloc(64 * 1024, 0x5a);
  const c0 = process.cpuUsage();
  const t0 = nowMs();
  void (async () => {
    let sent = 0;
    while (sent < bytes) {
      const len = Math.min(chunk.length, bytes - sent);
      sent += len;
      if (!c.write(len === chunk.length ? chunk : chunk.subarray(0, len))) await once(c, 'drain');
    }
  })();
  await network.until(fin);
  const seconds = (nowMs() - t0) / 1000;
  const cpuSeconds = cpuSince(c0);
  c.destroy();
  srv.close();
  network.close();
  return { bytes: received, seconds, gbps: gbps(received, seconds), cpuSeconds };
}

export async function netApiRr(windowMs: number): Promise<{ roundTrips: number; us: number; cpuUs: number }> {
  const { network, a, b } = pair(1500);
  const srv = b.net.createServer((s: Socket) => {
    s.setNoDelay(true);
    s.on('data', () => s.write(Buffer.from([0x2a])));
  });
  srv.listen(5002, '10.0.0.2');
  await network.until(once(srv, 'listening'));
  const c = a.net.connect({ port: 5002, host: '10.0.0.2', noDelay: true });
  await network.until(once(c, 'connect'));
  let n = 0;
  const c0 = process.cpuUsage();
  const t0 = nowMs();
  const end = t0 + windowMs;
  const fin = new Promise<void>((resolve) => {
    c.on('data', () => {
      n++;
      if ((n & 255) === 0 && nowMs() >= end) resolve();
      else c.write(Buffer.from([0x2a]));
    });
  });
  c.write(Buffer.from([0x2a]));
  await network.until(fin);
  const seconds = (nowMs() - t0) / 1000;
  const cpu = cpuSince(c0);
  c.destroy();
  srv.close();
  network.close();
  return { roundTrips: n, us: (seconds * 1e6) / n, cpuUs: (cpu * 1e6) / n };
}
