// Cork: Linux TCP_CORK (Connection.cork) and MSG_MORE (send(..., more)): only full-sized
// segments go; a partial one waits for more data, the cork coming off, or the cork ceiling.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ACK, FIN, LOCAL_ISS as L, REMOTE_ISS as R, established, expectNothing, expectSegs, seg } from './helpers.js';

const MSS = { mss: 1000 };

test('ESTABLISHED: corked, a partial segment is held even with Nagle off and nothing in flight', () => {
  const b = established({ nagle: false }, MSS);
  b.c.cork(true, 0);
  b.c.send(new Uint8Array(40), 0);
  b.c.send(new Uint8Array(40), 10);
  expectNothing(b);
  assert.equal(b.c.status().sendQueue, 80);
});

test('ESTABLISHED: config.cork corks from the start; cork(false) leaves the config alone', () => {
  const cfg = { nagle: false, cork: true, ...MSS };
  const b = established(cfg);
  b.c.send(new Uint8Array(40), 0);
  expectNothing(b);
  b.c.cork(false, 1);
  expectSegs(b, [{ flags: 'P.', seq: L + 1, len: 40 }]);
  assert.equal(b.c.config.cork, true, 'a shared config is not changed');
});

test('ESTABLISHED: corked, full segments go and only the partial tail is held', () => {
  const b = established({ nagle: false }, MSS);
  b.c.cork(true, 0);
  b.c.send(new Uint8Array(2500), 0);
  expectSegs(b, [
    { flags: '.', seq: L + 1, len: 1000 },
    { flags: '.', seq: L + 1001, len: 1000 },
  ]);
  // Another 500 completes the third segment: it goes, full-sized.
  b.c.send(new Uint8Array(500), 1);
  expectSegs(b, [{ flags: 'P.', seq: L + 2001, len: 1000 }]);
});

test('ESTABLISHED: uncork sends what is queued', () => {
  const b = established({ nagle: false }, MSS);
  b.c.cork(true, 0);
  b.c.send(new Uint8Array(40), 0);
  b.c.send(new Uint8Array(40), 50);
  expectNothing(b);
  b.c.cork(false, 60);
  expectSegs(b, [{ flags: 'P.', seq: L + 1, len: 80 }]);
});

test('ESTABLISHED: uncork with Nagle on and data in flight: Nagle still holds the runt (3.7.4)', () => {
  const b = established({ nagle: true }, MSS);
  b.c.send(new Uint8Array(1000), 0);
  expectSegs(b, [{ flags: 'P.', seq: L + 1, len: 1000 }]);
  b.c.cork(true, 1);
  b.c.send(new Uint8Array(40), 2);
  b.c.cork(false, 3);
  expectNothing(b);
  b.c.segmentArrives(seg({ seq: R + 1, ack: L + 1001, flags: ACK }), 10);
  expectSegs(b, [{ flags: 'P.', seq: L + 1001, len: 40 }]);
});

test('ESTABLISHED: corked, the held segment goes at the 200 ms ceiling, with PSH', () => {
  const b = established({ nagle: false, rtoMin: 50 }, MSS);
  assert.ok(b.c.status().rto <= 200, `rto ${b.c.status().rto}`);
  b.c.cork(true, 1000);
  b.c.send(new Uint8Array(40), 1000);
  b.c.send(new Uint8Array(40), 1100); // more data does not restart the ceiling
  expectNothing(b);
  assert.equal(b.c.nextDeadline(), 1200);
  b.c.onTimer(1199);
  expectNothing(b);
  b.c.onTimer(1200);
  expectSegs(b, [{ flags: 'P.', seq: L + 1, len: 80 }]);
  // The cork stays on: the next runt is held again (the retransmit timer covers the flight).
  b.c.send(new Uint8Array(10), 1201);
  expectNothing(b);
});

test('ESTABLISHED: corked with a larger RTO, the ceiling is the RTO (Linux tcp_probe0_base)', () => {
  const b = established({ nagle: false, rtoMin: 300 }, MSS);
  const rto = b.c.status().rto;
  assert.ok(rto >= 300);
  b.c.cork(true, 0);
  b.c.send(new Uint8Array(40), 0);
  assert.equal(b.c.nextDeadline(), rto);
  b.c.onTimer(200);
  expectNothing(b);
  b.c.onTimer(rto);
  expectSegs(b, [{ flags: 'P.', seq: L + 1, len: 40 }]);
});

test('ESTABLISHED: corked, the ceiling is SRTT + 200 ms once RTT is measured (Linux RTTVAR floor)', () => {
  const b = established({ nagle: false, rtoMin: 50 }, MSS);
  b.c.send(new Uint8Array(1000), 0);
  expectSegs(b, [{ flags: 'P.', seq: L + 1, len: 1000 }]);
  b.c.segmentArrives(seg({ seq: R + 1, ack: L + 1001, flags: ACK }), 50);
  const { srtt, rto } = b.c.status();
  assert.ok(srtt !== undefined && srtt > 0 && rto < srtt + 200, `srtt ${srtt} rto ${rto}`);
  b.c.cork(true, 100);
  b.c.send(new Uint8Array(40), 100);
  const at = 100 + srtt + 200;
  assert.equal(b.c.nextDeadline(), at);
  b.c.onTimer(at - 1);
  expectNothing(b);
  b.c.onTimer(at);
  expectSegs(b, [{ flags: 'P.', seq: L + 1001, len: 40 }]);
});

test('ESTABLISHED: corked, CLOSE sends the held runt with FIN at once', () => {
  const b = established({ nagle: false }, MSS);
  b.c.cork(true, 0);
  b.c.send(new Uint8Array(40), 0);
  expectNothing(b);
  b.c.close(1);
  expectSegs(b, [{ flags: 'FP.', seq: L + 1, len: 40 }]);
  assert.equal(b.c.state, 'FIN-WAIT-1');
});

test('ESTABLISHED: corked, a retransmission is not held', () => {
  const b = established({ nagle: false }, MSS);
  b.c.send(new Uint8Array(40), 0);
  expectSegs(b, [{ flags: 'P.', seq: L + 1, len: 40 }]);
  b.c.cork(true, 1);
  const t = b.c.nextDeadline();
  b.c.onTimer(t);
  expectSegs(b, [{ flags: 'P.', seq: L + 1, len: 40 }]);
});

test('ESTABLISHED: corked, a zero-window probe still goes (3.8.6.1)', () => {
  const b = established({ nagle: false }, MSS);
  b.c.segmentArrives(seg({ seq: R + 1, ack: L + 1, flags: ACK, window: 0 }), 0);
  b.c.cork(true, 0);
  b.c.send(new Uint8Array(40), 0);
  expectNothing(b);
  const t = b.c.nextDeadline();
  b.c.onTimer(t);
  expectSegs(b, [{ flags: '.', seq: L + 1, len: 1 }]);
});

test('ESTABLISHED: push (TCP_NODELAY set) sends the corked runt; data queued later is held', () => {
  const b = established({ nagle: false }, MSS);
  b.c.cork(true, 0);
  b.c.send(new Uint8Array(40), 0);
  b.c.push(1);
  expectSegs(b, [{ flags: 'P.', seq: L + 1, len: 40 }]);
  b.c.segmentArrives(seg({ seq: R + 1, ack: L + 41, flags: ACK }), 2);
  b.c.send(new Uint8Array(40), 3);
  expectNothing(b);
});

test('ESTABLISHED: MSG_MORE holds that call\'s runt; a send without it flushes', () => {
  const b = established({ nagle: false }, MSS);
  b.c.send(new Uint8Array(40), 0, true);
  b.c.send(new Uint8Array(40), 1, true);
  expectNothing(b);
  b.c.send(new Uint8Array(20), 2);
  expectSegs(b, [{ flags: 'P.', seq: L + 1, len: 100 }]);
});

test('ESTABLISHED: MSG_MORE: full segments go without PSH, the runt waits', () => {
  const b = established({ nagle: false }, MSS);
  b.c.send(new Uint8Array(2100), 0, true);
  expectSegs(b, [
    { flags: '.', seq: L + 1, len: 1000 },
    { flags: '.', seq: L + 1001, len: 1000 },
  ]);
});

test('ESTABLISHED: MSG_MORE data released by an ACK (Nagle off) goes without PSH, as Linux', () => {
  const b = established({ nagle: false }, MSS);
  b.c.send(new Uint8Array(1100), 0, true);
  expectSegs(b, [{ flags: '.', seq: L + 1, len: 1000 }]);
  b.c.segmentArrives(seg({ seq: R + 1, ack: L + 1001, flags: ACK }), 10);
  expectSegs(b, [{ flags: '.', seq: L + 1001, len: 100 }]);
});

test('ESTABLISHED: MSG_MORE with nothing in flight: the runt goes at the ceiling, with PSH', () => {
  const b = established({ nagle: false, rtoMin: 50 }, MSS);
  b.c.send(new Uint8Array(40), 500, true);
  expectNothing(b);
  assert.equal(b.c.nextDeadline(), 700);
  b.c.onTimer(700);
  expectSegs(b, [{ flags: 'P.', seq: L + 1, len: 40 }]);
});

test('ESTABLISHED: MSG_MORE is per call: the next send without it is not corked', () => {
  const b = established({ nagle: false }, MSS);
  b.c.send(new Uint8Array(40), 0, true);
  b.c.send(new Uint8Array(10), 1);
  expectSegs(b, [{ flags: 'P.', seq: L + 1, len: 50 }]);
  b.c.segmentArrives(seg({ seq: R + 1, ack: L + 51, flags: ACK }), 2);
  b.c.send(new Uint8Array(10), 3);
  expectSegs(b, [{ flags: 'P.', seq: L + 51, len: 10 }]);
});

test('CLOSE-WAIT: MSG_MORE runt goes with FIN on CLOSE (no PSH: Linux tcp_send_fin adds none)', () => {
  const b = established({ nagle: false }, MSS);
  b.c.segmentArrives(seg({ seq: R + 1, ack: L + 1, flags: FIN | ACK }), 0);
  b.sink.clear();
  b.c.send(new Uint8Array(40), 1, true);
  expectNothing(b);
  b.c.close(2);
  expectSegs(b, [{ flags: 'F.', seq: L + 1, len: 40 }]);
});
