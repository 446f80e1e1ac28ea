// Loss recovery with SACK (RFC 6675 style), limited transmit (RFC 3042), the SACK scoreboard.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Scoreboard } from '../../src/tcp/sack.js';
import { ACK, LOCAL_ISS as L, REMOTE_ISS as R, established, expectNothing, expectSegs, seg } from './helpers.js';

// RFC 6675 on its own: RACK-TLP (tcp/rack.ts, test/tcp/rack.test.ts) off.
const SACK = { sack: true, rack: false };
const PEER = { mss: 1000, sackPermitted: true };
const ack = (a: number, sack?: Array<[number, number]>) => seg({ seq: R + 1, ack: a, flags: ACK, options: sack ? { sack } : {} });

test('ESTABLISHED (SACK): third duplicate ACK with SACK -> retransmit the hole once', () => {
  const b = established(SACK, PEER);
  b.c.send(new Uint8Array(6000), 0);
  b.sink.clear();
  b.c.segmentArrives(ack(L + 1001, [[L + 2001, L + 3001]]), 10);
  b.c.segmentArrives(ack(L + 1001, [[L + 2001, L + 4001]]), 11);
  expectNothing(b);
  b.c.segmentArrives(ack(L + 1001, [[L + 2001, L + 5001]]), 12);
  expectSegs(b, [{ flags: '.', seq: L + 1001, len: 1000 }]);
  assert.deepEqual(b.sink.ofType('retransmit'), [{ type: 'retransmit', seq: L + 1001, len: 1000, cause: 'fast' }]);
  b.c.segmentArrives(ack(L + 1001, [[L + 2001, L + 6001]]), 13);
  expectNothing(b);
  b.c.segmentArrives(ack(L + 6001), 20);
  expectNothing(b);
  assert.equal(b.c.nextDeadline(), Infinity, 'all acknowledged');
});

test('ESTABLISHED (SACK): new data goes before a hole that is not yet lost (RFC 6675 NextSeg)', () => {
  const b = established(SACK, PEER);
  b.c.send(new Uint8Array(14000), 0); // 10 segments out, 4 waiting for the window
  b.sink.clear();
  b.c.segmentArrives(ack(L + 1001, [[L + 2001, L + 3001]]), 10);
  b.c.segmentArrives(ack(L + 1001, [[L + 4001, L + 5001], [L + 2001, L + 3001]]), 11);
  b.sink.clear(); // limited transmit
  b.c.segmentArrives(ack(L + 1001, [[L + 4001, L + 6001], [L + 2001, L + 3001]]), 12);
  // Third duplicate: the first hole goes at once; the second (only 2 segments SACKed above it)
  // is not lost yet, and there is no room for new data (pipe >= ssthresh).
  expectSegs(b, [{ flags: '.', seq: L + 1001, len: 1000 }]);
  // More SACKed: the second hole is lost now, and the data in flight has fallen below ssthresh.
  b.c.segmentArrives(ack(L + 1001, [[L + 4001, L + 12001], [L + 2001, L + 3001]]), 13);
  expectSegs(b, [{ flags: '.', seq: L + 3001, len: 1000 }]);
  assert.deepEqual(b.sink.ofType('retransmit').map((e) => e.cause), ['fast', 'sack']);
});

test('ESTABLISHED (SACK, prr off): application-limited: the next hole goes without waiting (NextSeg rule 3)', () => {
  const b = established({ ...SACK, prr: false }, PEER);
  b.c.send(new Uint8Array(8000), 0);
  b.sink.clear();
  b.c.segmentArrives(ack(L + 1001, [[L + 2001, L + 3001]]), 10);
  b.c.segmentArrives(ack(L + 1001, [[L + 4001, L + 5001], [L + 2001, L + 3001]]), 11);
  b.c.segmentArrives(ack(L + 1001, [[L + 4001, L + 6001], [L + 2001, L + 3001]]), 12);
  expectSegs(b, [{ flags: '.', seq: L + 1001, len: 1000 }, { flags: '.', seq: L + 3001, len: 1000 }]);
  b.c.segmentArrives(ack(L + 3001, [[L + 4001, L + 8001]]), 20);
  expectNothing(b);
  b.c.segmentArrives(ack(L + 8001), 21);
  assert.equal(b.c.nextDeadline(), Infinity);
});

test('ESTABLISHED (SACK, PRR): application-limited: the next hole goes on the next ACK (PRR-CRB paces it)', () => {
  const b = established(SACK, PEER);
  b.c.send(new Uint8Array(8000), 0);
  b.sink.clear();
  b.c.segmentArrives(ack(L + 1001, [[L + 2001, L + 3001]]), 10);
  b.c.segmentArrives(ack(L + 1001, [[L + 4001, L + 5001], [L + 2001, L + 3001]]), 11);
  b.c.segmentArrives(ack(L + 1001, [[L + 4001, L + 6001], [L + 2001, L + 3001]]), 12);
  // RFC 9937: one segment delivered, one sent: the fast retransmission.
  expectSegs(b, [{ flags: '.', seq: L + 1001, len: 1000 }]);
  b.c.segmentArrives(ack(L + 1001, [[L + 4001, L + 7001], [L + 2001, L + 3001]]), 13);
  expectSegs(b, [{ flags: '.', seq: L + 3001, len: 1000 }]);
  b.c.segmentArrives(ack(L + 8001), 21);
  assert.equal(b.c.nextDeadline(), Infinity);
});

test('ESTABLISHED (SACK, TS): Eifel: the original arrived after all -> window restored, more reordering tolerated', () => {
  const TSC = { sack: true, timestamps: true };
  const ts = (val: number, ecr: number) => ({ timestamp: { val, ecr } });
  const b = established(TSC, { ...PEER, mss: 1012, ...ts(1, 0) }, ts(1, 0)); // 1000 bytes beside TSopt
  b.c.send(new Uint8Array(6000), 100);
  b.sink.clear();
  const ackTs = (a: number, ecr: number, sack?: Array<[number, number]>) =>
    seg({ seq: R + 1, ack: a, flags: ACK, options: { ...ts(2, ecr), ...(sack ? { sack } : {}) } });
  b.c.segmentArrives(ackTs(L + 1001, 100, [[L + 2001, L + 3001]]), 110);
  b.c.segmentArrives(ackTs(L + 1001, 100, [[L + 2001, L + 4001]]), 111);
  const cwnd = b.c.status().cwnd;
  b.c.segmentArrives(ackTs(L + 1001, 100, [[L + 2001, L + 5001]]), 112);
  expectSegs(b, [{ flags: '.', seq: L + 1001, len: 1000 }]);
  assert.ok(b.c.status().cwnd < cwnd);
  // The ACK covering it echoes the original's TSval (100), older than the retransmission (112).
  b.c.segmentArrives(ackTs(L + 5001, 100), 120);
  assert.ok(b.c.status().cwnd >= cwnd, 'window restored');
  assert.equal(b.c.dupThresh, 6);
});

test('ESTABLISHED (SACK): after an RTO, go-back-N skips what the peer SACKed since', () => {
  const b = established(SACK, PEER);
  b.c.send(new Uint8Array(4000), 0);
  b.sink.clear();
  b.c.onTimer(b.c.nextDeadline()); // RTO: first segment again, scoreboard forgotten
  expectSegs(b, [{ flags: '.', seq: L + 1, len: 1000 }]);
  // Its ACK SACKs the third segment: the sender resends the second, then skips the third.
  b.c.segmentArrives(ack(L + 1001, [[L + 2001, L + 3001]]), 300);
  expectSegs(b, [{ flags: '.', seq: L + 1001, len: 1000 }, { flags: 'P.', seq: L + 3001, len: 1000 }]);
});

test('ESTABLISHED: limited transmit: each of the first two duplicate ACKs sends one new segment (RFC 3042)', () => {
  const b = established({}, { mss: 1000 });
  b.c.send(new Uint8Array(13000), 0);
  assert.equal(b.sink.take().length, 10, 'initial window: 10 segments of the negotiated MSS');
  b.c.segmentArrives(ack(L + 1), 10);
  expectSegs(b, [{ flags: '.', seq: L + 10001, len: 1000 }]);
  b.c.segmentArrives(ack(L + 1), 11);
  expectSegs(b, [{ flags: '.', seq: L + 11001, len: 1000 }]);
  b.c.segmentArrives(ack(L + 1), 12);
  expectSegs(b, [{ flags: '.', seq: L + 1, len: 1000 }]);
  assert.equal(b.sink.ofType('retransmit')[0].cause, 'fast');
});

test('ESTABLISHED (SACK): limited transmit: a duplicate ACK SACKing one segment sends one new segment, not two', () => {
  // RFC 3042 and the RFC 6675 pipe (SACKed bytes are not in flight) are one allowance.
  const b = established(SACK, PEER);
  b.c.send(new Uint8Array(14000), 0);
  assert.equal(b.sink.take().length, 10);
  b.c.segmentArrives(ack(L + 1, [[L + 4001, L + 5001]]), 10);
  expectSegs(b, [{ flags: '.', seq: L + 10001, len: 1000 }]);
  b.c.segmentArrives(ack(L + 1, [[L + 4001, L + 6001]]), 11);
  expectSegs(b, [{ flags: '.', seq: L + 11001, len: 1000 }]);
});

test('ESTABLISHED (SACK): go-back-N after an RTO, the peer SACKed only the last byte of a segment -> the segment goes whole, not as a runt', () => {
  const b = established(SACK, PEER);
  b.c.send(new Uint8Array(4000), 0);
  b.sink.clear();
  b.c.segmentArrives(ack(L + 1, [[L + 4000, L + 4001]]), 10);
  b.c.onTimer(b.c.nextDeadline());
  expectSegs(b, [{ flags: '.', seq: L + 1, len: 1000 }]);
  b.c.segmentArrives(ack(L + 1001, [[L + 4000, L + 4001]]), 1100);
  expectSegs(b, [{ flags: '.', seq: L + 1001, len: 1000 }, { flags: '.', seq: L + 2001, len: 1000 }]);
  b.c.segmentArrives(ack(L + 3001, [[L + 4000, L + 4001]]), 1200);
  expectSegs(b, [{ flags: 'P.', seq: L + 3001, len: 1000 }]);
});

test('ESTABLISHED: go-back-N after an RTO -> a retransmission that fills cwnd has no PSH; the end of the data does', () => {
  const b = established({}, { mss: 1000 });
  b.c.send(new Uint8Array(4000), 0);
  b.sink.clear();
  b.c.onTimer(b.c.nextDeadline());
  expectSegs(b, [{ flags: '.', seq: L + 1, len: 1000 }]);
  b.c.segmentArrives(ack(L + 1001), 1100); // cwnd 2 segments
  expectSegs(b, [{ flags: '.', seq: L + 1001, len: 1000 }, { flags: '.', seq: L + 2001, len: 1000 }]);
  b.c.segmentArrives(ack(L + 3001), 1200);
  expectSegs(b, [{ flags: 'P.', seq: L + 3001, len: 1000 }]);
});

test('ESTABLISHED: slow start: an ACK of one segment lets two more out', () => {
  const b = established({}, { mss: 1000 });
  b.c.send(new Uint8Array(13000), 0);
  b.sink.clear();
  b.c.segmentArrives(ack(L + 1001), 10); // one segment acked: cwnd grows, two new segments
  expectSegs(b, [{ flags: '.', seq: L + 10001, len: 1000 }, { flags: 'P.', seq: L + 11001, len: 1000 }]);
  b.c.segmentArrives(ack(L + 1001), 11);
  expectSegs(b, [{ flags: 'P.', seq: L + 12001, len: 1000 }]);
});

test('Scoreboard: merge, trim, holes', () => {
  const s = new Scoreboard();
  s.update([[30, 40], [10, 20]], 0, 100);
  s.update([[20, 25]], 0, 100);
  assert.deepEqual(s.ranges, [[10, 25], [30, 40]]);
  assert.equal(s.sackedBytes(), 25);
  assert.deepEqual(s.holeAfter(0, 40), [0, 10]);
  assert.deepEqual(s.holeAfter(12, 40), [25, 30]);
  assert.equal(s.holeAfter(30, 40), undefined);
  assert.equal(s.holeBytes(0, 40), 15);
  s.update([[90, 200]], 0, 100); // beyond SND.NXT: ignored
  s.update([[0, 5]], 8, 100); // below SND.UNA (D-SACK): ignored
  assert.equal(s.ranges.length, 2);
  s.trim(15);
  assert.deepEqual(s.ranges, [[15, 25], [30, 40]]);
  assert.equal(s.sackedEnd(16), 25);
  assert.equal(s.nextStart(26), 30);
});
