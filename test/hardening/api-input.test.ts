// Bad input through the APIs: invalid addresses, ports, options, descriptors, huge writes and
// writes after close, through the socket layer and through stack.net. Every misuse gives a clear
// typed error (SocketError with an errno, or Node's error codes in stack.net), and nothing that
// was accepted is lost (a 16 MB write is delivered whole, SHA-256 checked).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Buffer } from 'node:buffer';
import { VirtualScheduler } from '../../src/sim/scheduler.js';
import { SimLink } from '../../src/link/sim-link.js';
import { HostStack } from '../../src/stack/host.js';
import { SocketError, type Errno } from '../../src/stack/types.js';
import { Network } from '../../src/index.js';
import type { Socket } from '../../src/api/net.js';

function errno(fn: () => unknown, code: Errno | Errno[], what: string): void {
  const codes = Array.isArray(code) ? code : [code];
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof SocketError, `${what}: expected SocketError, got ${String(e)}`);
    assert.ok(codes.includes(e.code), `${what}: expected ${codes.join('|')}, got ${e.code} (${e.message})`);
    assert.ok(e.message.length > 0, `${what}: message`);
    return;
  }
  assert.fail(`${what}: expected ${codes.join('|')}, nothing thrown`);
}

function pair() {
  const sched = new VirtualScheduler();
  const link = new SimLink({ scheduler: sched, delay: 1 });
  const a = new HostStack({ name: 'a', scheduler: sched, rng: 1 });
  const b = new HostStack({ name: 'b', scheduler: sched, rng: 2 });
  a.addInterface({ name: 'eth0', port: link.a, addresses: ['10.0.0.1/24', 'fd00::1/64'] });
  b.addInterface({ name: 'eth0', port: link.b, addresses: ['10.0.0.2/24', 'fd00::2/64'] });
  return { sched, a, b };
}

test('socket layer: invalid families, descriptors, addresses and ports give typed errors', () => {
  const { a } = pair();
  const s = a.sockets;
  errno(() => s.socket(5 as 4), 'EAFNOSUPPORT', 'family 5');
  errno(() => s.socket(NaN as 4), 'EAFNOSUPPORT', 'family NaN');
  for (const fd of [-1, 0, 2, 1e9, NaN, 3.5]) errno(() => s.read(fd, 10), 'EBADF', `read fd ${fd}`);
  const fd = s.socket(4);
  const bad: Array<[unknown, Errno | Errno[], string]> = [
    [{ addr: 'nonsense', port: 80 }, 'EINVAL', 'garbage address'],
    [{ addr: '999.1.1.1', port: 80 }, 'EINVAL', 'octet 999'],
    [{ addr: '10.0.0.1', port: 70000 }, 'EINVAL', 'port 70000'],
    [{ addr: '10.0.0.1', port: -1 }, 'EINVAL', 'port -1'],
    [{ addr: '10.0.0.1', port: 1.5 }, 'EINVAL', 'port 1.5'],
    [{ addr: '10.0.0.1', port: NaN }, 'EINVAL', 'port NaN'],
    [{ addr: '10.0.0.1', port: '80' }, 'EINVAL', 'port as a string'],
    [{ addr: null, port: 80 }, 'EINVAL', 'null address'],
    [null, 'EINVAL', 'null sockaddr'],
    [{ addr: 'fd00::1', port: 80 }, 'EAFNOSUPPORT', 'IPv6 address on an IPv4 socket'],
    [{ addr: '10.9.9.9', port: 80 }, 'EADDRNOTAVAIL', 'not a local address'],
  ];
  for (const [addr, code, what] of bad) errno(() => s.bind(fd, addr as never), code, `bind ${what}`);
  const c = s.socket(4);
  for (const [addr, code, what] of bad.slice(0, 10)) errno(() => s.connect(c, addr as never), code, `connect ${what}`);
  errno(() => s.connect(c, { addr: '10.0.0.2', port: 0 }), 'ECONNREFUSED', 'connect port 0');
  errno(() => s.connect(c, { addr: '172.16.0.1', port: 80 }), 'ENETUNREACH', 'connect without a route');
  errno(() => s.read(c, 10), 'ENOTCONN', 'read on an unconnected socket');
  errno(() => s.write(c, new Uint8Array(1)), 'EPIPE', 'write on an unconnected socket');
  errno(() => s.accept(c), 'EINVAL', 'accept on a non-listener');
  errno(() => s.shutdown(c, 'wr'), 'ENOTCONN', 'shutdown unconnected');
  errno(() => s.remoteAddress(c), 'ENOTCONN', 'remoteAddress unconnected');
});

test('socket layer: invalid socket options give EINVAL/ENOPROTOOPT and change nothing', () => {
  const { a } = pair();
  const s = a.sockets;
  const fd = s.socket(4);
  const before = s.getsockopt(fd, 'SO_RCVBUF');
  errno(() => s.setsockopt(fd, 'SO_RCVBUF', -5), 'EINVAL', 'SO_RCVBUF -5');
  errno(() => s.setsockopt(fd, 'SO_RCVBUF', NaN), 'EINVAL', 'SO_RCVBUF NaN');
  errno(() => s.setsockopt(fd, 'SO_RCVBUF', Infinity), 'EINVAL', 'SO_RCVBUF Infinity');
  errno(() => s.setsockopt(fd, 'SO_RCVBUF', '4096' as never), 'EINVAL', 'SO_RCVBUF string');
  assert.equal(s.getsockopt(fd, 'SO_RCVBUF'), before);
  errno(() => s.setsockopt(fd, 'TCP_MAXSEG', 10), 'EINVAL', 'TCP_MAXSEG 10');
  errno(() => s.setsockopt(fd, 'TCP_MAXSEG', 1e6), 'EINVAL', 'TCP_MAXSEG 1e6');
  errno(() => s.setsockopt(fd, 'TCP_KEEPCNT', 0), 'EINVAL', 'TCP_KEEPCNT 0');
  errno(() => s.setsockopt(fd, 'TCP_KEEPIDLE', 1e9), 'EINVAL', 'TCP_KEEPIDLE 1e9');
  errno(() => s.setsockopt(fd, 'SO_LINGER', 5), 'EINVAL', 'SO_LINGER number');
  errno(() => s.setsockopt(fd, 'SO_ERROR', 1), 'ENOPROTOOPT', 'SO_ERROR is read-only');
  errno(() => s.setsockopt(fd, 'SO_BOGUS' as never, 1), 'ENOPROTOOPT', 'unknown option');
  errno(() => s.getsockopt(fd, 'SO_BOGUS' as never), 'ENOPROTOOPT', 'unknown option (get)');
  // A huge (but finite) buffer request is capped, not allocated.
  s.setsockopt(fd, 'SO_SNDBUF', 1e15);
  assert.ok(s.getsockopt(fd, "SO_SNDBUF") <= 16 * 1024 * 1024, `SO_SNDBUF capped: ${s.getsockopt(fd, 'SO_SNDBUF')}`);
});

test('socket layer: a 16 MB write is taken in pieces and delivered whole; writes after shutdown/close fail clearly', () => {
  const { sched, a, b } = pair();
  const l = b.sockets.socket(4);
  b.sockets.bind(l, { addr: '0.0.0.0', port: 80 });
  b.sockets.listen(l, 4);
  const fd = a.sockets.socket(4);
  errno(() => a.sockets.connect(fd, { addr: '10.0.0.2', port: 80 }), 'EINPROGRESS', 'connect');
  errno(() => a.sockets.write(fd, new Uint8Array(10)), 'EAGAIN', 'write during the handshake');
  sched.runFor(10);
  const peer = b.sockets.accept(l).fd;
  const total = 16 << 20;
  const big = new Uint8Array(total);
  for (let i = 0; i < total; i += 4096) big[i] = (i >>> 12) & 0xff;
  const sent = createHash('sha256').update(big).digest('hex');
  let off = 0;
  const got = createHash('sha256');
  let n = 0;
  for (let guard = 0; guard < 100_000 && n < total; guard++) {
    if (off < total) {
      try {
        const w = a.sockets.write(fd, big.subarray(off));
        assert.ok(w > 0 && w <= total - off, `write returned ${w}`);
        off += w;
      } catch (e) {
        if (!(e instanceof SocketError) || e.code !== 'EAGAIN') throw e;
      }
    }
    sched.runFor(1);
    for (;;) {
      try {
        const d = b.sockets.read(peer, 1 << 20);
        if (d.length === 0) break;
        got.update(d);
        n += d.length;
      } catch (e) {
        if (!(e instanceof SocketError) || e.code !== 'EAGAIN') throw e;
        break;
      }
    }
  }
  assert.equal(n, total, 'every accepted byte delivered');
  assert.equal(got.digest('hex'), sent, 'in order, uncorrupted');
  assert.equal(a.sockets.write(fd, new Uint8Array(0)), 0, 'empty write');
  a.sockets.shutdown(fd, 'wr');
  errno(() => a.sockets.write(fd, new Uint8Array(1)), 'EPIPE', 'write after shutdown');
  a.sockets.close(fd);
  errno(() => a.sockets.write(fd, new Uint8Array(1)), 'EBADF', 'write after close');
  errno(() => a.sockets.read(fd, 1), 'EBADF', 'read after close');
  errno(() => a.sockets.close(fd), 'EBADF', 'close twice');
  assert.deepEqual([...b.sockets.read(peer, -5)], [], 'read of a negative count is empty');
});

function on(e: { once(ev: string, fn: (...a: unknown[]) => void): unknown }, ev: string): Promise<unknown[]> {
  return new Promise((r) => e.once(ev, (...a: unknown[]) => r(a)));
}

test('stack.net: bad ports, hosts and writes after end give Node-style errors; a 16 MB write arrives whole', async () => {
  const network = new Network({ virtual: true, seed: 3 });
  const step = async <T>(label: string, p: Promise<T> | (() => boolean), limit?: number): Promise<T> => {
    try {
      return await network.until(p as Promise<T>, limit);
    } catch (e) {
      throw new Error(`${label}: ${(e as Error).message}`);
    }
  };
  const client = network.host('10.0.0.1/24');
  const server = network.host('10.0.0.2/24');
  for (const port of [-1, 65536, 1.5, NaN]) {
    assert.throws(() => client.net.connect({ port, host: '10.0.0.2' }), (e: unknown) => e instanceof RangeError || (e as { code?: string }).code === 'ERR_SOCKET_BAD_PORT', `connect port ${port}`);
    assert.throws(() => server.net.createServer().listen(port), (e: unknown) => e instanceof RangeError || (e as { code?: string }).code === 'ERR_SOCKET_BAD_PORT', `listen port ${port}`);
  }
  // An unknown host name: an 'error' event with a code, not a throw and not a hang.
  const bad = client.net.connect({ port: 80, host: 'no-such-host.invalid' });
  const [err] = (await step('lookup error', on(bad, 'error'))) as [Error & { code?: string }];
  assert.ok(err.code, `error code: ${err.code}`);
  // Refused: ECONNREFUSED.
  const refused = client.net.connect({ port: 81, host: '10.0.0.2' });
  const [rerr] = (await step('refused', on(refused, 'error'))) as [Error & { code?: string }];
  assert.equal(rerr.code, 'ECONNREFUSED');

  const total = 16 << 20;
  const big = Buffer.alloc(total);
  for (let i = 0; i < total; i += 512) big[i] = (i >>> 9) & 0xff;
  const want = createHash('sha256').update(big).digest('hex');
  const h = createHash('sha256');
  let n = 0;
  let ended = false;
  const srv = server.net.createServer((s: Socket) => {
    s.on('data', (d: Buffer) => {
      h.update(d);
      n += d.length;
    });
    s.on('end', () => {
      ended = true;
      s.end();
    });
  });
  srv.listen(80);
  await step('listening', on(srv, 'listening'));
  const c = client.net.connect({ port: 80, host: '10.0.0.2' });
  c.write(big);
  c.end();
  await step('transfer', () => ended, 600_000);
  // Node semantics: a write after end() is an error (and destroys the stream), never a throw.
  const late: Array<Error & { code?: string }> = [];
  c.on('error', (e: Error) => late.push(e));
  c.write('after end', (e?: Error | null) => {
    if (e) late.push(e);
  });
  await network.run(10);
  assert.equal(n, total, 'every byte of the 16 MB write arrived');
  assert.equal(h.digest('hex'), want, 'in order, uncorrupted');
  assert.ok(late.some((e) => e.code === 'ERR_STREAM_WRITE_AFTER_END'), `write after end: ${late.map((e) => e.code).join(',')}`);
  c.destroy();
  srv.close();
  network.close();
});
