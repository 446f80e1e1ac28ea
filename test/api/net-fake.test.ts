// node:net semantics of src/api/net.ts over an in-memory socket layer (no TCP): event order,
// backpressure, half-close, errors and misuse. The same behaviour over the real stack is
// covered in net.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createNet, type Socket } from '../../src/api/net.js';
import { fakeHost } from './fake-layer.js';

function setup(opts: { bufSize?: number } = {}) {
  const f = fakeHost(opts);
  return { ...f, net: createNet(f.host) };
}

test('fake: connect -> connection -> echo -> end -> close, Node event order', async () => {
  const { net, until } = setup();
  const events: string[] = [];
  const server = net.createServer((s) => {
    s.on('data', (d) => s.write(d));
    s.on('end', () => s.end());
  });
  server.listen(7, '127.0.0.1');
  await until(once(server, 'listening'));
  const c = net.connect(7, '127.0.0.1');
  for (const ev of ['lookup', 'connect', 'ready', 'end', 'finish']) c.on(ev, () => events.push(ev));
  c.on('close', (hadError: boolean) => events.push(`close:${hadError}`));
  let got = '';
  c.on('data', (d) => (got += d));
  assert.equal(c.pending, true);
  assert.equal(c.connecting, true);
  assert.equal(c.readyState, 'opening');
  c.write('hello ');
  c.end('world');
  await until(once(c, 'close'));
  assert.equal(got, 'hello world');
  assert.deepEqual(events, ['connect', 'ready', 'finish', 'end', 'close:false']);
  assert.equal(c.bytesWritten, 11);
  assert.equal(c.bytesRead, 11);
  assert.equal(c.remotePort, 7);
  assert.equal(c.remoteFamily, 'IPv4');
  server.close();
  await until(once(server, 'close'));
});

test('fake: ECONNREFUSED is a Node-style error, then close(true)', async () => {
  const { net, until } = setup();
  const c = net.connect({ port: 9, host: '127.0.0.1' });
  const seen: string[] = [];
  const closed = new Promise((r) => c.on('close', r));
  c.on('close', (h: boolean) => seen.push(`close:${h}`));
  c.on('error', () => seen.push('error'));
  const [err] = (await until(once(c, 'error'))) as [NodeJS.ErrnoException & { address: string; port: number }];
  assert.equal(err.code, 'ECONNREFUSED');
  assert.equal(err.errno, -111);
  assert.equal(err.syscall, 'connect');
  assert.equal(err.address, '127.0.0.1');
  assert.equal(err.port, 9);
  assert.equal(err.message, 'connect ECONNREFUSED 127.0.0.1:9');
  await until(closed);
  assert.deepEqual(seen, ['error', 'close:true']);
});

test('fake: backpressure end to end: paused reader stalls writer, resume drains', async () => {
  const { net, until, scheduler } = setup({ bufSize: 4096 });
  let srv: Socket | undefined;
  const server = net.createServer({ pauseOnConnect: true }, (s) => (srv = s));
  server.listen(80, '::1');
  await until(once(server, 'listening'));
  const c = net.connect(80, '::1');
  await until(once(c, 'connect'));
  assert.equal(c.remoteFamily, 'IPv6');
  const total = 200_000;
  const data = new Uint8Array(total);
  for (let i = 0; i < total; i++) data[i] = (i * 7) & 0xff;
  let ok = true;
  let off = 0;
  while (ok && off < total) {
    ok = c.write(data.subarray(off, off + 1000));
    off += 1000;
  }
  assert.equal(ok, false, 'write() must return false once buffers are full');
  await until(new Promise((r) => scheduler.at(scheduler.now() + 100, () => r(null))));
  assert.ok(srv);
  assert.ok(c.bytesWritten < total, 'the writer stalls while the reader is paused');
  const chunks: Buffer[] = [];
  srv!.on('data', (d: Buffer) => chunks.push(d));
  srv!.resume();
  const writeRest = async () => {
    while (off < total) {
      if (!c.write(data.subarray(off, off + 1000))) await once(c, 'drain');
      off += 1000;
    }
    c.end();
  };
  await until(Promise.all([writeRest(), once(srv!, 'end')]));
  const got = Buffer.concat(chunks);
  assert.equal(got.length, total);
  assert.ok(got.equals(Buffer.from(data)));
  srv!.end();
  c.resume();
  await until(once(c, 'close'));
  server.close();
});

test('fake: misuse is a clear error, never a crash', async () => {
  const { net, until } = setup();
  assert.throws(() => net.connect({ port: 70000 }), { code: 'ERR_SOCKET_BAD_PORT', name: 'RangeError' });
  assert.throws(() => net.connect({ port: -1 }), { code: 'ERR_SOCKET_BAD_PORT' });
  assert.throws(() => net.connect({} as never), { code: 'ERR_MISSING_ARGS' });
  assert.throws(() => net.connect({ port: 80, localAddress: 'nope' }), { code: 'ERR_INVALID_IP_ADDRESS' });
  assert.throws(() => net.createServer().listen(65536), { code: 'ERR_SOCKET_BAD_PORT' });
  const s1 = net.createServer().listen(5000);
  assert.throws(() => s1.listen(5001), { code: 'ERR_SERVER_ALREADY_LISTEN' });
  const s2 = net.createServer().listen(5000);
  const [e] = (await until(once(s2, 'error'))) as [NodeJS.ErrnoException];
  assert.equal(e.code, 'EADDRINUSE');
  assert.equal(e.syscall, 'listen');
  const closeErr = await until(new Promise<Error | undefined>((r) => s2.close((err) => r(err))));
  assert.equal((closeErr as NodeJS.ErrnoException).code, 'ERR_SERVER_NOT_RUNNING');
  // write after end
  const c = net.connect(5000);
  await until(once(c, 'connect'));
  c.end();
  const emitted = once(c, 'error');
  const werr = await until(new Promise<Error | null | undefined>((r) => c.write('x', (err) => r(err))));
  assert.equal((werr as NodeJS.ErrnoException).code, 'ERR_STREAM_WRITE_AFTER_END');
  assert.equal(((await emitted)[0] as NodeJS.ErrnoException).code, 'ERR_STREAM_WRITE_AFTER_END');
  // methods on a destroyed socket
  const d = net.connect(5000);
  d.destroy();
  const derr = await until(new Promise<Error | null | undefined>((r) => d.write('x', (err) => r(err))));
  assert.equal((derr as NodeJS.ErrnoException).code, 'ERR_STREAM_DESTROYED');
  d.setNoDelay(true).setKeepAlive(true).setTimeout(0);
  assert.deepEqual(d.address(), {});
  d.destroy();
  s1.close();
});
