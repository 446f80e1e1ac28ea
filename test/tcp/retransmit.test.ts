// RFC 6298 retransmission timer (Karn, back-off, bounds), SYN/FIN retransmission, RFC 9293 3.8.3
// R2, user timeout, and RFC 5681/6582 fast retransmit.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ACK, FIN, SYN, LOCAL_ISS as L, REMOTE_ISS as R,
  established, expectNothing, expectSegs, expectState, finWait1, make, seg, synReceived,
} from './helpers.js';

test('ESTABLISHED: RTO fires -> retransmit, back-off doubles (RFC 6298 5.5)', () => {
  const b = established({ rtoInitial: 1000 });
  // The handshake measured an RTT of 0: RTO = floor = 200 ms.
  assert.equal(b.c.status().rto, 200);
  b.c.send(new Uint8Array(100), 0);
  expectSegs(b, [{ flags: 'P.', seq: L + 1, ack: R + 1, len: 100 }]);
  assert.equal(b.c.nextDeadline(), 200);
  b.c.onTimer(199);
  expectNothing(b);
  b.c.onTimer(200);
  expectSegs(b, [{ flags: 'P.', seq: L + 1, ack: R + 1, len: 100 }]);
  assert.deepEqual(b.sink.ofType('retransmit'), [{ type: 'retransmit', seq: L + 1, len: 100, cause: 'rto' }]);
  assert.equal(b.c.nextDeadline(), 600);
  b.c.onTimer(600);
  expectSegs(b, [{ flags: 'P.', seq: L + 1, ack: R + 1, len: 100 }]);
  assert.equal(b.c.nextDeadline(), 1400);
});

test('ESTABLISHED: Karn: the ACK of a retransmission gives no RTT sample, the back-off stays', () => {
  const b = established();
  b.c.send(new Uint8Array(100), 0);
  b.c.onTimer(200);
  b.sink.clear();
  b.c.segmentArrives(seg({ seq: R + 1, ack: L + 101, flags: ACK }), 900);
  assert.equal(b.c.status().srtt, 0, 'no sample of 900 ms (or 700 ms) taken');
  assert.equal(b.c.status().rto, 400, 'backed-off RTO kept');
  b.c.send(new Uint8Array(10), 1000);
  b.c.segmentArrives(seg({ seq: R + 1, ack: L + 111, flags: ACK }), 1100);
  assert.equal(b.c.status().srtt, 100 / 8, 'a fresh segment gives a sample');
  assert.equal(b.c.status().rto, 200);
});

test('RTO is bounded by rtoMax', () => {
  const b = established({ rtoMax: 1000, r2: 100 });
  b.c.send(new Uint8Array(10), 0);
  let t = 0;
  for (let i = 0; i < 6; i++) {
    t = b.c.nextDeadline();
    b.c.onTimer(t);
  }
  assert.equal(b.c.nextDeadline() - t, 1000);
});

test('SYN-SENT: SYN retransmitted with back-off; synRetries exhausted -> ETIMEDOUT', () => {
  const b = make({ synRetries: 2, rtoInitial: 1000 });
  b.c.openActive(0);
  expectSegs(b, [{ flags: 'S', seq: L }]);
  b.c.onTimer(1000);
  expectSegs(b, [{ flags: 'S', seq: L }]);
  assert.equal(b.c.nextDeadline(), 3000);
  b.c.onTimer(3000);
  expectSegs(b, [{ flags: 'S', seq: L }]);
  assert.equal(b.c.nextDeadline(), 7000);
  b.c.onTimer(7000);
  expectNothing(b);
  expectState(b, 'CLOSED');
  const ev = b.sink.events.filter((e) => e.type === 'error' || e.type === 'closed');
  assert.deepEqual(ev, [{ type: 'error', code: 'ETIMEDOUT', message: 'connection timed out' }, { type: 'closed' }]);
  assert.deepEqual(b.sink.ofType('retransmit').map((e) => e.cause), ['syn', 'syn']);
});

test('SYN-SENT: after a SYN retransmission the SYN,ACK gives no RTT sample (Karn)', () => {
  const b = make({ rtoInitial: 1000 });
  b.c.openActive(0);
  b.c.onTimer(1000);
  b.c.segmentArrives(seg({ seq: R, ack: L + 1, flags: SYN | ACK }), 1500);
  assert.equal(b.c.status().srtt, undefined);
  assert.equal(b.c.status().rto, 1000, 'back-off cleared on ESTABLISHED, initial RTO');
});

test('SYN-RECEIVED: SYN,ACK retransmitted on timeout', () => {
  const b = synReceived({ rtoInitial: 1000 });
  b.c.onTimer(1000);
  expectSegs(b, [{ flags: 'S.', seq: L, ack: R + 1 }]);
  expectState(b, 'SYN-RECEIVED');
});

test('FIN-WAIT-1: FIN retransmitted on timeout', () => {
  const b = finWait1();
  const t = b.c.nextDeadline();
  b.c.onTimer(t);
  expectSegs(b, [{ flags: 'F.', seq: L + 1, ack: R + 1 }]);
  assert.deepEqual(b.sink.ofType('retransmit'), [{ type: 'retransmit', seq: L + 1, len: 1, cause: 'fin' }]);
});

test('ESTABLISHED: R2 retransmissions exhausted -> ETIMEDOUT, CLOSED', () => {
  const b = established({ r2: 2 });
  b.c.send(new Uint8Array(10), 0);
  b.sink.clear();
  for (let i = 0; i < 2; i++) b.c.onTimer(b.c.nextDeadline());
  expectSegs(b, [{ flags: 'P.', seq: L + 1, len: 10 }, { flags: 'P.', seq: L + 1, len: 10 }]);
  b.c.onTimer(b.c.nextDeadline());
  expectNothing(b);
  expectState(b, 'CLOSED');
  assert.equal(b.sink.ofType('error')[0].code, 'ETIMEDOUT');
});

test('ESTABLISHED: soft ICMP error reported when the connection times out', () => {
  const b = established({ r2: 0 });
  b.c.send(new Uint8Array(10), 0);
  b.c.icmpError('EHOSTUNREACH', false, 1);
  b.c.onTimer(b.c.nextDeadline());
  expectState(b, 'CLOSED');
  assert.equal(b.sink.ofType('error')[0].code, 'EHOSTUNREACH');
});

test('ESTABLISHED: user timeout -> ETIMEDOUT even before R2', () => {
  const b = established({ userTimeout: 500 });
  b.c.send(new Uint8Array(10), 100);
  for (let t = b.c.nextDeadline(); t <= 600; t = b.c.nextDeadline()) b.c.onTimer(t);
  expectState(b, 'CLOSED');
  const err = b.sink.ofType('error')[0];
  assert.equal(err.code, 'ETIMEDOUT');
  assert.equal(err.message, 'connection aborted due to user timeout');
});

test('ESTABLISHED: 3 duplicate ACKs -> fast retransmit; partial ACK -> next hole (NewReno)', () => {
  const b = established({ mss: 1000 }, { mss: 1000 });
  b.c.send(new Uint8Array(5000), 0);
  expectSegs(b, [0, 1, 2, 3, 4].map((i) => ({ flags: i === 4 ? 'P.' : '.', seq: L + 1 + 1000 * i, len: 1000 })));
  const cwnd0 = b.c.status().cwnd;
  // Segment 2 lost: the peer ACKs segment 1, then three duplicates.
  b.c.segmentArrives(seg({ seq: R + 1, ack: L + 1001, flags: ACK }), 10);
  b.sink.clear();
  for (let i = 0; i < 2; i++) b.c.segmentArrives(seg({ seq: R + 1, ack: L + 1001, flags: ACK }), 11 + i);
  expectNothing(b);
  b.c.segmentArrives(seg({ seq: R + 1, ack: L + 1001, flags: ACK }), 13);
  expectSegs(b, [{ flags: '.', seq: L + 1001, len: 1000 }]);
  assert.deepEqual(b.sink.ofType('retransmit'), [{ type: 'retransmit', seq: L + 1001, len: 1000, cause: 'fast' }]);
  assert.ok(b.c.status().cwnd < cwnd0 + 1000, 'cwnd reduced');
  // Partial ACK (segment 4 was lost too): retransmit it at once.
  b.sink.clear();
  b.c.segmentArrives(seg({ seq: R + 1, ack: L + 3001, flags: ACK }), 20);
  expectSegs(b, [{ flags: '.', seq: L + 3001, len: 1000 }]);
  // Full ACK ends recovery.
  b.c.segmentArrives(seg({ seq: R + 1, ack: L + 5001, flags: ACK }), 30);
  expectNothing(b);
  assert.equal(b.c.nextDeadline(), Infinity);
});

test('ESTABLISHED: data ACK stops the retransmit timer; FIN ACK in LAST-ACK closes', () => {
  const b = established();
  b.c.send(new Uint8Array(10), 0);
  b.c.segmentArrives(seg({ seq: R + 1, ack: L + 11, flags: ACK }), 5);
  assert.equal(b.c.nextDeadline(), Infinity);
  b.c.segmentArrives(seg({ seq: R + 1, ack: L + 11, flags: ACK | FIN }), 6);
  b.c.close(7);
  b.sink.clear();
  b.c.segmentArrives(seg({ seq: R + 2, ack: L + 12, flags: ACK }), 8);
  expectState(b, 'CLOSED');
});

test('ESTABLISHED: retransmissions answered with a zero window are probes: no R2 timeout (3.8.6.1)', () => {
  const b = established({ r2: 3 }, { mss: 1000 });
  b.c.send(new Uint8Array(500), 0);
  b.sink.clear();
  for (let i = 0; i < 10; i++) {
    const t = b.c.nextDeadline();
    b.c.onTimer(t);
    expectSegs(b, [{ flags: 'P.', seq: L + 1, len: 500 }]);
    // The peer has no room: it answers, window 0.
    b.c.segmentArrives(seg({ seq: R + 1, ack: L + 1, flags: ACK, window: 0 }), t + 1);
    expectState(b, 'ESTABLISHED');
  }
  // Silence from the peer: now R2 counts.
  for (let i = 0; i < 4; i++) b.c.onTimer(b.c.nextDeadline());
  expectState(b, 'CLOSED');
  assert.equal(b.sink.ofType('error')[0].code, 'ETIMEDOUT');
});

test('ESTABLISHED: a window update that lets queued data out arms the retransmit timer', () => {
  const b = established({ rcvBuf: 64000 }, { mss: 1460 });
  b.c.send(new Uint8Array(2001), 0);
  b.c.segmentArrives(seg({ seq: R + 1, ack: L + 1461, flags: ACK, window: 540 }), 10);
  b.c.segmentArrives(seg({ seq: R + 1, ack: L + 1461, flags: ACK, window: 2000 }), 11);
  expectSegs(b, [{ flags: '.', seq: L + 1, len: 1460 }, { flags: 'P.', seq: L + 1461, len: 541 }]);
  assert.ok(b.c.nextDeadline() < Infinity, 'a timer covers the segment in flight');
  b.c.onTimer(b.c.nextDeadline());
  expectSegs(b, [{ flags: 'P.', seq: L + 1461, len: 541 }]);
});
