// Node's own `http` over synack: http.createServer fed with synack sockets on one simulated host
// (server.emit('connection', socket)), http.request with createConnection on another. Virtual
// time, so the run is fast and deterministic. IPv4 and IPv6.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { Duplex } from 'node:stream';
import { FAMILIES, lan } from './helpers.js';
import type { Stack } from '../../src/api/stack.js';

function startHttp(server: Stack, host: string, port: number) {
  const httpServer = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (d: Buffer) => chunks.push(d));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      res.setHeader('content-type', 'text/plain');
      res.end(`${req.method} ${req.url} ${body.length} ${req.socket.remoteAddress}`);
    });
  });
  const listener = server.net.createServer((sock) => httpServer.emit('connection', sock));
  listener.listen(port, host);
  return { httpServer, listener };
}

function request(opts: http.RequestOptions, body?: string): Promise<{ status: number; text: string; reused: boolean }> {
  return new Promise((resolve, reject) => {
    const req = http.request(opts, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode!, text, reused: req.reusedSocket }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

for (const f of FAMILIES) {
  test(`${f.name} http: 1,000 requests over one keep-alive connection and 1,000 over fresh connections`, async () => {
    const { network, client, server } = lan();
    const { httpServer, listener } = startHttp(server, f.server, 80);
    let connections = 0;
    listener.on('connection', () => connections++);

    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    (agent as unknown as { createConnection: (o: { host: string; port: number }) => Duplex }).createConnection = (o) =>
      client.net.createConnection({ host: o.host, port: o.port });
    const keepAlive = async () => {
      let reused = 0;
      for (let i = 0; i < 1000; i++) {
        const body = i % 10 === 0 ? 'x'.repeat(i) : undefined;
        const r = await request({ host: f.server, port: 80, path: `/ka/${i}`, method: body ? 'POST' : 'GET', agent }, body);
        assert.equal(r.status, 200, `${i}: ${r.text}`);
        assert.equal(r.text, `${body ? 'POST' : 'GET'} /ka/${i} ${body?.length ?? 0} ${f.client}`);
        if (r.reused) reused++;
      }
      return reused;
    };
    const reused = await network.until(keepAlive());
    assert.equal(reused, 999, 'every request after the first reused the connection');
    assert.equal(connections, 1);
    agent.destroy();

    const fresh = async () => {
      for (let i = 0; i < 1000; i++) {
        const r = await request({
          // No `agent` (and never agent: false, which makes Node use a default Agent and
          // node:net): with createConnection alone each request gets its own connection.
          host: f.server, port: 80, path: `/fresh/${i}`,
          createConnection: (o: http.ClientRequestArgs) => client.net.createConnection({ host: o.host!, port: Number(o.port) }) as unknown as Duplex,
        } as http.RequestOptions);
        assert.equal(r.status, 200, `${i}: ${r.text}`);
        assert.equal(r.text, `GET /fresh/${i} 0 ${f.client}`);
      }
    };
    await network.until(fresh());
    assert.equal(connections, 1001);
    listener.close();
    httpServer.close();
    await network.settle();
    assert.deepEqual(client.connectionTable(), []);
    assert.deepEqual(server.connectionTable(), []);
    assert.equal(network.pendingTimers, 0, 'no timers left');
  });
}
