// Behaviour chosen where RFC 9293 leaves room, found by running other implementers' packetdrill
// scripts (docs/conformance.md): each choice is RFC-compliant and general, not per script.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ACK, FIN, RST, SYN, LOCAL_ISS as L, REMOTE_ISS as R, bytes,
  established, establishedActive, expectNothing, expectSegs, expectState, make, seg,
} from './helpers.js';
import { RttEstimator } from '../../src/tcp/rtt.js';

// ---- receive buffer rounded to whole segments; acceptability against the buffer space

const UNSCALED = { rcvBuf: 65536, mss: 1460, rfc5961: false };

test('ESTABLISHED (active open): rcv RST at RCV.NXT+65699 (inside the buffer rounded to 45*1460, beyond the 65535 advertised) -> CLOSED, ECONNRESET', () => {
  const b = establishedActive(UNSCALED, { mss: 1460 });
  assert.equal(b.c.status().rcvWnd <= 65535, true);
  b.c.segmentArrives(seg({ seq: R + 1 + 65699, flags: RST }), 1);
  expectNothing(b);
  expectState(b, 'CLOSED');
  assert.equal(b.sink.ofType('error')[0]?.code, 'ECONNRESET');
});

test('ESTABLISHED (active open): rcv RST at RCV.NXT+65700 (past the rounded buffer) -> dropped, stays ESTABLISHED', () => {
  const b = establishedActive(UNSCALED, { mss: 1460 });
  b.c.segmentArrives(seg({ seq: R + 1 + 65700, flags: RST }), 1);
  expectNothing(b);
  expectState(b, 'ESTABLISHED');
  assert.deepEqual(b.sink.drops(), ['rst out of window']);
});

test('ESTABLISHED (active open): rcv data beyond the advertised edge but inside the rounded buffer -> accepted', () => {
  const b = establishedActive(UNSCALED, { mss: 1460 });
  const wnd = b.c.status().rcvWnd;
  b.c.segmentArrives(seg({ seq: R + 1, ack: L + 1, flags: ACK, payload: 10 }), 1);
  b.sink.clear();
  // A segment ending just past the advertised right edge (RCV.NXT+RCV.WND) is not trimmed.
  b.c.segmentArrives(seg({ seq: R + 11, ack: L + 1, flags: ACK, payload: wnd - 10 + 100 }), 2);
  assert.equal(b.c.readableBytes, wnd + 100);
});

test('ESTABLISHED (passive open): rcv RST at RCV.NXT+65535 (past the advertised window) -> dropped', () => {
  const b = established(UNSCALED, { mss: 1460 });
  b.c.segmentArrives(seg({ seq: R + 1 + 65535, flags: RST }), 1);
  expectState(b, 'ESTABLISHED');
  assert.deepEqual(b.sink.drops(), ['rst out of window']);
});

// ---- simultaneous close: the ACK of the peer's FIN repeats our FIN

test('FIN-WAIT-1: rcv FIN (our FIN unacknowledged) -> CLOSING, snd FIN,ACK <SEQ=our FIN><ACK=RCV.NXT>', () => {
  const b = established();
  b.c.close(0);
  b.sink.clear();
  b.c.segmentArrives(seg({ seq: R + 1, ack: L + 1, flags: FIN | ACK }), 1);
  expectState(b, 'CLOSING');
  expectSegs(b, [{ flags: 'F.', seq: L + 1, ack: R + 2 }]);
  // The ACK of our FIN then ends CLOSING as usual.
  b.c.segmentArrives(seg({ seq: R + 2, ack: L + 2, flags: ACK }), 2);
  expectState(b, 'TIME-WAIT');
  expectNothing(b);
});

test('FIN-WAIT-1: rcv FIN with data still unacknowledged before our FIN -> CLOSING, plain ACK', () => {
  const b = established();
  b.c.send(bytes(100), 0);
  b.c.close(0);
  b.sink.clear();
  b.c.segmentArrives(seg({ seq: R + 1, ack: L + 1, flags: FIN | ACK }), 1);
  expectState(b, 'CLOSING');
  const out = b.sink.take();
  assert.equal(out.length, 1);
  assert.equal(out[0].flags, ACK);
  assert.equal(out[0].ack, R + 2);
});

test('CLOSE-WAIT (passive open): rcv RST at RCV.NXT+65534 (the FIN took one from the advertised window; the field could offer 65535) -> CLOSED', () => {
  const b = established(UNSCALED, { mss: 1460 });
  b.c.segmentArrives(seg({ seq: R + 1, ack: L + 1, flags: FIN | ACK }), 1);
  expectState(b, 'CLOSE-WAIT');
  assert.equal(b.c.status().rcvWnd, 65534);
  b.c.segmentArrives(seg({ seq: R + 2 + 65534, flags: RST }), 2);
  expectState(b, 'CLOSED');
});

// ---- RFC 793 (RFC 5961 off): only a SYN in the window resets

test('ESTABLISHED (RFC 5961 off): rcv SYN+FIN whose SYN lies just before RCV.NXT -> SYN trimmed as old, FIN processed, snd ACK (no RST)', () => {
  const b = established({ rfc5961: false });
  b.c.segmentArrives(seg({ seq: R, ack: L + 1, flags: SYN | FIN | ACK }), 1);
  expectState(b, 'CLOSE-WAIT');
  expectSegs(b, [{ flags: '.', seq: L + 1, ack: R + 2 }]);
});

test('ESTABLISHED (RFC 5961 off): rcv SYN at RCV.NXT -> snd RST,ACK, CLOSED (RFC 793)', () => {
  const b = established({ rfc5961: false });
  b.c.segmentArrives(seg({ seq: R + 1, flags: SYN }), 1);
  expectState(b, 'CLOSED');
  expectSegs(b, [{ flags: 'R.', seq: L + 1, ack: R + 1 }]);
});

// ---- RTO slop (FreeBSD rexmit_slop)

test('SYN-SENT: SYN retransmissions with rtoSlop 200 at 1 s, then +2.2 s (slop only once backed off)', () => {
  const b = make({ rtoSlop: 200, rtoInitial: 1000 });
  b.c.openActive(0);
  b.sink.clear();
  assert.equal(b.c.nextDeadline(), 1000);
  b.c.onTimer(1000);
  expectSegs(b, [{ flags: 'S', seq: L }]);
  assert.equal(b.c.nextDeadline(), 1000 + 2200);
});

test('RttEstimator: rtoSlop is added to a measured RTO, not to the initial one', () => {
  const r = new RttEstimator(30, 60_000, 1000, 200);
  assert.equal(r.rto, 1000);
  r.sample(100);
  assert.equal(r.rto, 100 + 200 + 200);
});

// ---- Linux quick-ACK mode at connection start

test('ESTABLISHED (quickAcks 16): rcv first data segment -> snd ACK at once (no delayed-ACK wait)', () => {
  const b = established({ delayedAck: 40, quickAcks: 16 });
  b.c.segmentArrives(seg({ seq: R + 1, ack: L + 1, flags: ACK, payload: 100 }), 1);
  expectSegs(b, [{ flags: '.', seq: L + 1, ack: R + 101 }]);
});

test('ESTABLISHED (quickAcks off): rcv first data segment -> ACK delayed', () => {
  const b = established({ delayedAck: 40 });
  b.c.segmentArrives(seg({ seq: R + 1, ack: L + 1, flags: ACK, payload: 100 }), 1);
  expectNothing(b);
  assert.equal(b.c.nextDeadline(), 41);
});

test('ESTABLISHED (quickAcks 16): data sent soon after data arrived (interactive) -> quick-ACK mode ends, later data ACK delayed', () => {
  const b = established({ delayedAck: 40, quickAcks: 16 });
  b.c.segmentArrives(seg({ seq: R + 1, ack: L + 1, flags: ACK, payload: 100 }), 1);
  b.c.send(bytes(10), 2);
  b.sink.clear();
  b.c.segmentArrives(seg({ seq: R + 101, ack: L + 11, flags: ACK, payload: 100 }), 100);
  expectNothing(b);
});

// ---- RFC 9293 Appendix A.2: the ACK field of an old duplicate is processed (BSD's trimming)

test('LAST-ACK: rcv ACK of our FIN on a segment left of RCV.NXT (old duplicate) -> CLOSED, nothing sent', () => {
  const b = established();
  b.c.segmentArrives(seg({ seq: R + 1, ack: L + 1, flags: FIN | ACK }), 1);
  b.c.close(2);
  expectState(b, 'LAST-ACK');
  b.sink.clear();
  // The peer's FIN took R+1; this ACK reuses R+1, one left of RCV.NXT.
  b.c.segmentArrives(seg({ seq: R + 1, ack: L + 2, flags: ACK }), 3);
  expectState(b, 'CLOSED');
  expectNothing(b);
});

test('ESTABLISHED: rcv retransmitted old data whose ACK covers new data -> SND.UNA advances, text not delivered twice, snd ACK', () => {
  const b = established();
  b.c.segmentArrives(seg({ seq: R + 1, ack: L + 1, flags: ACK, payload: 100 }), 1);
  assert.equal(b.c.send(bytes(300), 2), 300);
  b.c.segmentArrives(seg({ seq: R + 1, ack: L + 1, flags: ACK, payload: 100 }), 3); // our ACK was lost
  b.sink.clear();
  // Retransmitted again, now carrying an ACK of our 300 bytes.
  b.c.segmentArrives(seg({ seq: R + 1, ack: L + 301, flags: ACK, payload: 100 }), 4);
  assert.equal(b.c.status().sndUna, L + 301);
  assert.equal(b.c.readableBytes, 100);
  const out = b.sink.segs;
  assert.equal(out.at(-1)?.ack, R + 101);
  assert.deepEqual(b.sink.drops(), ['old duplicate']);
});

test('ESTABLISHED: rcv pure ACK left of RCV.NXT with SEG.ACK = SND.UNA and data in flight -> not a duplicate ACK', () => {
  const b = established();
  b.c.segmentArrives(seg({ seq: R + 1, ack: L + 1, flags: ACK, payload: 100 }), 1);
  b.c.send(bytes(5000), 2);
  b.sink.clear();
  for (let i = 0; i < 3; i++) b.c.segmentArrives(seg({ seq: R + 1, ack: L + 1, flags: ACK }), 3 + i);
  // Three of them would be a fast retransmit if they counted; only ACKs go out.
  for (const s of b.sink.segs) assert.equal(s.payload.length, 0);
});

test('ESTABLISHED: rcv ACK of new data on a segment more than two buffers left of RCV.NXT -> not processed, snd ACK', () => {
  const b = established({ rcvBuf: 65536 });
  b.c.send(bytes(300), 1);
  b.sink.clear();
  b.c.segmentArrives(seg({ seq: R + 1 - 200000, ack: L + 301, flags: ACK }), 2);
  assert.equal(b.c.status().sndUna, L + 1);
  assert.deepEqual(b.sink.drops(), ['out of window']);
});

test('ESTABLISHED (RFC 5961): rcv old duplicate acking data never sent -> challenge ACK, SND.UNA unchanged', () => {
  const b = established({ rfc5961: true });
  b.c.segmentArrives(seg({ seq: R + 1, ack: L + 1, flags: ACK, payload: 10 }), 1);
  b.sink.clear();
  b.c.segmentArrives(seg({ seq: R + 1, ack: L + 5000, flags: ACK }), 2);
  expectSegs(b, [{ flags: '.', seq: L + 1, ack: R + 11 }]);
  assert.equal(b.c.status().sndUna, L + 1);
  assert.deepEqual(b.sink.drops(), ['ack out of range']);
});
