// One test per arc of RFC 9293 Figure 5 (3.3.2), named by state and event.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ACK, FIN, RST, SYN, LOCAL_ISS as L, REMOTE_ISS as R,
  closeWait, established, establishedActive, expectNothing, expectSegs, expectState, finWait1, make, seg, synReceived,
} from './helpers.js';

test('CLOSED: user OPEN passive -> LISTEN', () => {
  const b = make();
  b.c.openPassive(0);
  expectState(b, 'LISTEN');
  expectNothing(b);
  assert.deepEqual(b.sink.ofType('state'), [{ type: 'state', from: 'CLOSED', to: 'LISTEN', cause: 'user LISTEN' }]);
});

test('CLOSED: user OPEN active -> SYN-SENT, snd SYN', () => {
  const b = make();
  b.c.openActive(0);
  expectState(b, 'SYN-SENT');
  expectSegs(b, [{ flags: 'S', seq: L }]);
});

test('LISTEN: rcv SYN -> SYN-RECEIVED, snd SYN,ACK', () => {
  const b = make();
  b.c.openPassive(0);
  b.c.segmentArrives(seg({ seq: R, flags: SYN }), 0);
  expectState(b, 'SYN-RECEIVED');
  expectSegs(b, [{ flags: 'S.', seq: L, ack: R + 1 }]);
  assert.equal(b.sink.ofType('state')[1].cause, 'rcv SYN');
});

test('LISTEN: user SEND -> SYN-SENT, snd SYN', () => {
  const b = make();
  b.c.openPassive(0);
  assert.equal(b.c.send(new Uint8Array(10), 0), 10);
  expectState(b, 'SYN-SENT');
  expectSegs(b, [{ flags: 'S', seq: L }]);
  // The queued data goes out once the connection is established.
  b.c.segmentArrives(seg({ seq: R, ack: L + 1, flags: SYN | ACK }), 1);
  expectState(b, 'ESTABLISHED');
  expectSegs(b, [{ flags: 'P.', seq: L + 1, ack: R + 1, len: 10 }]);
});

test('LISTEN: user CLOSE -> CLOSED', () => {
  const b = make();
  b.c.openPassive(0);
  b.c.close(0);
  expectState(b, 'CLOSED');
  expectNothing(b);
  assert.equal(b.sink.ofType('closed').length, 1);
});

test('SYN-SENT: rcv SYN -> SYN-RECEIVED, snd SYN,ACK (simultaneous open)', () => {
  const b = make();
  b.c.openActive(0);
  b.sink.clear();
  b.c.segmentArrives(seg({ seq: R, flags: SYN }), 5);
  expectState(b, 'SYN-RECEIVED');
  expectSegs(b, [{ flags: 'S.', seq: L, ack: R + 1 }]);
  // The peer's SYN,ACK completes it (RFC 9293 Figure 8 line 5).
  b.c.segmentArrives(seg({ seq: R, ack: L + 1, flags: SYN | ACK }), 10);
  expectState(b, 'ESTABLISHED');
  expectSegs(b, [{ flags: '.', seq: L + 1, ack: R + 1 }]);
});

test('SYN-SENT: rcv SYN,ACK -> ESTABLISHED, snd ACK', () => {
  const b = make();
  b.c.openActive(0);
  b.sink.clear();
  b.c.segmentArrives(seg({ seq: R, ack: L + 1, flags: SYN | ACK }), 5);
  expectState(b, 'ESTABLISHED');
  expectSegs(b, [{ flags: '.', seq: L + 1, ack: R + 1 }]);
  assert.equal(b.c.nextDeadline(), Infinity, 'no timer left');
});

test('SYN-SENT: user CLOSE -> CLOSED', () => {
  const b = make();
  b.c.openActive(0);
  b.sink.clear();
  b.c.close(1);
  expectState(b, 'CLOSED');
  expectNothing(b);
  assert.equal(b.c.nextDeadline(), Infinity);
});

test('SYN-RECEIVED: rcv ACK of SYN -> ESTABLISHED', () => {
  const b = synReceived();
  b.c.segmentArrives(seg({ seq: R + 1, ack: L + 1, flags: ACK }), 5);
  expectState(b, 'ESTABLISHED');
  expectNothing(b);
  assert.equal(b.sink.ofType('state')[0].cause, 'rcv ACK of SYN');
});

test('SYN-RECEIVED: rcv RST (passive open) -> LISTEN', () => {
  const b = synReceived();
  b.c.segmentArrives(seg({ seq: R + 1, flags: RST }), 5);
  expectState(b, 'LISTEN');
  expectNothing(b);
  assert.equal(b.sink.ofType('error').length, 0, 'the user need not be informed');
  assert.equal(b.c.nextDeadline(), Infinity);
});

test('SYN-RECEIVED: rcv RST (active open) -> CLOSED, connection refused', () => {
  const b = make();
  b.c.openActive(0);
  b.c.segmentArrives(seg({ seq: R, flags: SYN }), 1);
  b.sink.clear();
  b.c.segmentArrives(seg({ seq: R + 1, flags: RST }), 2);
  expectState(b, 'CLOSED');
  expectNothing(b);
  assert.deepEqual(b.sink.ofType('error')[0], { type: 'error', code: 'ECONNREFUSED', message: 'connection refused' });
});

test('SYN-RECEIVED: user CLOSE -> FIN-WAIT-1, snd FIN', () => {
  const b = synReceived();
  b.c.close(1);
  expectState(b, 'FIN-WAIT-1');
  expectSegs(b, [{ flags: 'F.', seq: L + 1, ack: R + 1 }]);
  // The ACK of SYN and FIN together: FIN-WAIT-2.
  b.c.segmentArrives(seg({ seq: R + 1, ack: L + 2, flags: ACK }), 2);
  expectState(b, 'FIN-WAIT-2');
  expectNothing(b);
});

test('ESTABLISHED: user CLOSE -> FIN-WAIT-1, snd FIN', () => {
  const b = established();
  b.c.close(1);
  expectState(b, 'FIN-WAIT-1');
  expectSegs(b, [{ flags: 'F.', seq: L + 1, ack: R + 1 }]);
});

test('ESTABLISHED: rcv FIN -> CLOSE-WAIT, snd ACK', () => {
  const b = established();
  b.c.segmentArrives(seg({ seq: R + 1, ack: L + 1, flags: FIN | ACK }), 1);
  expectState(b, 'CLOSE-WAIT');
  expectSegs(b, [{ flags: '.', seq: L + 1, ack: R + 2 }]);
  assert.equal(b.c.eof, true);
  assert.equal(b.sink.ofType('eof').length, 1);
});

test('FIN-WAIT-1: rcv ACK of FIN -> FIN-WAIT-2', () => {
  const b = finWait1();
  b.c.segmentArrives(seg({ seq: R + 1, ack: L + 2, flags: ACK }), 1);
  expectState(b, 'FIN-WAIT-2');
  expectNothing(b);
});

test('FIN-WAIT-1: rcv FIN -> CLOSING, snd ACK carrying our unacknowledged FIN again (simultaneous close)', () => {
  const b = finWait1();
  b.c.segmentArrives(seg({ seq: R + 1, ack: L + 1, flags: FIN | ACK }), 1);
  expectState(b, 'CLOSING');
  expectSegs(b, [{ flags: 'F.', seq: L + 1, ack: R + 2 }]);
});

test('FIN-WAIT-1: rcv FIN+ACK of our FIN -> TIME-WAIT', () => {
  const b = finWait1();
  b.c.segmentArrives(seg({ seq: R + 1, ack: L + 2, flags: FIN | ACK }), 1);
  expectState(b, 'TIME-WAIT');
  expectSegs(b, [{ flags: '.', seq: L + 2, ack: R + 2 }]);
  assert.deepEqual(b.sink.states(), ['FIN-WAIT-1->TIME-WAIT']);
});

test('FIN-WAIT-2: rcv FIN -> TIME-WAIT, snd ACK', () => {
  const b = finWait1();
  b.c.segmentArrives(seg({ seq: R + 1, ack: L + 2, flags: ACK }), 1);
  b.sink.clear();
  b.c.segmentArrives(seg({ seq: R + 1, ack: L + 2, flags: FIN | ACK }), 2);
  expectState(b, 'TIME-WAIT');
  expectSegs(b, [{ flags: '.', seq: L + 2, ack: R + 2 }]);
  assert.equal(b.c.nextDeadline(), 2 + 2 * b.c.config.msl);
});

test('CLOSING: rcv ACK of FIN -> TIME-WAIT', () => {
  const b = finWait1();
  b.c.segmentArrives(seg({ seq: R + 1, ack: L + 1, flags: FIN | ACK }), 1);
  b.sink.clear();
  b.c.segmentArrives(seg({ seq: R + 2, ack: L + 2, flags: ACK }), 2);
  expectState(b, 'TIME-WAIT');
  expectNothing(b);
});

test('CLOSE-WAIT: user CLOSE -> LAST-ACK, snd FIN', () => {
  const b = closeWait();
  b.c.close(1);
  expectState(b, 'LAST-ACK');
  expectSegs(b, [{ flags: 'F.', seq: L + 1, ack: R + 2 }]);
});

test('CLOSE-WAIT: user SEND still sends (half-close)', () => {
  const b = closeWait();
  assert.equal(b.c.send(new Uint8Array(100), 1), 100);
  expectSegs(b, [{ flags: 'P.', seq: L + 1, ack: R + 2, len: 100 }]);
  b.c.segmentArrives(seg({ seq: R + 2, ack: L + 101, flags: ACK }), 2);
  expectState(b, 'CLOSE-WAIT');
  expectNothing(b);
});

test('LAST-ACK: rcv ACK of FIN -> CLOSED', () => {
  const b = closeWait();
  b.c.close(1);
  b.sink.clear();
  b.c.segmentArrives(seg({ seq: R + 2, ack: L + 2, flags: ACK }), 2);
  expectState(b, 'CLOSED');
  expectNothing(b);
  assert.equal(b.sink.ofType('closed').length, 1);
  assert.equal(b.sink.ofType('error').length, 0);
});

function timeWait(): ReturnType<typeof finWait1> {
  const b = finWait1();
  b.c.segmentArrives(seg({ seq: R + 1, ack: L + 2, flags: FIN | ACK }), 1000);
  b.sink.clear();
  return b;
}

test('TIME-WAIT: 2MSL timeout -> CLOSED', () => {
  const b = timeWait();
  const msl = b.c.config.msl;
  assert.equal(b.c.nextDeadline(), 1000 + 2 * msl);
  b.c.onTimer(1000 + 2 * msl - 1);
  expectState(b, 'TIME-WAIT');
  b.c.onTimer(1000 + 2 * msl);
  expectState(b, 'CLOSED');
  expectNothing(b);
  assert.deepEqual(b.sink.ofType('state')[0], { type: 'state', from: 'TIME-WAIT', to: 'CLOSED', cause: '2MSL timeout' });
  assert.equal(b.sink.ofType('closed').length, 1);
});

test('TIME-WAIT: rcv retransmitted FIN -> re-ACK, 2MSL restarted', () => {
  const b = timeWait();
  const msl = b.c.config.msl;
  b.c.segmentArrives(seg({ seq: R + 1, ack: L + 2, flags: FIN | ACK }), 5000);
  expectState(b, 'TIME-WAIT');
  expectSegs(b, [{ flags: '.', seq: L + 2, ack: R + 2 }]);
  assert.equal(b.c.nextDeadline(), 5000 + 2 * msl);
  b.c.onTimer(1000 + 2 * msl);
  expectState(b, 'TIME-WAIT');
  b.c.onTimer(5000 + 2 * msl);
  expectState(b, 'CLOSED');
});

test('TIME-WAIT: rcv RST -> CLOSED (RFC 9293), ignored with rfc1337', () => {
  const b = timeWait();
  b.c.segmentArrives(seg({ seq: R + 2, flags: RST }), 2000);
  expectState(b, 'CLOSED');
  expectNothing(b);
  const b2 = finWait1({ rfc1337: true });
  b2.c.segmentArrives(seg({ seq: R + 1, ack: L + 2, flags: FIN | ACK }), 1000);
  b2.sink.clear();
  b2.c.segmentArrives(seg({ seq: R + 2, flags: RST }), 2000);
  expectState(b2, 'TIME-WAIT');
  expectNothing(b2);
});

test('ESTABLISHED (active): full handshake numbers', () => {
  const b = establishedActive();
  assert.equal(b.c.status().sndNxt, L + 1);
  assert.equal(b.c.status().rcvNxt, R + 1);
});

test('ESTABLISHED: rcv RST -> CLOSED, ECONNRESET', () => {
  const b = established();
  b.c.segmentArrives(seg({ seq: R + 1, flags: RST }), 1);
  expectState(b, 'CLOSED');
  expectNothing(b);
  const ev = b.sink.events.filter((e) => e.type === 'error' || e.type === 'state' || e.type === 'closed');
  assert.deepEqual(ev, [
    { type: 'error', code: 'ECONNRESET', message: 'connection reset' },
    { type: 'state', from: 'ESTABLISHED', to: 'CLOSED', cause: 'rcv RST' },
    { type: 'closed' },
  ]);
});

test('any synchronized state: user ABORT -> CLOSED, snd RST', () => {
  const b = established();
  b.c.abort(1);
  expectState(b, 'CLOSED');
  expectSegs(b, [{ flags: 'R', seq: L + 1 }]);
});

test('TIME-WAIT: rcv in-window ACK that is not an exact duplicate -> snd ACK (FreeBSD tcp_twcheck)', () => {
  const b = timeWait();
  b.c.segmentArrives(seg({ seq: R + 3, ack: L + 2, flags: ACK }), 1100);
  expectSegs(b, [{ flags: '.', seq: L + 2, ack: R + 2 }]);
  b.c.segmentArrives(seg({ seq: R + 2, ack: L + 2, flags: ACK }), 1200);
  expectNothing(b);
  expectState(b, 'TIME-WAIT');
});

test('SYN-SENT: rcv SYN with data (simultaneous open) -> text kept until ESTABLISHED', () => {
  const b = make();
  b.c.openActive(0);
  b.sink.clear();
  b.c.segmentArrives(seg({ seq: R, flags: SYN | FIN, payload: 3 }), 100);
  expectState(b, 'SYN-RECEIVED');
  expectSegs(b, [{ flags: 'S.', seq: L, ack: R + 1 }]);
  assert.equal(b.c.readableBytes, 0);
  b.c.segmentArrives(seg({ seq: R + 4, ack: L + 1, flags: ACK }), 101);
  expectState(b, 'ESTABLISHED');
  assert.equal(b.c.readableBytes, 3);
  assert.equal(b.c.status().rcvNxt, R + 4, 'the FIN was not kept');
});
