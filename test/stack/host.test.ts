// Host internals: the timer heap, tables and text reports, tracing, TIME-WAIT recycling, orphans.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TimerHeap } from '../../src/stack/timer-heap.js';
import { PortTable, addrsOverlap, keyedHash } from '../../src/stack/ports.js';
import { SeededRng } from '../../src/sim/random.js';
import { pair, connectNb, bytes } from './helpers.js';
import { raw } from './raw.js';
import { ACK, FIN, SYN } from '../../src/wire/types.js';

test('TimerHeap: pops in deadline order, update and remove keep the heap valid', () => {
  const h = new TimerHeap<{ deadline: number; heapIndex: number; id: number }>();
  const rng = new SeededRng(5);
  const items = Array.from({ length: 500 }, (_, id) => ({ deadline: Infinity, heapIndex: -1, id }));
  for (const it of items) h.set(it, rng.int(10_000));
  for (let i = 0; i < 300; i++) h.set(items[rng.int(500)], rng.int(10_000));
  for (let i = 0; i < 100; i++) h.remove(items[i * 5]);
  h.set(items[1], Infinity);
  const expect = items.filter((it) => h.has(it)).map((it) => it.deadline).sort((x, y) => x - y);
  const got: number[] = [];
  for (let it = h.popDue(Infinity); it; it = h.popDue(Infinity)) got.push(it.deadline);
  assert.deepEqual(got, expect);
  assert.equal(h.size, 0);
  assert.equal(h.peekDeadline(), Infinity);
});

test('ports: address overlap rules and the keyed hash depend on the secret', () => {
  assert.ok(addrsOverlap('0.0.0.0', '10.0.0.1'));
  assert.ok(addrsOverlap('::', '10.0.0.1'), ':: is dual-stack');
  assert.ok(!addrsOverlap('0.0.0.0', 'fd00::1'));
  assert.ok(!addrsOverlap('10.0.0.1', '10.0.0.2'));
  const k1 = keyedHash('a|b|80', new Uint32Array([1, 2, 3, 4]));
  const k2 = keyedHash('a|b|80', new Uint32Array([5, 2, 3, 4]));
  assert.notEqual(k1, k2);
  const t = new PortTable(new SeededRng(1), 1000, 1009);
  const got = new Set<number>();
  for (let i = 0; i < 10; i++) {
    const p = t.allocateForConnect('10.0.0.1', '10.0.0.2', 80, (port) => !got.has(port));
    assert.ok(p !== null);
    got.add(p!);
  }
  assert.equal(t.allocateForConnect('10.0.0.1', '10.0.0.2', 80, (port) => !got.has(port)), null);
});

test('netstat() and ss() text, connectionTable rows like ss -tan', () => {
  const { sched, a, b } = pair();
  const l = b.sockets.socket(4);
  b.sockets.bind(l, { addr: '0.0.0.0', port: 80 });
  b.sockets.listen(l, 8);
  const c = a.sockets.socket(4);
  connectNb(a, c, '10.0.0.2', 80);
  sched.runFor(50);
  a.sockets.write(c, bytes('xyz'));
  sched.runFor(50);
  const rows = b.connectionTable();
  assert.deepEqual(rows[0], { state: 'LISTEN', recvQ: 1, sendQ: 8, local: '0.0.0.0:80', peer: '0.0.0.0:*' });
  assert.equal(rows[1].state, 'ESTABLISHED');
  assert.equal(rows[1].recvQ, 3);
  assert.equal(rows[1].local, '10.0.0.2:80');
  const ss = b.ss();
  assert.match(ss, /^State\s+Recv-Q\s+Send-Q\s+Local Address:Port\s+Peer Address:Port/);
  assert.match(ss, /ESTABLISHED\s+3\s+0\s+10\.0\.0\.2:80\s+10\.0\.0\.1:\d+/);
  const ns = a.netstat();
  assert.match(ns, /1 active connection openings/);
  assert.match(ns, /1 connections established/);
  assert.match(ns, /^Tcp:$/m);
  const snap = a.counters();
  assert.equal(snap.tcpCurrEstab, 1);
  assert.equal(snap.connectionsByState.ESTABLISHED, 1);
  assert.ok(snap.tcpOutSegs >= 3);
});

test('tracing: segments in/out, state changes, timers with host and conn id', () => {
  const { sched, a, trace } = pair({ trace: true });
  const c = a.sockets.socket(4);
  connectNb(a, c, '10.0.0.2', 80);
  sched.runFor(50);
  const segs = trace.ofType('segment').filter((e) => e.host === 'a');
  assert.equal(segs[0].dir, 'out');
  assert.equal(segs[0].flags, 'S');
  assert.equal(segs[0].src.startsWith('10.0.0.1:'), true);
  assert.equal(segs[0].dst, '10.0.0.2:80');
  assert.match(segs[0].options ?? '', /mss 1460/);
  assert.equal(segs[0].conn, `10.0.0.1:${a.sockets.localAddress(c).port}>10.0.0.2:80`);
  const rIn = segs.find((e) => e.dir === 'in')!;
  assert.equal(rIn.flags, 'R.');
  const states = trace.ofType('state').filter((e) => e.host === 'a');
  assert.deepEqual(states.map((s) => `${s.from}>${s.to}`), ['CLOSED>SYN-SENT', 'SYN-SENT>CLOSED']);
  assert.ok(trace.ofType('timer').some((e) => e.timer === 'retransmit' && e.action === 'set'));
  assert.ok(trace.ofType('error').some((e) => e.code === 'ECONNREFUSED'));
  // b's side: segment in and the RST out, without a connection
  const bs = trace.ofType('segment').filter((e) => e.host === 'b');
  assert.deepEqual(bs.map((e) => `${e.dir}:${e.flags}`), ['in:S', 'out:R.']);
});

test('tracing off: no sink calls at all', () => {
  let calls = 0;
  const { sched, a } = pair({ a: { trace: () => calls++ } });
  a.trace = null;
  const c = a.sockets.socket(4);
  connectNb(a, c, '10.0.0.2', 80);
  sched.runFor(50);
  assert.equal(a.counters().tcpInRsts, 1);
  assert.equal(calls, 0);
});

for (const reopen of [true, false]) test(`TIME-WAIT: a new SYN with a higher sequence number ${reopen ? 'reopens the 4-tuple (RFC 6191)' : 'is left to the connection (timeWaitReopen false)'}`, () => {
  const r = raw({ timeWaitReopen: reopen });
  const s = r.host.sockets;
  const l = s.socket(4);
  s.bind(l, { addr: '0.0.0.0', port: 80 });
  s.listen(l, 8);
  const P = '192.168.0.2';
  const M = '192.168.0.1';
  r.inject(P, M, { srcPort: 999, dstPort: 80, seq: 100, flags: SYN });
  const iss = r.take()[0].tcp!.seq;
  r.inject(P, M, { srcPort: 999, dstPort: 80, seq: 101, ack: (iss + 1) >>> 0, flags: ACK });
  const { fd } = s.accept(l);
  s.close(fd); // we close first: FIN
  const fin = r.take()[0];
  assert.equal(fin.tcp!.flags & FIN, FIN);
  r.inject(P, M, { srcPort: 999, dstPort: 80, seq: 101, ack: (iss + 2) >>> 0, flags: FIN | ACK });
  r.take();
  assert.equal(r.host.connectionTable()[1].state, 'TIME-WAIT');
  r.inject(P, M, { srcPort: 999, dstPort: 80, seq: 50_000, flags: SYN });
  const out = r.take();
  if (!reopen) {
    assert.notEqual(out[0]?.tcp!.flags, SYN | ACK);
    assert.equal(r.host.connectionTable()[1].state, 'TIME-WAIT');
    assert.equal(r.host.counters().timeWaitRecycled, 0);
    return;
  }
  assert.equal(out[0].tcp!.flags, SYN | ACK);
  assert.equal(out[0].tcp!.ack, 50_001);
  assert.equal(r.host.counters().timeWaitRecycled, 1);
  assert.equal(r.host.counters().connectionsByState['SYN-RECEIVED'], 1);
});

test('orphaned FIN-WAIT-2 connections are forgotten after limits.finWait2Timeout', () => {
  const r = raw({ limits: { finWait2Timeout: 5000 } });
  const s = r.host.sockets;
  const fd = s.socket(4);
  connectNb(r.host, fd, '192.168.0.2', 80);
  const [syn] = r.take();
  const lp = syn.tcp!.srcPort;
  r.inject('192.168.0.2', '192.168.0.1', { srcPort: 80, dstPort: lp, seq: 7, ack: (syn.tcp!.seq + 1) >>> 0, flags: SYN | ACK });
  s.close(fd);
  const fin = r.take().find((p) => p.tcp!.flags & FIN)!;
  r.inject('192.168.0.2', '192.168.0.1', { srcPort: 80, dstPort: lp, seq: 8, ack: (fin.tcp!.seq + 1) >>> 0, flags: ACK });
  assert.equal(r.host.connectionTable()[0].state, 'FIN-WAIT-2');
  r.sched.runFor(5001);
  assert.equal(r.host.connectionTable().length, 0);
  assert.equal(r.host.counters().finWait2Timeouts, 1);
  assert.equal(r.host.timerCount, 0);
});

test('destroy(): every socket closed, connections aborted with RST, no timers left', () => {
  const { sched, a, b } = pair();
  const l = b.sockets.socket(4);
  b.sockets.bind(l, { addr: '0.0.0.0', port: 80 });
  b.sockets.listen(l, 8);
  for (let i = 0; i < 3; i++) connectNb(a, a.sockets.socket(4), '10.0.0.2', 80);
  sched.runFor(50);
  a.destroy();
  assert.equal(a.connectionTable().length, 0);
  assert.equal(a.sockets.openFds().length, 0);
  assert.equal(a.timerCount, 0);
  assert.equal(a.counters().tcpOutRsts, 3);
  sched.runFor(50);
  // b's children got the RSTs: discarded before accept
  assert.deepEqual(b.connectionTable().map((r) => r.state), ['LISTEN']);
  sched.runUntilIdle();
  assert.equal(sched.pending, 0);
});
