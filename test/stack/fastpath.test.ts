// The socket layer's fast paths: O(log n) lowest-free fd allocation, the non-throwing calls
// (tryRead/tryWrite/tryAccept/tryConnect), cheap would-block errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pair, bytes, text, throwsErrno } from './helpers.js';
import { SocketError } from '../../src/stack/types.js';

test('fds: always the lowest free number >= 3, after any sequence of closes', () => {
  const { a } = pair();
  const s = a.sockets;
  const open = new Set<number>();
  const lowestFree = (): number => {
    let fd = 3;
    while (open.has(fd)) fd++;
    return fd;
  };
  // A deterministic pseudo-random mix of socket() and close().
  let x = 12345;
  for (let i = 0; i < 3000; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    if (open.size > 0 && x % 3 === 0) {
      const list = [...open];
      const fd = list[(x >>> 8) % list.length];
      s.close(fd);
      open.delete(fd);
    } else {
      const want = lowestFree();
      const fd = s.socket(4);
      assert.equal(fd, want);
      open.add(fd);
    }
  }
  assert.deepEqual(s.openFds(), [...open].sort((p, q) => p - q));
  for (const fd of open) s.close(fd);
  assert.equal(s.socket(4), 3);
});

test('fds: accept() takes the lowest free fd too', () => {
  const { sched, a, b } = pair();
  const l = b.sockets.socket(4); // 3
  b.sockets.listen(l, 8);
  const x = b.sockets.socket(4); // 4
  const y = b.sockets.socket(4); // 5
  b.sockets.close(x);
  const c = a.sockets.socket(4);
  a.sockets.tryConnect(c, { addr: '10.0.0.2', port: b.sockets.localAddress(l).port });
  sched.runFor(100);
  const got = b.sockets.tryAccept(l);
  assert.ok(got);
  assert.equal(got.fd, 4);
  assert.equal(b.sockets.socket(4), 6);
  b.sockets.close(y);
});

test('non-throwing calls: null/negative where the throwing ones raise EAGAIN/EINPROGRESS', () => {
  const { sched, a, b } = pair();
  const l = b.sockets.socket(4);
  b.sockets.bind(l, { addr: '0.0.0.0', port: 80 });
  b.sockets.listen(l, 8);
  assert.equal(b.sockets.tryAccept(l), null);
  throwsErrno(() => b.sockets.accept(l), 'EAGAIN');
  const c = a.sockets.socket(4);
  a.sockets.setsockopt(c, 'SO_SNDBUF', 4096);
  a.sockets.tryConnect(c, { addr: '10.0.0.2', port: 80 }); // no EINPROGRESS
  assert.ok(a.sockets.tryWrite(c, bytes('x')) < 0, 'handshake in progress');
  throwsErrno(() => a.sockets.tryConnect(c, { addr: '10.0.0.2', port: 80 }), 'EALREADY');
  sched.runFor(100);
  const got = b.sockets.tryAccept(l);
  assert.ok(got);
  const s = got.fd;
  assert.equal(b.sockets.tryRead(s, 100), null);
  assert.equal(a.sockets.tryWrite(c, bytes('hello')), 5);
  sched.runFor(100);
  assert.equal(text(b.sockets.tryRead(s, 100)!), 'hello');
  assert.equal(b.sockets.tryRead(s, 100), null);
  // Fill the send buffer: a partial write, then a negative answer (EAGAIN).
  const big = new Uint8Array(1 << 16);
  const n = a.sockets.tryWrite(c, big);
  assert.ok(n > 0 && n < big.length, `partial write ${n}`);
  assert.ok(a.sockets.tryWrite(c, big) < 0);
  throwsErrno(() => a.sockets.write(c, big), 'EAGAIN');
  // EOF: an empty array, not null.
  a.sockets.shutdown(c, 'wr');
  sched.runFor(2000);
  let total = 0;
  for (let d = b.sockets.tryRead(s, 1 << 20); d && d.length; d = b.sockets.tryRead(s, 1 << 20)) total += d.length;
  assert.equal(total, n);
  assert.equal(b.sockets.tryRead(s, 10)?.length, 0);
  // Other errors still throw.
  throwsErrno(() => a.sockets.tryWrite(c, big), 'EPIPE');
  throwsErrno(() => b.sockets.tryRead(999, 1), 'EBADF');
});

test('EAGAIN and EINPROGRESS errors carry no stack frames; others do', () => {
  const e = new SocketError('EAGAIN');
  assert.equal(e.code, 'EAGAIN');
  assert.equal(e.name, 'SocketError');
  assert.ok(e instanceof Error);
  assert.ok(!/\n\s+at /.test(e.stack ?? ''), e.stack);
  assert.ok(!/\n\s+at /.test(new SocketError('EINPROGRESS', 'x').stack ?? ''));
  assert.ok(/\n\s+at /.test(new SocketError('EPIPE').stack ?? ''), 'other errors keep their stack');
  assert.ok(/\n\s+at /.test(new Error('plain').stack ?? ''), 'the limit is restored');
});

test("'writable' wakes a blocked writer once a third of the send buffer is free, not on every ACK", () => {
  const { sched, a, b } = pair({ link: { delay: 1 } });
  const l = b.sockets.socket(4);
  b.sockets.bind(l, { addr: '0.0.0.0', port: 80 });
  b.sockets.listen(l, 8);
  const c = a.sockets.socket(4);
  a.sockets.setsockopt(c, 'SO_SNDBUF', 64 * 1024);
  a.sockets.tryConnect(c, { addr: '10.0.0.2', port: 80 });
  sched.runFor(100);
  const s = b.sockets.tryAccept(l)!.fd;
  const total = 2 * 1024 * 1024;
  const chunk = new Uint8Array(16 * 1024);
  let sent = 0;
  let received = 0;
  let wakes = 0;
  const pump = (): void => {
    while (sent < total) {
      const n = a.sockets.tryWrite(c, chunk.subarray(0, Math.min(chunk.length, total - sent)));
      if (n <= 0) return;
      sent += n;
      if (n < chunk.length) return;
    }
  };
  a.sockets.watch(c, (ev) => {
    if (ev !== 'writable') return;
    wakes++;
    assert.ok(3 * a.sockets.status(c)!.sendQueue <= 2 * 64 * 1024 + 3, 'at least a third free when woken');
    pump();
  });
  b.sockets.watch(s, (ev) => {
    if (ev === 'readable') for (let d = b.sockets.tryRead(s, 1 << 20); d && d.length; d = b.sockets.tryRead(s, 1 << 20)) received += d.length;
  });
  pump();
  sched.runFor(60_000);
  assert.equal(received, total);
  // 2 MiB through a 64 KiB buffer: a wakeup per ~21 KiB acknowledged, not per ACK (~700).
  assert.ok(wakes > 10 && wakes < 200, `wakes ${wakes}`);
});
