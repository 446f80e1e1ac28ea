// Flow control and ACK policy: delayed ACKs, Nagle, SWS avoidance on both sides, zero-window
// probing (persist), keep-alive, out-of-order reassembly.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ACK, FIN, LOCAL_ISS as L, REMOTE_ISS as R,
  bytes, established, expectNothing, expectSegs, expectState, seg,
} from './helpers.js';

const MSS = { mss: 1000 };

test('ESTABLISHED: delayed ACK: one segment is ACKed when the timer fires', () => {
  const b = established({ delayedAck: 40 }, MSS);
  b.c.segmentArrives(seg({ seq: R + 1, ack: L + 1, flags: ACK, payload: 1000 }), 100);
  expectNothing(b);
  assert.equal(b.c.nextDeadline(), 140);
  b.c.onTimer(140);
  expectSegs(b, [{ flags: '.', seq: L + 1, ack: R + 1001 }]);
});

test('ESTABLISHED: delayed ACK: every second full-sized segment is ACKed at once', () => {
  const b = established({ delayedAck: 40 }, MSS);
  b.c.segmentArrives(seg({ seq: R + 1, ack: L + 1, flags: ACK, payload: 1000 }), 100);
  b.c.segmentArrives(seg({ seq: R + 1001, ack: L + 1, flags: ACK, payload: 1000 }), 101);
  expectSegs(b, [{ flags: '.', seq: L + 1, ack: R + 2001 }]);
  assert.equal(b.c.nextDeadline(), Infinity, 'delayed-ack timer cancelled');
});

test('ESTABLISHED: delayed ACK: outgoing data carries the ACK', () => {
  const b = established({ delayedAck: 40 }, MSS);
  b.c.segmentArrives(seg({ seq: R + 1, ack: L + 1, flags: ACK, payload: 10 }), 100);
  b.c.send(new Uint8Array(5), 110);
  expectSegs(b, [{ flags: 'P.', seq: L + 1, ack: R + 11, len: 5 }]);
  assert.ok(!b.sink.events.some((e) => e.type === 'timer' && e.timer === 'delayed-ack' && e.action === 'fire'));
});

test('ESTABLISHED: out-of-order data ACKed at once; filling the hole ACKed at once', () => {
  const b = established({ delayedAck: 40 }, MSS);
  b.c.segmentArrives(seg({ seq: R + 1001, ack: L + 1, flags: ACK, payload: bytes(1000, 1000) }), 100);
  expectSegs(b, [{ flags: '.', seq: L + 1, ack: R + 1 }]);
  assert.equal(b.c.readableBytes, 0);
  b.c.segmentArrives(seg({ seq: R + 1, ack: L + 1, flags: ACK, payload: bytes(1000, 0) }), 101);
  expectSegs(b, [{ flags: '.', seq: L + 1, ack: R + 2001 }]);
  const d = b.c.receive(5000, 102)!;
  assert.deepEqual(d, bytes(2000, 0));
});

test('ESTABLISHED: reassembly of three segments arriving 3, 1, 2', () => {
  const b = established({}, MSS);
  b.c.segmentArrives(seg({ seq: R + 201, ack: L + 1, flags: ACK, payload: bytes(100, 200) }), 1);
  b.c.segmentArrives(seg({ seq: R + 1, ack: L + 1, flags: ACK, payload: bytes(100, 0) }), 2);
  assert.equal(b.c.readableBytes, 100);
  b.c.segmentArrives(seg({ seq: R + 101, ack: L + 1, flags: ACK, payload: bytes(100, 100) }), 3);
  assert.equal(b.c.readableBytes, 300);
  expectSegs(b, [
    { flags: '.', seq: L + 1, ack: R + 1 },
    { flags: '.', seq: L + 1, ack: R + 101 },
    { flags: '.', seq: L + 1, ack: R + 301 },
  ]);
  assert.deepEqual(b.c.receive(1000, 4), bytes(300, 0));
});

test('ESTABLISHED: FIN after a hole is processed when the hole fills', () => {
  const b = established({}, MSS);
  b.c.segmentArrives(seg({ seq: R + 101, ack: L + 1, flags: ACK | FIN, payload: 100 }), 1);
  expectState(b, 'ESTABLISHED');
  b.c.segmentArrives(seg({ seq: R + 1, ack: L + 1, flags: ACK, payload: 100 }), 2);
  expectState(b, 'CLOSE-WAIT');
  expectSegs(b, [{ flags: '.', seq: L + 1, ack: R + 1 }, { flags: '.', seq: L + 1, ack: R + 202 }]);
});

test('ESTABLISHED: Nagle holds a small segment while data is unacknowledged (3.7.4)', () => {
  const b = established({ nagle: true }, MSS);
  b.c.send(new Uint8Array(10), 0);
  expectSegs(b, [{ flags: 'P.', seq: L + 1, len: 10 }]);
  b.c.send(new Uint8Array(10), 1);
  b.c.send(new Uint8Array(10), 2);
  expectNothing(b);
  b.c.segmentArrives(seg({ seq: R + 1, ack: L + 11, flags: ACK }), 3);
  expectSegs(b, [{ flags: 'P.', seq: L + 11, len: 20 }]);
});

test('ESTABLISHED: Nagle off (TCP_NODELAY) sends small segments at once', () => {
  const b = established({ nagle: false }, MSS);
  b.c.send(new Uint8Array(10), 0);
  b.c.send(new Uint8Array(10), 1);
  expectSegs(b, [{ flags: 'P.', seq: L + 1, len: 10 }, { flags: 'P.', seq: L + 11, len: 10 }]);
});

test('ESTABLISHED: sender SWS avoidance: a small usable window waits for the override timer', () => {
  const b = established({}, MSS);
  // The peer shrinks its offer to 100 bytes (the largest it offered was 64000).
  b.c.segmentArrives(seg({ seq: R + 1, ack: L + 1, flags: ACK, window: 100 }), 0);
  b.c.send(new Uint8Array(2000), 1);
  expectNothing(b);
  const t = b.c.nextDeadline();
  assert.ok(t < Infinity);
  b.c.onTimer(t);
  expectSegs(b, [{ flags: 'P.', seq: L + 1, len: 100 }]);
});

test('ESTABLISHED: receiver SWS avoidance: the window opens only by min(RCV.BUFF/2, MSS)', () => {
  const b = established({ rcvBuf: 4000 }, MSS);
  for (let i = 0; i < 4; i++) b.c.segmentArrives(seg({ seq: R + 1 + i * 1000, ack: L + 1, flags: ACK, payload: 1000 }), 1);
  const acks = b.sink.take();
  assert.equal(acks[acks.length - 1].window, 0);
  b.c.receive(500, 2); // 500 free < min(2000, 1000): no update, window stays 0
  expectNothing(b);
  b.c.segmentArrives(seg({ seq: R + 4001, ack: L + 1, flags: ACK }), 3);
  b.c.send(new Uint8Array(1), 4);
  expectSegs(b, [{ flags: 'P.', seq: L + 1, len: 1, window: 0 }]);
  b.c.receive(600, 5); // 1100 free: the window reopens, and we say so
  expectSegs(b, [{ flags: '.', seq: L + 2, ack: R + 4001, window: 1100 }]);
});

test('ESTABLISHED: zero window -> persist probes with back-off, then data flows', () => {
  const b = established({}, MSS);
  b.c.segmentArrives(seg({ seq: R + 1, ack: L + 1, flags: ACK, window: 0 }), 0);
  b.c.send(bytes(3000), 0);
  expectNothing(b);
  const t1 = b.c.nextDeadline();
  assert.equal(t1, 200);
  b.c.onTimer(t1);
  expectSegs(b, [{ flags: '.', seq: L + 1, len: 1 }]);
  // The peer still has no room: it ACKs without taking the byte.
  b.c.segmentArrives(seg({ seq: R + 1, ack: L + 1, flags: ACK, window: 0 }), 250);
  expectNothing(b);
  const t2 = b.c.nextDeadline();
  assert.equal(t2, 600, 'back-off doubled');
  b.c.onTimer(t2);
  expectSegs(b, [{ flags: '.', seq: L + 1, len: 1 }]);
  assert.ok(!b.sink.events.some((e) => e.type === 'state' && e.to === 'CLOSED'), 'probing never gives up');
  // The window opens: the probe byte is taken and the rest flows.
  b.c.segmentArrives(seg({ seq: R + 1, ack: L + 2, flags: ACK, window: 5000 }), 700);
  expectSegs(b, [
    { flags: '.', seq: L + 2, len: 1000 },
    { flags: '.', seq: L + 1002, len: 1000 },
    { flags: 'P.', seq: L + 2002, len: 999 },
  ]);
});

test('ESTABLISHED: keep-alive probes after idle; unanswered -> ETIMEDOUT', () => {
  const b = established({ keepAlive: true, keepAliveIdle: 1000, keepAliveInterval: 100, keepAliveCount: 2 });
  b.c.segmentArrives(seg({ seq: R + 1, ack: L + 1, flags: ACK, payload: 1 }), 0);
  b.sink.clear();
  assert.equal(b.c.nextDeadline(), 1000);
  b.c.onTimer(1000);
  expectSegs(b, [{ flags: '.', seq: L, ack: R + 2 }]);
  b.c.onTimer(1100);
  expectSegs(b, [{ flags: '.', seq: L, ack: R + 2 }]);
  b.c.onTimer(1200);
  expectNothing(b);
  expectState(b, 'CLOSED');
  assert.equal(b.sink.ofType('error')[0].code, 'ETIMEDOUT');
});

test('ESTABLISHED: keep-alive answered -> idle timer restarts', () => {
  const b = established({ keepAlive: true, keepAliveIdle: 1000, keepAliveInterval: 100, keepAliveCount: 2 });
  b.c.segmentArrives(seg({ seq: R + 1, ack: L + 1, flags: ACK, payload: 1 }), 0);
  b.sink.clear();
  b.c.onTimer(1000);
  expectSegs(b, [{ flags: '.', seq: L, ack: R + 2 }]);
  b.c.segmentArrives(seg({ seq: R + 2, ack: L + 1, flags: ACK }), 1050);
  assert.equal(b.c.nextDeadline(), 2050);
  expectState(b, 'ESTABLISHED');
});

test('ESTABLISHED: keep-alive off by default: no timer', () => {
  const b = established();
  assert.equal(b.c.nextDeadline(), Infinity);
});

test('ESTABLISHED: send buffer full -> partial accept, writable after ACK', () => {
  const b = established({ sndBuf: 1000 }, MSS);
  assert.equal(b.c.send(new Uint8Array(1500), 0), 1000);
  assert.equal(b.c.writableBytes, 0);
  b.c.segmentArrives(seg({ seq: R + 1, ack: L + 1001, flags: ACK }), 5);
  assert.equal(b.c.writableBytes, 1000);
  assert.equal(b.sink.ofType('writable').length, 1);
});

test('ESTABLISHED: every second segment is ACKed at once, whatever its size (FreeBSD delack)', () => {
  const b = established({ delayedAck: 100 }, MSS);
  b.c.segmentArrives(seg({ seq: R + 1, ack: L + 1, flags: ACK, payload: 1 }), 0);
  expectNothing(b);
  b.c.segmentArrives(seg({ seq: R + 2, ack: L + 1, flags: ACK, payload: 2 }), 1);
  expectSegs(b, [{ flags: '.', seq: L + 1, ack: R + 4 }]);
});

test('ESTABLISHED: a FIN after a hole is ACKed at once (with its SACK block)', () => {
  const b = established({ delayedAck: 100, sack: true }, { ...MSS, sackPermitted: true });
  b.c.segmentArrives(seg({ seq: R + 16, ack: L + 1, flags: ACK, payload: 16 }), 0);
  expectSegs(b, [{ flags: '.', seq: L + 1, ack: R + 1 }]);
  b.c.segmentArrives(seg({ seq: R + 32, ack: L + 1, flags: ACK | FIN }), 1);
  const [a] = expectSegs(b, [{ flags: '.', seq: L + 1, ack: R + 1 }]);
  assert.deepEqual(a.options.sack, [[R + 16, R + 32]]);
  expectState(b, 'ESTABLISHED');
  b.c.segmentArrives(seg({ seq: R + 1, ack: L + 1, flags: ACK, payload: 15 }), 2);
  expectSegs(b, [{ flags: '.', seq: L + 1, ack: R + 33 }]);
  expectState(b, 'CLOSE-WAIT');
});

test('ESTABLISHED: reading half the buffer sends a window update', () => {
  const b = established({ rcvBuf: 64000 }, MSS);
  for (let i = 0; i < 32; i++) b.c.segmentArrives(seg({ seq: R + 1 + i * 1000, ack: L + 1, flags: ACK, payload: 1000 }), 1);
  b.sink.clear();
  b.c.receive(32000, 2);
  const [u] = expectSegs(b, [{ flags: '.', seq: L + 1, ack: R + 32001 }]);
  assert.equal(u.window, 64000);
});

test('ESTABLISHED: peek leaves the bytes queued', () => {
  const b = established({}, MSS);
  b.c.segmentArrives(seg({ seq: R + 1, ack: L + 1, flags: ACK, payload: bytes(10) }), 1);
  assert.deepEqual(b.c.peek(4), bytes(4));
  assert.deepEqual(b.c.peek(100, 8), bytes(2, 8));
  assert.equal(b.c.peek(1, 10), null);
  assert.equal(b.c.readableBytes, 10);
  assert.deepEqual(b.c.receive(100, 2), bytes(10));
});
