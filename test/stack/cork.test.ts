// The socket layer's cork: TCP_CORK (setsockopt) and MSG_MORE (write's `more`), Linux semantics.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pair, connectNb, type Pair } from './helpers.js';

/** a connected to b on port 80, TCP_NODELAY on a (so only the cork can hold data). */
function connected(): Pair & { c: number; d: number } {
  const p = pair();
  const l = p.b.sockets.socket(4);
  p.b.sockets.bind(l, { addr: '0.0.0.0', port: 80 });
  p.b.sockets.listen(l, 8);
  const c = p.a.sockets.socket(4);
  p.a.sockets.setsockopt(c, 'TCP_NODELAY', 1);
  connectNb(p.a, c, '10.0.0.2', 80);
  p.sched.runFor(50);
  const { fd: d } = p.b.sockets.accept(l);
  return { ...p, c, d };
}

test('ESTABLISHED: TCP_CORK holds small writes; clearing it sends them', () => {
  const { sched, a, b, c, d } = connected();
  a.sockets.setsockopt(c, 'TCP_CORK', 1);
  assert.equal(a.sockets.getsockopt(c, 'TCP_CORK'), 1);
  a.sockets.write(c, new Uint8Array(40));
  a.sockets.write(c, new Uint8Array(40));
  sched.runFor(100);
  assert.equal(b.sockets.inq(d), 0, 'corked: nothing sent');
  a.sockets.setsockopt(c, 'TCP_CORK', 0);
  assert.equal(a.sockets.getsockopt(c, 'TCP_CORK'), 0);
  sched.runFor(20);
  assert.equal(b.sockets.inq(d), 80);
});

test('ESTABLISHED: TCP_CORK: the held data goes at the ceiling (SRTT + 200 ms, or the RTO)', () => {
  const { sched, a, b, c, d } = connected();
  a.sockets.setsockopt(c, 'TCP_CORK', 1);
  a.sockets.write(c, new Uint8Array(40));
  sched.runFor(190);
  assert.equal(b.sockets.inq(d), 0);
  sched.runFor(a.sockets.status(c)!.rto + 20);
  assert.equal(b.sockets.inq(d), 40);
});

test('ESTABLISHED: TCP_NODELAY set while corked sends what is queued', () => {
  const { sched, a, b, c, d } = connected();
  a.sockets.setsockopt(c, 'TCP_CORK', 1);
  a.sockets.write(c, new Uint8Array(40));
  sched.runFor(50);
  assert.equal(b.sockets.inq(d), 0);
  a.sockets.setsockopt(c, 'TCP_NODELAY', 1);
  sched.runFor(20);
  assert.equal(b.sockets.inq(d), 40);
});

test('ESTABLISHED: MSG_MORE holds that write; the next write without it sends both', () => {
  const { sched, a, b, c, d } = connected();
  a.sockets.write(c, new Uint8Array(40), { more: true });
  sched.runFor(50);
  assert.equal(b.sockets.inq(d), 0);
  assert.equal(a.sockets.getsockopt(c, 'TCP_CORK'), 0, 'MSG_MORE is not TCP_CORK');
  a.sockets.write(c, new Uint8Array(10));
  sched.runFor(20);
  assert.equal(b.sockets.inq(d), 50);
});

test('LISTEN: TCP_CORK on the listener is inherited by the accepted socket', () => {
  const p = pair();
  const l = p.b.sockets.socket(4);
  p.b.sockets.setsockopt(l, 'TCP_CORK', 1);
  p.b.sockets.bind(l, { addr: '0.0.0.0', port: 80 });
  p.b.sockets.listen(l, 8);
  const c = p.a.sockets.socket(4);
  connectNb(p.a, c, '10.0.0.2', 80);
  p.sched.runFor(50);
  const { fd: d } = p.b.sockets.accept(l);
  assert.equal(p.b.sockets.getsockopt(d, 'TCP_CORK'), 1);
  p.b.sockets.write(d, new Uint8Array(40));
  p.sched.runFor(50);
  assert.equal(p.a.sockets.inq(c), 0);
});
