// Web streams over synack: stack.connect() / stack.listen() echo, half-close, errors. Virtual
// time; IPv4 and IPv6.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FAMILIES, lan, pattern } from './helpers.js';

async function readAll(r: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let n = 0;
  for await (const c of r as unknown as AsyncIterable<Uint8Array>) {
    parts.push(c);
    n += c.length;
  }
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

for (const f of FAMILIES) {
  test(`${f.name} streams: listen() as an async iterator, connect(), 1 MB echo via pipeTo, close`, async () => {
    const { network, client, server } = lan();
    const listener = server.listen({ port: 9, host: f.server });
    assert.equal(listener.port, 9);
    const served: string[] = [];
    const serve = (async () => {
      for await (const conn of listener) {
        served.push(conn.remote.addr);
        // Echo: the readable ends at the client's FIN, then pipeTo closes our writable (FIN).
        void conn.readable.pipeTo(conn.writable);
      }
    })();
    const data = pattern(1 << 20, 11);
    const session = async () => {
      const conn = await client.connect({ host: f.server, port: 9 });
      assert.equal(conn.remote.addr, f.server);
      assert.equal(conn.remote.port, 9);
      assert.equal(conn.local.addr, f.client);
      const w = conn.writable.getWriter();
      const writing = (async () => {
        for (let o = 0; o < data.length; o += 50_000) await w.write(data.subarray(o, o + 50_000));
        await w.close(); // FIN: the echo ends after our data
      })();
      const [echoed] = await Promise.all([readAll(conn.readable), writing]);
      await conn.closed;
      return echoed;
    };
    const echoed = await network.until(session());
    assert.equal(echoed.length, data.length);
    assert.ok(Buffer.from(echoed).equals(Buffer.from(data)), 'bytes intact');
    assert.deepEqual(served, [f.client]);
    listener.close();
    await network.until(serve);
    await network.settle();
    assert.deepEqual(client.connectionTable(), []);
    assert.deepEqual(server.connectionTable(), []);
  });

  test(`${f.name} streams: connect() to a closed port rejects with ECONNREFUSED; listen() twice -> EADDRINUSE`, async () => {
    const { network, client, server } = lan();
    await assert.rejects(network.until(client.connect({ host: f.server, port: 1234 })), {
      code: 'ECONNREFUSED',
      syscall: 'connect',
    });
    const l = server.listen({ port: 1234, host: f.server });
    assert.throws(() => server.listen({ port: 1234, host: f.server }), { code: 'EADDRINUSE' });
    assert.throws(() => server.listen({ port: 99999 }), { code: 'ERR_SOCKET_BAD_PORT' });
    // close() of a connection: graceful FIN; the peer's readable ends.
    const pair = async () => {
      const accepting = l.accept();
      const c = await client.connect({ host: f.server, port: 1234 });
      const s = (await accepting)!;
      const w = c.writable.getWriter();
      await w.write(new TextEncoder().encode('last words'));
      w.releaseLock();
      await c.close();
      return new TextDecoder().decode(await readAll(s.readable));
    };
    assert.equal(await network.until(pair()), 'last words');
    l.close();
    assert.equal(await l.accept(), null);
  });
}
