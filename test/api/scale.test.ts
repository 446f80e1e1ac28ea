// 10,000 concurrent connections on one listener in the simulator (virtual time), each echoing
// 10 KB through stack.net; every byte verified; all closed; afterwards, once TIME-WAIT has
// passed, both connection tables are empty and no timer is left on the network's clock.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Socket } from '../../src/api/net.js';
import { Network } from '../../src/index.js';
import { pattern } from './helpers.js';

const N = 10_000;
const SIZE = 10 * 1024;

test(`net at scale: ${N} concurrent connections on one listener, each echoing 10 KB, then all closed`, async () => {
  const network = new Network({ seed: 7, virtual: true, delay: '2ms', limits: { somaxconn: 16384, maxSynBacklog: 16384 }, tcp: { rcvBuf: 32 * 1024, sndBuf: 32 * 1024 } });
  const client = network.host({ name: 'client', addresses: ['10.0.0.1/24'] });
  const server = network.host({ name: 'server', addresses: ['10.0.0.2/24'] });
  let accepted = 0;
  let peak = 0;
  let open = 0;
  const srv = server.net.createServer((s: Socket) => {
    accepted++;
    open++;
    peak = Math.max(peak, open);
    s.on('close', () => open--);
    s.pipe(s);
  });
  srv.listen({ port: 7, host: '10.0.0.2', backlog: 16384 });

  const results = new Array<Promise<void>>(N);
  let verified = 0;
  for (let i = 0; i < N; i++) {
    const data = pattern(SIZE, i + 1);
    const c = client.net.connect(7, '10.0.0.2');
    const chunks: Buffer[] = [];
    c.on('data', (d: Buffer) => chunks.push(d));
    c.end(data);
    results[i] = new Promise<void>((resolve, reject) => {
      c.on('error', reject);
      c.on('close', () => {
        const got = Buffer.concat(chunks);
        if (got.length !== SIZE || !got.equals(data)) reject(new Error(`connection ${i}: ${got.length} bytes, mismatch`));
        else {
          verified++;
          resolve();
        }
      });
    });
  }
  await network.until(Promise.all(results));
  assert.equal(verified, N);
  assert.equal(accepted, N);
  assert.ok(peak > 1000, `connections were concurrent (peak ${peak} open on the server)`);
  srv.close();
  await network.settle();
  assert.deepEqual(client.connectionTable(), []);
  assert.deepEqual(server.connectionTable(), []);
  assert.equal(network.pendingTimers, 0, 'no timers left');
  network.close();
});
