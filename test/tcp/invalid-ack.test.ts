// ACKs answering unacceptable segments are rate limited (Linux tcp_invalid_ratelimit, 500 ms per
// connection; RFC 5961 10): RFC 9293 3.10.7.4 still holds for the first one in each interval.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ACK, LOCAL_ISS as L, REMOTE_ISS as R, established, expectNothing, expectSegs, seg } from './helpers.js';

const FAR = R + 1 + 10_000_000; // far beyond the right edge of the window

test('ESTABLISHED: rcv segment beyond the window -> ACK; more within 500 ms -> no ACK; after 500 ms -> ACK again', () => {
  const b = established();
  b.c.segmentArrives(seg({ seq: FAR, ack: L + 1, flags: ACK, payload: 10 }), 1000);
  expectSegs(b, [{ flags: '.', seq: L + 1, ack: R + 1 }]);
  for (let i = 1; i <= 100; i++) b.c.segmentArrives(seg({ seq: FAR + 1000 * i, ack: L + 1, flags: ACK, payload: 10 }), 1000 + i * 4);
  expectNothing(b);
  assert.equal(b.sink.drops().filter((d) => d === 'out of window').length, 101, 'each one is still dropped and counted');
  b.c.segmentArrives(seg({ seq: FAR, ack: L + 1, flags: ACK, payload: 10 }), 1500);
  expectSegs(b, [{ flags: '.', seq: L + 1, ack: R + 1 }]);
});

test('ESTABLISHED: rcv old duplicates (below RCV.NXT, our ACK was lost) -> each is ACKed, no rate limit', () => {
  const b = established();
  b.c.segmentArrives(seg({ seq: R + 1, ack: L + 1, flags: ACK, payload: 100 }), 1);
  expectSegs(b, [{ flags: '.', seq: L + 1, ack: R + 101 }]);
  for (let i = 0; i < 5; i++) {
    b.c.segmentArrives(seg({ seq: R + 1, ack: L + 1, flags: ACK, payload: 100 }), 2 + i);
    expectSegs(b, [{ flags: '.', seq: L + 1, ack: R + 101 }]);
  }
});

test('ESTABLISHED: rcv segments beyond the window with invalidRateLimit 0 -> every one ACKed (RFC 9293 as written)', () => {
  const b = established({ invalidRateLimit: 0 });
  for (let i = 0; i < 5; i++) {
    b.c.segmentArrives(seg({ seq: FAR + i, ack: L + 1, flags: ACK, payload: 10 }), 10 + i);
    expectSegs(b, [{ flags: '.', seq: L + 1, ack: R + 1 }]);
  }
});

test('ESTABLISHED: rcv in-window segments failing PAWS -> the first ACKed, the rest within 500 ms not', () => {
  const ts = (val: number) => ({ timestamp: { val, ecr: 1 } });
  const b = established({ timestamps: true }, { timestamp: { val: 1000, ecr: 0 } }, ts(1000));
  b.c.segmentArrives(seg({ seq: R + 1, ack: L + 1, flags: ACK, payload: 10, options: ts(2000) }), 10);
  b.sink.clear();
  b.c.segmentArrives(seg({ seq: R + 1 + 500, ack: L + 1, flags: ACK, payload: 10, options: ts(1500) }), 20);
  expectSegs(b, [{ flags: '.', seq: L + 1, ack: R + 11 }]);
  for (let i = 1; i <= 20; i++) b.c.segmentArrives(seg({ seq: R + 1 + 500 + i * 10, ack: L + 1, flags: ACK, payload: 10, options: ts(1500) }), 20 + i);
  expectNothing(b);
  assert.equal(b.sink.drops().filter((d) => d === 'paws').length, 21);
});
