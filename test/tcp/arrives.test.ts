// RFC 9293 3.10.7 SEGMENT ARRIVES: reset generation (3.5.2), the sequence acceptability test,
// RFC 5961 (blind reset, SYN and data injection), and the user-call errors of 3.10.1-3.10.6.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TcpError } from '../../src/tcp/types.js';
import {
  ACK, FIN, PSH, RST, SYN, LOCAL_ISS as L, REMOTE_ISS as R,
  established, expectNothing, expectSegs, expectState, make, seg, synReceived,
} from './helpers.js';

// ---- 3.10.7.1 CLOSED

test('CLOSED: rcv ACK -> snd RST <SEQ=SEG.ACK>', () => {
  const b = make();
  b.c.segmentArrives(seg({ seq: 77, ack: 4242, flags: ACK, payload: 10 }), 0);
  expectSegs(b, [{ flags: 'R', seq: 4242 }]);
  assert.deepEqual(b.sink.drops(), ['closed']);
});

test('CLOSED: rcv SYN (no ACK) -> snd RST,ACK <SEQ=0><ACK=SEG.SEQ+SEG.LEN>', () => {
  const b = make();
  b.c.segmentArrives(seg({ seq: 77, flags: SYN, payload: 10 }), 0);
  expectSegs(b, [{ flags: 'R.', seq: 0, ack: 77 + 11 }]);
});

test('CLOSED: rcv RST -> dropped silently', () => {
  const b = make();
  b.c.segmentArrives(seg({ seq: 77, flags: RST }), 0);
  expectNothing(b);
  expectState(b, 'CLOSED');
});

// ---- 3.10.7.2 LISTEN

test('LISTEN: rcv RST -> ignored', () => {
  const b = make();
  b.c.openPassive(0);
  b.c.segmentArrives(seg({ seq: 1, flags: RST }), 0);
  expectNothing(b);
  expectState(b, 'LISTEN');
});

test('LISTEN: rcv ACK -> snd RST <SEQ=SEG.ACK>, stay LISTEN', () => {
  const b = make();
  b.c.openPassive(0);
  b.c.segmentArrives(seg({ seq: 1, ack: 999, flags: ACK }), 0);
  expectSegs(b, [{ flags: 'R', seq: 999 }]);
  expectState(b, 'LISTEN');
  assert.deepEqual(b.sink.drops(), ['ack in LISTEN']);
});

test('LISTEN: rcv FIN (no SYN) -> dropped', () => {
  const b = make();
  b.c.openPassive(0);
  b.c.segmentArrives(seg({ seq: 1, flags: FIN }), 0);
  expectNothing(b);
  expectState(b, 'LISTEN');
});

// ---- 3.10.7.3 SYN-SENT

function synSent() {
  const b = make();
  b.c.openActive(0);
  b.sink.clear();
  return b;
}

test('SYN-SENT: rcv ACK below ISS -> snd RST <SEQ=SEG.ACK>', () => {
  const b = synSent();
  b.c.segmentArrives(seg({ seq: R, ack: L, flags: ACK }), 1);
  expectSegs(b, [{ flags: 'R', seq: L }]);
  expectState(b, 'SYN-SENT');
});

test('SYN-SENT: rcv SYN,ACK acking unsent data -> snd RST, stay SYN-SENT', () => {
  const b = synSent();
  b.c.segmentArrives(seg({ seq: R, ack: L + 5, flags: SYN | ACK }), 1);
  expectSegs(b, [{ flags: 'R', seq: L + 5 }]);
  expectState(b, 'SYN-SENT');
});

test('SYN-SENT: rcv bad ACK with RST -> dropped, no RST answer', () => {
  const b = synSent();
  b.c.segmentArrives(seg({ seq: R, ack: L + 5, flags: RST | ACK }), 1);
  expectNothing(b);
  expectState(b, 'SYN-SENT');
});

test('SYN-SENT: rcv RST,ACK of SYN -> CLOSED, ECONNREFUSED', () => {
  const b = synSent();
  b.c.segmentArrives(seg({ seq: 0, ack: L + 1, flags: RST | ACK }), 1);
  expectNothing(b);
  expectState(b, 'CLOSED');
  assert.equal(b.sink.ofType('error')[0].code, 'ECONNREFUSED');
});

test('SYN-SENT: rcv RST without ACK -> dropped (RFC 5961 3.2)', () => {
  const b = synSent();
  b.c.segmentArrives(seg({ seq: R, flags: RST }), 1);
  expectNothing(b);
  expectState(b, 'SYN-SENT');
});

test('SYN-SENT: rcv SYN,ACK with data -> ESTABLISHED, data delivered', () => {
  const b = synSent();
  b.c.segmentArrives(seg({ seq: R, ack: L + 1, flags: SYN | ACK | PSH, payload: 20 }), 1);
  expectState(b, 'ESTABLISHED');
  expectSegs(b, [{ flags: '.', seq: L + 1, ack: R + 21 }]);
  assert.equal(b.c.readableBytes, 20);
});

// ---- 3.10.7.4 first: sequence number acceptability (four cases)

test('ESTABLISHED: acceptability, zero-length segment, window > 0: in window accepted', () => {
  const b = established();
  b.c.segmentArrives(seg({ seq: R + 100, ack: L + 1, flags: ACK }), 1);
  expectNothing(b);
  assert.deepEqual(b.sink.drops(), []);
});

test('ESTABLISHED: acceptability, zero-length segment below RCV.NXT -> snd ACK, drop (its ACK field checked: old duplicate)', () => {
  const b = established();
  b.c.segmentArrives(seg({ seq: R, ack: L + 1, flags: ACK }), 1);
  expectSegs(b, [{ flags: '.', seq: L + 1, ack: R + 1 }]);
  assert.deepEqual(b.sink.drops(), ['old duplicate']);
});

test('ESTABLISHED: acceptability, data beyond window -> snd ACK, drop', () => {
  const b = established();
  const wnd = b.c.status().rcvWnd;
  b.c.segmentArrives(seg({ seq: R + 1 + wnd, ack: L + 1, flags: ACK, payload: 10 }), 1);
  expectSegs(b, [{ flags: '.', seq: L + 1, ack: R + 1 }]);
  assert.deepEqual(b.sink.drops(), ['out of window']);
  assert.equal(b.c.readableBytes, 0);
});

test('ESTABLISHED: acceptability, data overlapping RCV.NXT -> new part accepted', () => {
  const b = established();
  b.c.segmentArrives(seg({ seq: R - 4, ack: L + 1, flags: ACK, payload: 10 }), 1);
  expectSegs(b, [{ flags: '.', seq: L + 1, ack: R + 6 }]);
  assert.equal(b.c.readableBytes, 5);
});

function zeroWindow() {
  const b = established({ rcvBuf: 1000 });
  b.c.segmentArrives(seg({ seq: R + 1, ack: L + 1, flags: ACK, payload: 1000 }), 1);
  const out = b.sink.take();
  assert.equal(out[out.length - 1].window, 0);
  assert.equal(b.c.status().rcvWnd, 0);
  b.sink.clear();
  return b;
}

test('ESTABLISHED: zero window, zero-length segment at RCV.NXT accepted', () => {
  const b = zeroWindow();
  b.c.segmentArrives(seg({ seq: R + 1001, ack: L + 1, flags: ACK }), 2);
  expectNothing(b);
  assert.deepEqual(b.sink.drops(), []);
});

test('ESTABLISHED: zero window, zero-length segment not at RCV.NXT -> snd ACK, drop', () => {
  const b = zeroWindow();
  b.c.segmentArrives(seg({ seq: R + 1002, ack: L + 1, flags: ACK }), 2);
  expectSegs(b, [{ flags: '.', seq: L + 1, ack: R + 1001, window: 0 }]);
  assert.deepEqual(b.sink.drops(), ['out of window']);
});

test('ESTABLISHED: zero window, data at RCV.NXT: text dropped, its ACK processed', () => {
  const b = zeroWindow();
  b.c.send(new Uint8Array(10), 2);
  b.sink.clear();
  b.c.segmentArrives(seg({ seq: R + 1001, ack: L + 11, flags: ACK, payload: 1 }), 3);
  expectSegs(b, [{ flags: '.', seq: L + 11, ack: R + 1001, window: 0 }]);
  assert.equal(b.c.status().sndUna, L + 11, 'the ACK field was processed');
  assert.equal(b.c.readableBytes, 1000);
});

// ---- second: RST (RFC 5961 3)

test('ESTABLISHED: rcv RST exactly at RCV.NXT -> CLOSED (RFC 5961 3.2)', () => {
  const b = established();
  b.c.segmentArrives(seg({ seq: R + 1, flags: RST }), 1);
  expectState(b, 'CLOSED');
  expectNothing(b);
});

test('ESTABLISHED: rcv RST in window, not exact -> challenge ACK (RFC 5961 3.2)', () => {
  const b = established();
  b.c.segmentArrives(seg({ seq: R + 10, flags: RST }), 1);
  expectState(b, 'ESTABLISHED');
  expectSegs(b, [{ flags: '.', seq: L + 1, ack: R + 1 }]);
  assert.deepEqual(b.sink.ofType('challenge-ack'), [{ type: 'challenge-ack', suppressed: false }]);
});

test('ESTABLISHED: rcv RST out of window -> dropped silently', () => {
  const b = established();
  b.c.segmentArrives(seg({ seq: R - 10, flags: RST }), 1);
  expectState(b, 'ESTABLISHED');
  expectNothing(b);
  assert.deepEqual(b.sink.drops(), ['rst out of window']);
});

test('ESTABLISHED: challenge ACKs rate-limited per second (RFC 5961 7)', () => {
  const b = established({ challengeAckLimit: 2 });
  for (let i = 0; i < 3; i++) b.c.segmentArrives(seg({ seq: R + 10 + i, flags: RST }), 100 + i);
  expectSegs(b, [{ flags: '.', seq: L + 1, ack: R + 1 }, { flags: '.', seq: L + 1, ack: R + 1 }]);
  assert.deepEqual(b.sink.ofType('challenge-ack').map((e) => e.suppressed), [false, false, true]);
  // A second later the budget is back.
  b.c.segmentArrives(seg({ seq: R + 20, flags: RST }), 1100);
  expectSegs(b, [{ flags: '.', seq: L + 1, ack: R + 1 }]);
});

test('ESTABLISHED: rcv RST in window with rfc5961 off -> CLOSED (RFC 793)', () => {
  const b = established({ rfc5961: false });
  b.c.segmentArrives(seg({ seq: R + 10, flags: RST }), 1);
  expectState(b, 'CLOSED');
  expectNothing(b);
  assert.equal(b.sink.ofType('error')[0].code, 'ECONNRESET');
});

// ---- fourth: SYN in a synchronized state (RFC 5961 4)

test('ESTABLISHED: rcv SYN -> challenge ACK, stay ESTABLISHED (RFC 5961 4.2)', () => {
  const b = established();
  b.c.segmentArrives(seg({ seq: R + 50, flags: SYN }), 1);
  expectState(b, 'ESTABLISHED');
  expectSegs(b, [{ flags: '.', seq: L + 1, ack: R + 1 }]);
  assert.deepEqual(b.sink.drops(), ['syn in synchronized state']);
});

test('ESTABLISHED: rcv SYN in window with rfc5961 off -> snd RST,ACK, CLOSED (RFC 793)', () => {
  const b = established({ rfc5961: false });
  b.c.segmentArrives(seg({ seq: R + 50, flags: SYN }), 1);
  expectState(b, 'CLOSED');
  expectSegs(b, [{ flags: 'R.', seq: L + 1, ack: R + 1 }]);
});

test('SYN-RECEIVED: rcv retransmitted SYN -> snd SYN,ACK again', () => {
  const b = synReceived();
  b.c.segmentArrives(seg({ seq: R, flags: SYN }), 100);
  expectState(b, 'SYN-RECEIVED');
  expectSegs(b, [{ flags: 'S.', seq: L, ack: R + 1 }]);
});

// ---- fifth: ACK field

test('SYN-RECEIVED: rcv unacceptable ACK -> snd RST <SEQ=SEG.ACK>', () => {
  const b = synReceived();
  b.c.segmentArrives(seg({ seq: R + 1, ack: L + 50, flags: ACK }), 1);
  expectSegs(b, [{ flags: 'R', seq: L + 50 }]);
  expectState(b, 'SYN-RECEIVED');
});

test('ESTABLISHED: rcv ACK outside [SND.UNA - MAX.SND.WND, SND.NXT] -> snd ACK, drop (RFC 5961 5.2)', () => {
  const b = established();
  b.c.segmentArrives(seg({ seq: R + 1, ack: L + 100, flags: ACK, payload: 10 }), 1);
  expectSegs(b, [{ flags: '.', seq: L + 1, ack: R + 1 }]);
  assert.equal(b.c.readableBytes, 0, 'the data is not accepted');
  assert.deepEqual(b.sink.drops(), ['ack out of range']);
  b.c.segmentArrives(seg({ seq: R + 1, ack: L - 70000, flags: ACK, payload: 10 }), 2);
  expectSegs(b, [{ flags: '.', seq: L + 1, ack: R + 1 }]);
});

test('ESTABLISHED: rcv old ACK within MAX.SND.WND -> accepted, data kept', () => {
  const b = established();
  b.c.segmentArrives(seg({ seq: R + 1, ack: L - 100, flags: ACK, payload: 10 }), 1);
  expectSegs(b, [{ flags: '.', seq: L + 1, ack: R + 11 }]);
  assert.equal(b.c.readableBytes, 10);
});

test('ESTABLISHED: rcv ACK of unsent data with rfc5961 off -> snd ACK, drop', () => {
  const b = established({ rfc5961: false });
  b.c.segmentArrives(seg({ seq: R + 1, ack: L + 100, flags: ACK, payload: 10 }), 1);
  expectSegs(b, [{ flags: '.', seq: L + 1, ack: R + 1 }]);
  assert.deepEqual(b.sink.drops(), ['ack of unsent data']);
});

test('ESTABLISHED: segment without ACK -> dropped', () => {
  const b = established();
  b.c.segmentArrives(seg({ seq: R + 1, flags: PSH, payload: 10 }), 1);
  expectNothing(b);
  assert.equal(b.c.readableBytes, 0);
  assert.deepEqual(b.sink.drops(), ['no ACK']);
});

// ---- user calls (3.10.1-3.10.6)

function throwsTcp(fn: () => unknown, code: string, message: string): void {
  assert.throws(fn, (e: unknown) => e instanceof TcpError && e.code === code && e.message === message);
}

test('user calls: errors with RFC 9293 wording', () => {
  const b = make();
  throwsTcp(() => b.c.send(new Uint8Array(1), 0), 'ENOTCONN', 'connection does not exist');
  throwsTcp(() => b.c.receive(10, 0), 'ENOTCONN', 'connection does not exist');
  throwsTcp(() => b.c.close(0), 'ENOTCONN', 'connection does not exist');
  throwsTcp(() => b.c.abort(0), 'ENOTCONN', 'connection does not exist');
  b.c.openPassive(0);
  throwsTcp(() => b.c.openPassive(0), 'EISCONN', 'connection already exists');
  const e = established();
  throwsTcp(() => e.c.openActive(0), 'EISCONN', 'connection already exists');
  e.c.close(0);
  throwsTcp(() => e.c.send(new Uint8Array(1), 0), 'EPIPE', 'connection closing');
  const u = make({}, 1);
  const bad = new (u.c.constructor as typeof import('../../src/tcp/connection.js').Connection)({
    config: u.c.config, local: { addr: '10.0.0.1', port: 1 }, remote: { addr: '', port: 0 }, sink: u.sink, iss: 1, now: 0,
  });
  throwsTcp(() => bad.openActive(0), 'EINVAL', 'foreign socket unspecified');
});

test('ESTABLISHED: RECEIVE returns data in order, null when empty', () => {
  const b = established();
  b.c.segmentArrives(seg({ seq: R + 1, ack: L + 1, flags: ACK, payload: 10 }), 1);
  const d = b.c.receive(4, 1)!;
  assert.deepEqual([...d], [0, 1, 2, 3]);
  assert.deepEqual([...b.c.receive(100, 1)!], [4, 5, 6, 7, 8, 9]);
  assert.equal(b.c.receive(100, 1), null);
});

test('SYN-SENT: hard ICMP error -> CLOSED with its code; soft error in ESTABLISHED ignored', () => {
  const b = make();
  b.c.openActive(0);
  b.c.icmpError('EHOSTUNREACH', true, 1);
  expectState(b, 'CLOSED');
  assert.equal(b.sink.ofType('error')[0].code, 'EHOSTUNREACH');
  const e = established();
  e.c.icmpError('EHOSTUNREACH', true, 1);
  expectState(e, 'ESTABLISHED');
});
