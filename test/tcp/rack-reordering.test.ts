// RFC 8985 3.4, 6.2: with RACK on and SACK, RACK alone marks losses and starts fast recovery;
// three duplicate ACKs SACKing reordered data wait for the reordering window. Without RACK (or
// with config.rackDupThresh) RFC 5681/6675 DupThresh decides, as before.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ACK, LOCAL_ISS as L, REMOTE_ISS as R, type Bench, established, expectSegs, seg, synReceived } from './helpers.js';

const PEER = { mss: 1000, sackPermitted: true };
const ack = (a: number, sack?: Array<[number, number]>) => seg({ seq: R + 1, ack: a, flags: ACK, options: sack ? { sack } : {} });

/** ESTABLISHED at t=100; 2 segments sent at 100 and ACKed at 200 (SRTT and min_RTT 100 ms). With
 *  `reordered`, 2 more sent at 200 arrive out of order (SACK at 300, ACK at 301): RACK has seen
 *  reordering. Then 5 segments L+4001..L+9001 go out at 301. */
function flight(cfg: object, reordered: boolean): Bench {
  const b = synReceived({ sack: true, sndBuf: 1 << 20, ...cfg }, PEER);
  b.c.segmentArrives(seg({ seq: R + 1, ack: L + 1, flags: ACK }), 100);
  b.c.send(new Uint8Array(2000), 100);
  b.c.segmentArrives(ack(L + 2001), 200);
  b.c.send(new Uint8Array(2000), 200);
  if (reordered) b.c.segmentArrives(ack(L + 2001, [[L + 3001, L + 4001]]), 300);
  b.c.segmentArrives(ack(L + 4001), 301);
  assert.equal(b.sink.ofType('retransmit').length, 0, 'no retransmission while warming up');
  b.c.send(new Uint8Array(5000), 301);
  b.sink.clear();
  return b;
}

/** Three duplicate ACKs at 400..402, SACKing L+5001..L+8001: the first segment is missing. */
function threeDupAcks(b: Bench): void {
  for (let k = 1; k <= 3; k++) b.c.segmentArrives(ack(L + 4001, [[L + 5001, L + 5001 + 1000 * k]]), 399 + k);
}

test('ESTABLISHED (RACK, SACK, reordering seen): rcv 3 duplicate ACKs SACKing later data -> no retransmission before the reordering window expires', () => {
  const b = flight({ rack: true }, true);
  threeDupAcks(b);
  expectSegs(b, []);
  // RACK: sent at 301 + RACK.rtt (402 - 301) + reo_wnd (min_RTT/4, about 25 ms)
  const d = b.c.nextDeadline();
  assert.ok(d > 402 + 15 && d <= 301 + 101 + 25, `the reordering timer (${d})`);
  assert.ok(d < 402 + b.c.status().rto, 'before the RTO');
  assert.equal(b.c.status().caState, 'disorder');
});

test('ESTABLISHED (RACK, SACK, reordering seen): 3 duplicate ACKs, then the reordered segment arrives -> nothing is retransmitted', () => {
  const b = flight({ rack: true }, true);
  threeDupAcks(b);
  b.c.segmentArrives(ack(L + 9001), 410);
  expectSegs(b, []);
  assert.equal(b.sink.ofType('retransmit').length, 0);
});

test('ESTABLISHED (RACK, SACK, reordering seen): 3 duplicate ACKs, the reordering timer expires -> the hole is retransmitted (fast recovery)', () => {
  const b = flight({ rack: true }, true);
  threeDupAcks(b);
  // The timer armed on the first duplicate ACK may fire early and re-arm (RFC 8985 6.3).
  let t = 0;
  for (let i = 0; i < 3 && b.sink.ofType('retransmit').length === 0; i++) b.c.onTimer((t = b.c.nextDeadline()));
  assert.ok(t <= 301 + 101 + 25, `retransmitted by the reordering timer at ${t}, not the RTO`);
  expectSegs(b, [{ flags: '.', seq: L + 4001, len: 1000 }]);
  assert.equal(b.sink.ofType('retransmit').at(-1)?.cause, 'fast');
  assert.equal(b.c.status().caState, 'recovery');
});

test('ESTABLISHED (RACK, SACK, no reordering seen): rcv the third duplicate ACK SACKing 3 segments -> retransmitted at once (reo_wnd 0, RFC 8985 6.2 step 4)', () => {
  const b = flight({ rack: true }, false);
  threeDupAcks(b);
  expectSegs(b, [{ flags: '.', seq: L + 4001, len: 1000 }]);
  assert.equal(b.sink.ofType('retransmit').at(-1)?.cause, 'fast');
});

test('ESTABLISHED (RACK off, SACK, reordering seen): rcv the third duplicate ACK -> RFC 6675 fast retransmit at once', () => {
  const b = flight({ rack: false }, true);
  b.c.segmentArrives(ack(L + 4001, [[L + 5001, L + 6001]]), 400);
  b.c.segmentArrives(ack(L + 4001, [[L + 5001, L + 7001]]), 401);
  expectSegs(b, []);
  b.c.segmentArrives(ack(L + 4001, [[L + 5001, L + 8001]]), 402);
  expectSegs(b, [{ flags: '.', seq: L + 4001, len: 1000 }]);
  assert.equal(b.sink.ofType('retransmit').at(-1)?.cause, 'fast');
});

test('ESTABLISHED (RACK, SACK, rackDupThresh): rcv the third duplicate ACK -> DupThresh fast retransmit at once, as before RFC 8985', () => {
  const b = flight({ rack: true, rackDupThresh: true }, true);
  threeDupAcks(b);
  expectSegs(b, [{ flags: '.', seq: L + 4001, len: 1000 }]);
});

test('ESTABLISHED (RACK, SACK, TS): fast recovery undone (Eifel), then a loss before SND.UNA passes recover -> RACK retransmits it, not the RTO', () => {
  const ts = (val: number, ecr: number) => ({ timestamp: { val, ecr } });
  const b = established({ sack: true, timestamps: true, rack: true, sndBuf: 1 << 20 }, { ...PEER, mss: 1012, ...ts(1, 0) }, ts(1, 0));
  const ackTs = (a: number, ecr: number, sack?: Array<[number, number]>) =>
    seg({ seq: R + 1, ack: a, flags: ACK, options: { ...ts(2, ecr), ...(sack ? { sack } : {}) } });
  b.c.send(new Uint8Array(2000), 0);
  b.c.segmentArrives(ackTs(L + 2001, 0), 100);
  b.c.send(new Uint8Array(6000), 100); // L+2001 .. L+8001
  b.sink.clear();
  // Three segments SACKed above the first, no reordering seen yet: RACK marks it lost at once.
  b.c.segmentArrives(ackTs(L + 2001, 100, [[L + 3001, L + 6001]]), 200);
  expectSegs(b, [{ flags: '.', seq: L + 2001, len: 1000 }]);
  // The original arrived after all: the ACK echoes its TSval (100), older than the
  // retransmission's (200): the recovery is undone, SND.UNA is still below `recover`.
  b.c.segmentArrives(ackTs(L + 6001, 100), 201);
  assert.notEqual(b.c.status().caState, 'recovery');
  // Now L+6001 is really lost.
  b.c.segmentArrives(ackTs(L + 6001, 100, [[L + 7001, L + 8001]]), 202);
  let t = 0;
  for (let i = 0; i < 3 && b.sink.segs.length === 0; i++) b.c.onTimer((t = b.c.nextDeadline()));
  expectSegs(b, [{ flags: '.', seq: L + 6001, len: 1000 }]);
  // sent at 100 + RACK.rtt 102 + reo_wnd min_RTT/4 (reordering seen: the undo)
  assert.ok(t <= 100 + 102 + 25, `retransmitted at ${t} by RACK's reordering timer, not the RTO`);
});
