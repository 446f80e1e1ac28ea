// stack.net over the real host stack on a virtual-time LAN: Node's event order, half-close,
// backpressure, errors and misuse. Every case runs for IPv4 and IPv6.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Socket } from '../../src/api/net.js';
import { FAMILIES, lan, on, pattern } from './helpers.js';

for (const f of FAMILIES) {
  test(`${f.name} net: echo with Node's event order, addresses and byte counts`, async () => {
    const { network, client, server } = lan();
    const srvEvents: string[] = [];
    let accepted: { remoteAddress?: string; remotePort?: number; localPort?: number } | undefined;
    const srv = server.net.createServer((s) => {
      accepted = { remoteAddress: s.remoteAddress, remotePort: s.remotePort, localPort: s.localPort };
      s.on('end', () => srvEvents.push('end'));
      s.on('close', (h: boolean) => srvEvents.push(`close:${h}`));
      s.pipe(s);
    });
    srv.listen(7, f.server);
    await network.until(on(srv, 'listening'));
    assert.deepEqual(srv.address(), { address: f.server, family: f.name, port: 7 });
    const events: string[] = [];
    const c = client.net.connect({ port: 7, host: f.server });
    for (const ev of ['connect', 'ready', 'end', 'finish']) c.on(ev, () => events.push(ev));
    c.on('close', (h: boolean) => events.push(`close:${h}`));
    assert.equal(c.connecting, true);
    assert.equal(c.pending, true);
    assert.equal(c.readyState, 'opening');
    const chunks: Buffer[] = [];
    c.on('data', (d: Buffer) => chunks.push(d));
    c.write('hello, ');
    c.end('synack');
    await network.until(on(c, 'connect'));
    assert.equal(c.connecting, false);
    assert.equal(c.pending, false);
    assert.equal(c.remoteAddress, f.server);
    assert.equal(c.remotePort, 7);
    assert.equal(c.remoteFamily, f.name);
    assert.equal(c.localAddress, f.client);
    assert.ok(c.localPort! >= 1024);
    assert.deepEqual(c.address(), { address: f.client, family: f.name, port: c.localPort });
    const localPort = c.localPort;
    await network.until(on(c, 'close'));
    assert.equal(Buffer.concat(chunks).toString(), 'hello, synack');
    assert.deepEqual(events, ['connect', 'ready', 'finish', 'end', 'close:false']);
    assert.equal(c.bytesWritten, 13);
    assert.equal(c.bytesRead, 13);
    assert.equal(c.readyState, 'closed');
    assert.equal(accepted!.remoteAddress, f.client);
    assert.equal(accepted!.remotePort, localPort);
    assert.equal(accepted!.localPort, 7);
    await network.until(() => srvEvents.length === 2);
    assert.deepEqual(srvEvents, ['end', 'close:false']);
    srv.close();
    await network.settle();
    assert.deepEqual(client.connectionTable(), []);
    assert.deepEqual(server.connectionTable(), []);
  });

  test(`${f.name} net: allowHalfOpen keeps the server writing after the client's FIN`, async () => {
    const { network, client, server } = lan();
    const srv = server.net.createServer({ allowHalfOpen: true }, (s) => {
      let n = 0;
      s.on('data', (d: Buffer) => (n += d.length));
      s.on('end', () => {
        // The client's direction is closed; ours is still open.
        assert.equal(s.readyState, 'writeOnly');
        s.write(`got ${n} bytes`);
        s.end(', bye');
      });
    });
    srv.listen(9000);
    const c = client.net.connect(9000, f.server);
    let reply = '';
    c.setEncoding('utf8');
    c.on('data', (d: string) => (reply += d));
    c.end('x'.repeat(5000));
    await network.until(on(c, 'close'));
    assert.equal(reply, 'got 5000 bytes, bye');
    srv.close();
  });

  test(`${f.name} net: backpressure: write() returns false when the send buffer is full, 'drain' follows, 2 MB intact`, async () => {
    const { network, client, server } = lan({ bandwidth: '100Mbit' });
    const total = 2 * 1024 * 1024;
    const data = pattern(total, 3);
    let srvSock: Socket | undefined;
    const srv = server.net.createServer({ pauseOnConnect: true }, (s) => (srvSock = s));
    srv.listen(5001);
    const c = client.net.connect(5001, f.server);
    await network.until(on(c, 'connect'));
    // The server does not read: the client's writes stall once the windows and buffers fill.
    let off = 0;
    let ok = true;
    while (ok && off < total) {
      ok = c.write(data.subarray(off, off + 16384));
      off += 16384;
    }
    assert.equal(ok, false, 'write() returned false');
    // Let the windows fill; keep offering data until the stack can take no more.
    for (let round = 0; round < 10 && off < total; round++) {
      await network.run(500);
      while (off < total && c.write(data.subarray(off, off + 16384))) off += 16384;
      if (off < total) off += 16384;
    }
    await network.run(2000);
    assert.ok(srvSock, 'accepted');
    const stalledAt = c.bytesWritten;
    assert.ok(stalledAt < total, `writer stalled at ${stalledAt} bytes`);
    assert.ok(c.writableLength > 0, 'data waits in the stream buffer');
    assert.equal(c.writableNeedDrain, true);
    await network.run(5000);
    assert.equal(c.bytesWritten, stalledAt, 'nothing moves while the reader is paused');
    const received: Buffer[] = [];
    srvSock!.on('data', (d: Buffer) => received.push(d));
    srvSock!.resume();
    let drains = 0;
    c.on('drain', () => drains++);
    const rest = (async () => {
      while (off < total) {
        if (!c.write(data.subarray(off, off + 16384))) await on(c, 'drain');
        off += 16384;
      }
      c.end();
    })();
    await network.until(Promise.all([rest, on(srvSock!, 'end')]));
    assert.ok(drains >= 1);
    const got = Buffer.concat(received);
    assert.equal(got.length, total);
    assert.ok(got.equals(Buffer.from(data)), 'bytes intact and in order');
    assert.equal(c.bytesWritten, total);
    assert.equal(srvSock!.bytesRead, total);
    srv.close();
  });

  test(`${f.name} net: connecting to a port with no listener -> ECONNREFUSED, then close(true)`, async () => {
    const { network, client } = lan();
    const c = client.net.connect(4444, f.server);
    const seen: string[] = [];
    c.on('connect', () => seen.push('connect'));
    c.on('close', (h: boolean) => seen.push(`close:${h}`));
    const err = await network.until(on<NodeJS.ErrnoException & { address: string; port: number }>(c, 'error'));
    assert.equal(err.code, 'ECONNREFUSED');
    assert.equal(err.errno, -111);
    assert.equal(err.syscall, 'connect');
    assert.equal(err.address, f.server);
    assert.equal(err.port, 4444);
    assert.equal(err.message, `connect ECONNREFUSED ${f.server}:4444`);
    await network.until(() => seen.length > 0);
    assert.deepEqual(seen, ['close:true']);
    assert.equal(c.destroyed, true);
  });

  test(`${f.name} net: connecting to an address nobody answers -> ETIMEDOUT after SYN retries`, async () => {
    const { network, client } = lan({ tcp: { synRetries: 2 } });
    const c = client.net.connect({ port: 80, host: f.other });
    const t0 = network.now();
    const err = await network.until(on<NodeJS.ErrnoException>(c, 'error'));
    assert.equal(err.code, 'ETIMEDOUT');
    assert.equal(err.syscall, 'connect');
    assert.ok(network.now() - t0 >= 3000, 'after the SYN retransmissions (1 s + 2 s)');
  });

  test(`${f.name} net: the peer's reset -> ECONNRESET on read, close(true)`, async () => {
    const { network, client, server } = lan();
    const srv = server.net.createServer((s) => {
      s.once('data', () => s.resetAndDestroy());
    });
    srv.listen(81);
    const c = client.net.connect(81, f.server);
    c.write('ping');
    const closed = on<boolean>(c, 'close');
    const err = await network.until(on<NodeJS.ErrnoException>(c, 'error'));
    assert.equal(err.code, 'ECONNRESET');
    assert.equal(err.errno, -104);
    assert.equal(err.syscall, 'read');
    const hadError = await network.until(closed);
    assert.equal(hadError, true);
    srv.close();
  });

  test(`${f.name} net: listen: EADDRINUSE, ERR_SERVER_ALREADY_LISTEN, listen(0) picks a free port, close semantics`, async () => {
    const { network, server } = lan();
    const a = server.net.createServer().listen(8080, f.server);
    await network.until(on(a, 'listening'));
    assert.equal(a.listening, true);
    assert.throws(() => a.listen(8081), { code: 'ERR_SERVER_ALREADY_LISTEN' });
    const b = server.net.createServer();
    b.listen({ port: 8080, host: f.server });
    const e = await network.until(on<NodeJS.ErrnoException & { address: string; port: number }>(b, 'error'));
    assert.equal(e.code, 'EADDRINUSE');
    assert.equal(e.syscall, 'listen');
    assert.equal(e.errno, -98);
    assert.equal(e.port, 8080);
    assert.match(e.message, /^listen EADDRINUSE: address already in use/);
    assert.equal(b.listening, false);
    // listen(0): an ephemeral port, known as soon as listen() returns.
    const z = server.net.createServer().listen(0, f.server);
    const port = z.address()!.port;
    assert.ok(port > 0);
    assert.notEqual(port, 8080);
    await network.until(on(z, 'listening'));
    // close(cb) on a stopped server: ERR_SERVER_NOT_RUNNING.
    const notRunning = await network.until(new Promise<Error | undefined>((r) => b.close(r)));
    assert.equal((notRunning as NodeJS.ErrnoException).code, 'ERR_SERVER_NOT_RUNNING');
    const closed = await network.until(new Promise<Error | undefined>((r) => a.close(r)));
    assert.equal(closed, undefined);
    assert.equal(a.address(), null);
    // The port is free again.
    const again = server.net.createServer().listen(8080, f.server);
    await network.until(on(again, 'listening'));
    again.close();
    z.close();
  });

  test(`${f.name} net: server close() waits for connections; getConnections counts them`, async () => {
    const { network, client, server } = lan();
    const srv = server.net.createServer((s) => s.resume());
    srv.listen(82);
    const socks = [0, 1, 2].map(() => client.net.connect(82, f.server));
    await network.until(Promise.all(socks.map((s) => on(s, 'connect'))));
    await network.run(10);
    const count = await network.until(new Promise<number>((r) => srv.getConnections((_e, n) => r(n))));
    assert.equal(count, 3);
    let closed = false;
    srv.close(() => (closed = true));
    await network.run(100);
    assert.equal(closed, false, "'close' waits for the open connections");
    // New connections are refused now.
    const late = client.net.connect(82, f.server);
    const err = await network.until(on<NodeJS.ErrnoException>(late, 'error'));
    assert.equal(err.code, 'ECONNREFUSED');
    for (const s of socks) s.end();
    await network.until(() => closed);
  });

  test(`${f.name} net: setTimeout emits 'timeout' after idle time on the network clock`, async () => {
    const { network, client, server } = lan();
    const srv = server.net.createServer((s) => s.resume());
    srv.listen(83);
    const c = client.net.connect({ port: 83, host: f.server, timeout: 5000 });
    await network.until(on(c, 'connect'));
    const t0 = network.now();
    await network.run(3000);
    c.write('activity'); // resets the idle timer
    const t1 = network.now();
    await network.until(on(c, 'timeout'));
    assert.ok(network.now() - t1 >= 5000 && network.now() - t0 >= 8000, `timeout at ${network.now() - t0}`);
    assert.equal(c.timeout, 5000);
    assert.equal(c.destroyed, false, "'timeout' does not close the socket");
    c.setTimeout(0);
    c.destroy();
    srv.close();
  });

  test(`${f.name} net: misuse is a clear error, never a crash`, async () => {
    const { network, client, server } = lan();
    const n = client.net;
    assert.throws(() => n.connect(65536, f.server), { code: 'ERR_SOCKET_BAD_PORT', name: 'RangeError' });
    assert.throws(() => n.connect({ port: -1, host: f.server }), { code: 'ERR_SOCKET_BAD_PORT' });
    assert.throws(() => n.connect({ port: 1.5, host: f.server }), { code: 'ERR_SOCKET_BAD_PORT' });
    assert.throws(() => n.connect({ port: {} as never }), { code: 'ERR_INVALID_ARG_TYPE' });
    assert.throws(() => n.connect({} as never), { code: 'ERR_MISSING_ARGS' });
    assert.throws(() => n.connect({ port: 80, host: 42 as never }), { code: 'ERR_INVALID_ARG_TYPE' });
    assert.throws(() => n.connect({ port: 80, host: f.server, localAddress: '10.0.0.999' }), { code: 'ERR_INVALID_IP_ADDRESS' });
    assert.throws(() => n.connect('/tmp/some.sock'), { code: 'ERR_INVALID_ARG_VALUE' });
    assert.throws(() => n.createServer().listen(70000), { code: 'ERR_SOCKET_BAD_PORT' });
    assert.throws(() => n.createServer().listen({ port: 'abc' as never }), { code: 'ERR_SOCKET_BAD_PORT' });
    assert.throws(() => n.createServer('nope' as never), { code: 'ERR_INVALID_ARG_TYPE' });
    // An unknown host name: ENOTFOUND from the lookup, as an 'error' event.
    const u = n.connect(80, 'no-such-host.example');
    const ue = await network.until(on<NodeJS.ErrnoException>(u, 'error'));
    assert.equal(ue.code, 'ENOTFOUND');
    assert.equal(ue.syscall, 'getaddrinfo');
    // A local address this host does not have: EADDRNOTAVAIL from bind.
    const bad = n.connect({ port: 80, host: f.server, localAddress: f.other });
    const be = await network.until(on<NodeJS.ErrnoException>(bad, 'error'));
    assert.equal(be.code, 'EADDRNOTAVAIL');
    assert.equal(be.syscall, 'bind');
    // Listening on an address the host does not have.
    const ls = server.net.createServer().listen(80, f.other);
    const le = await network.until(on<NodeJS.ErrnoException>(ls, 'error'));
    assert.equal(le.code, 'EADDRNOTAVAIL');

    const srv = server.net.createServer((s) => s.resume());
    srv.listen(84);
    // Write after end(): ERR_STREAM_WRITE_AFTER_END to the callback and as 'error'.
    const c = n.connect(84, f.server);
    await network.until(on(c, 'connect'));
    c.end();
    const emitted = on<NodeJS.ErrnoException>(c, 'error');
    const werr = await network.until(new Promise<Error | null | undefined>((r) => c.write('x', r)));
    assert.equal((werr as NodeJS.ErrnoException).code, 'ERR_STREAM_WRITE_AFTER_END');
    assert.equal((await network.until(emitted)).code, 'ERR_STREAM_WRITE_AFTER_END');
    // connect() twice on one socket.
    const twice = n.connect(84, f.server);
    assert.throws(() => twice.connect(84, f.server), { code: 'EISCONN' });
    twice.destroy();
    // Methods on a destroyed socket do nothing harmful.
    const d = n.connect(84, f.server);
    await network.until(on(d, 'connect'));
    d.destroy();
    d.destroy();
    d.setNoDelay(true).setKeepAlive(true, 1000).setTimeout(10).setTimeout(0);
    d.pause();
    d.resume();
    assert.deepEqual(d.address(), {});
    const derr = await network.until(new Promise<Error | null | undefined>((r) => d.write('x', r)));
    assert.equal((derr as NodeJS.ErrnoException).code, 'ERR_STREAM_DESTROYED');
    assert.equal(d.readyState, 'closed');
    d.end();
    assert.equal(d.localPort, undefined);
    assert.equal(d.remotePort, 84, 'the peer name is remembered, as in Node');
    srv.close();
    await network.settle();
    assert.deepEqual(client.connectionTable(), []);
    assert.deepEqual(server.connectionTable(), []);
  });

  test(`${f.name} net: setNoDelay/setKeepAlive reach the socket layer`, async () => {
    const { network, client, server } = lan();
    const srv = server.net.createServer({ noDelay: true, keepAlive: true, keepAliveInitialDelay: 30_000 }, (s) => s.resume());
    srv.listen(85);
    const c = client.net.connect({ port: 85, host: f.server, noDelay: true, keepAlive: true, keepAliveInitialDelay: 10_000 });
    const [srvSock] = await network.until(Promise.all([on<Socket>(srv, 'connection'), on(c, 'connect')]));
    const cs = client.sockets;
    assert.equal(cs.getsockopt(c.fd, 'TCP_NODELAY'), 1);
    assert.equal(cs.getsockopt(c.fd, 'SO_KEEPALIVE'), 1);
    assert.equal(cs.getsockopt(c.fd, 'TCP_KEEPIDLE'), 10);
    assert.equal(server.sockets.getsockopt(srvSock.fd, 'TCP_NODELAY'), 1);
    assert.equal(server.sockets.getsockopt(srvSock.fd, 'TCP_KEEPIDLE'), 30);
    c.setNoDelay(false).setKeepAlive(false);
    assert.equal(cs.getsockopt(c.fd, 'TCP_NODELAY'), 0);
    assert.equal(cs.getsockopt(c.fd, 'SO_KEEPALIVE'), 0);
    c.destroy();
    srv.close();
  });
}

test('net: connect(port) defaults to localhost; loopback works on a network host', async () => {
  const { network, client } = lan();
  const srv = client.net.createServer((s) => s.end('local'));
  srv.listen(7000);
  const c = client.net.connect(7000);
  let got = '';
  c.on('data', (d: Buffer) => (got += d));
  await network.until(on(c, 'close'));
  assert.equal(got, 'local');
  assert.ok(c.remoteAddress === '127.0.0.1' || c.remoteAddress === '::1');
  srv.close();
});

test('net: an IPv4 client reaches a default (dual-stack "::") listener', async () => {
  const { network, client, server } = lan();
  const srv = server.net.createServer((s) => s.end(`you are ${s.remoteAddress}`));
  srv.listen(7001);
  assert.equal(srv.address()!.address, '::');
  const c = client.net.connect(7001, '10.0.0.2');
  let got = '';
  c.on('data', (d: Buffer) => (got += d));
  await network.until(on(c, 'close'));
  assert.match(got, /^you are (::ffff:)?10\.0\.0\.1$/);
  srv.close();
});

test('net: host names of the network resolve; isIP/isIPv4/isIPv6 as node:net', async () => {
  const { network, client, server } = lan();
  const srv = server.net.createServer((s) => s.end('hi'));
  srv.listen(7002);
  const lookups: unknown[] = [];
  const c = client.net.connect(7002, 'server');
  c.on('lookup', (err: unknown, addr: unknown) => lookups.push(err, addr));
  c.resume();
  await network.until(on(c, 'close'));
  assert.deepEqual(lookups, [null, '10.0.0.2']);
  const n = client.net;
  assert.equal(n.isIP('10.0.0.1'), 4);
  assert.equal(n.isIP('fd00::1'), 6);
  assert.equal(n.isIP('fe80::1%eth0'), 6);
  assert.equal(n.isIP('10.0.0.256'), 0);
  assert.equal(n.isIP('example.com'), 0);
  assert.equal(n.isIPv4('127.0.0.1'), true);
  assert.equal(n.isIPv6('127.0.0.1'), false);
  assert.equal(n.isIPv6('::ffff:127.0.0.1'), true);
  srv.close();
});
