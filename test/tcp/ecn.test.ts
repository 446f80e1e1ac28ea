// RFC 3168 6.1: classic ECN in TCP. Negotiation (6.1.1), ECT only on new data (6.1.4-6.1.6),
// the receiver's ECE latch until CWR (6.1.3), the sender's reduction once per window and CWR on
// the next new data segment (6.1.2).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CWR, ECE, ECN_CE, ECN_ECT0, ECN_NOT_ECT, flagString } from '../../src/wire/types.js';
import type { ConnectionConfig } from '../../src/tcp/types.js';
import { ACK, LOCAL_ISS as L, PSH, REMOTE_ISS as R, SYN, expectSegs, make, seg, type Bench } from './helpers.js';

const PEER = { mss: 1000 };

/** LISTEN, then the peer's SYN with `synFlags` (ECE and/or CWR besides SYN). */
function synReceived(cfg: Partial<ConnectionConfig>, synFlags: number): Bench {
  const b = make(cfg);
  b.c.openPassive(0);
  b.c.segmentArrives(seg({ seq: R, flags: SYN | synFlags, options: PEER }), 0);
  return b;
}

/** ESTABLISHED with ECN negotiated (passive open, ECN-setup SYN). */
function ecnEstablished(cfg: Partial<ConnectionConfig> = {}): Bench {
  const b = synReceived(cfg, ECE | CWR);
  b.c.segmentArrives(seg({ seq: R + 1, ack: L + 1, flags: ACK }), 0);
  assert.equal(b.c.state, 'ESTABLISHED');
  assert.equal(b.c.status().ecn, true);
  b.sink.clear();
  return b;
}

/** ESTABLISHED via an active open: our SYN, then the peer's SYN,ACK with `synAckFlags`. */
function activeOpen(cfg: Partial<ConnectionConfig>, synAckFlags: number): Bench {
  const b = make(cfg);
  b.c.openActive(0);
  b.c.segmentArrives(seg({ seq: R, ack: L + 1, flags: SYN | ACK | synAckFlags, options: PEER }), 10);
  assert.equal(b.c.state, 'ESTABLISHED');
  return b;
}

const flags = (b: Bench): string[] => b.sink.take().map((s) => flagString(s.flags));
const data = (seq: number, n: number, extra = 0, ecn?: number) => ({ ...seg({ seq: R + 1 + seq, ack: L + 1, flags: ACK | PSH | extra, payload: n }), ecn });
const ackOf = (a: number, extra = 0) => seg({ seq: R + 1, ack: L + 1 + a, flags: ACK | extra });

// ---- negotiation (6.1.1)

test('LISTEN (ecn passive, the default): ECN-setup SYN -> ECN-setup SYN-ACK (ECE, not CWR), ECN on', () => {
  const b = synReceived({}, ECE | CWR);
  const [synAck] = expectSegs(b, [{ flags: 'SE.', seq: L, ack: R + 1 }]);
  assert.equal(synAck.ecn, undefined, 'a SYN-ACK is never ECT (6.1.1)');
  b.c.segmentArrives(seg({ seq: R + 1, ack: L + 1, flags: ACK }), 0);
  assert.equal(b.c.status().ecn, true);
});

test('LISTEN (ecn false): ECN-setup SYN -> plain SYN-ACK, ECN off', () => {
  const b = synReceived({ ecn: false }, ECE | CWR);
  expectSegs(b, [{ flags: 'S.', seq: L, ack: R + 1 }]);
  b.c.segmentArrives(seg({ seq: R + 1, ack: L + 1, flags: ACK }), 0);
  assert.equal(b.c.status().ecn, false);
});

test('LISTEN: SYN with ECE only, or plain SYN -> plain SYN-ACK (not an ECN-setup SYN)', () => {
  expectSegs(synReceived({ ecn: true }, ECE), [{ flags: 'S.', seq: L }]);
  expectSegs(synReceived({ ecn: true }, 0), [{ flags: 'S.', seq: L }]);
});

test('SYN-RECEIVED (ECN on): SYN-ACK retransmission keeps ECE', () => {
  const b = synReceived({}, ECE | CWR);
  b.sink.clear();
  b.c.onTimer(1000);
  expectSegs(b, [{ flags: 'SE.', seq: L }]);
});

test('SYN-RECEIVED (ECN on, ecnSynAckRetries 1): retransmission timeouts -> the first SYN-ACK retransmission keeps ECE, the second drops it and ECN is off (FreeBSD ecn.maxretries)', () => {
  const b = synReceived({ ecnSynAckRetries: 1 }, ECE | CWR);
  b.sink.clear();
  b.c.onTimer(1000);
  b.c.onTimer(3000);
  assert.deepEqual(flags(b), ['SE.', 'S.']);
  b.c.segmentArrives(seg({ seq: R + 1, ack: L + 1, flags: ACK }), 3100);
  assert.equal(b.c.state, 'ESTABLISHED');
  assert.equal(b.c.status().ecn, false);
});

test('SYN-RECEIVED (ECN on, ecnSynAckRetries 0): the first SYN-ACK retransmission is plain', () => {
  const b = synReceived({ ecnSynAckRetries: 0 }, ECE | CWR);
  b.c.onTimer(1000);
  assert.deepEqual(flags(b), ['SE.', 'S.']);
});

test('CLOSED (ecn true): OPEN -> ECN-setup SYN (ECE and CWR); ECN-setup SYN-ACK -> ECN on', () => {
  const b = make({ ecn: true });
  b.c.openActive(0);
  const [syn] = expectSegs(b, [{ flags: 'SEW', seq: L }]);
  assert.equal(syn.ecn, undefined, 'a SYN is never ECT (6.1.1)');
  b.c.segmentArrives(seg({ seq: R, ack: L + 1, flags: SYN | ACK | ECE, options: PEER }), 10);
  assert.equal(b.c.status().ecn, true);
  const [ack] = expectSegs(b, [{ flags: '.', seq: L + 1, ack: R + 1 }]);
  assert.equal(ack.ecn, ECN_NOT_ECT, 'a pure ACK is Not-ECT (6.1.4)');
});

test("CLOSED (ecn 'on'): the same as true", () => {
  const b = make({ ecn: 'on' });
  b.c.openActive(0);
  expectSegs(b, [{ flags: 'SEW', seq: L }]);
});

test('SYN-SENT (ecn true): SYN-ACK with ECE and CWR -> not ECN-setup, ECN off (6.1.1)', () => {
  assert.equal(activeOpen({ ecn: true }, ECE | CWR).c.status().ecn, false);
});

test('SYN-SENT (ecn true): plain SYN-ACK -> ECN off, data Not-ECT with the TOS as configured', () => {
  const b = activeOpen({ ecn: true }, 0);
  assert.equal(b.c.status().ecn, false);
  b.sink.clear();
  b.c.send(new Uint8Array(100), 20);
  const [d] = expectSegs(b, [{ flags: 'P.', seq: L + 1, len: 100 }]);
  assert.equal(d.ecn, undefined);
});

test('SYN-SENT (ecn passive): OPEN sends a plain SYN; a SYN-ACK with ECE does not turn ECN on', () => {
  const b = make({});
  b.c.openActive(0);
  expectSegs(b, [{ flags: 'S', seq: L }]);
  b.c.segmentArrives(seg({ seq: R, ack: L + 1, flags: SYN | ACK | ECE, options: PEER }), 10);
  assert.equal(b.c.status().ecn, false);
});

test('SYN-SENT (ecn true, ecnSynRetries 1): retransmission timeout -> the first retransmission asks again, the second is plain (6.1.1.1)', () => {
  const b = make({ ecn: true, ecnSynRetries: 1 });
  b.c.openActive(0);
  b.c.onTimer(1000);
  b.c.onTimer(3000);
  assert.deepEqual(flags(b), ['SEW', 'SEW', 'S']);
  // A SYN-ACK with ECE now answers a SYN that did not ask: ECN stays off.
  b.c.segmentArrives(seg({ seq: R, ack: L + 1, flags: SYN | ACK | ECE, options: PEER }), 3100);
  assert.equal(b.c.status().ecn, false);
});

test('SYN-SENT (ecn true, ecnSynRetries 0): retransmission timeout -> plain SYN (Linux tcp_ecn_fallback)', () => {
  const b = make({ ecn: true, ecnSynRetries: 0 });
  b.c.openActive(0);
  b.c.onTimer(1000);
  assert.deepEqual(flags(b), ['SEW', 'S']);
});

test('SYN-SENT (ecn true): simultaneous open with an ECN-setup SYN -> ECN-setup SYN-ACK', () => {
  const b = make({ ecn: true });
  b.c.openActive(0);
  b.sink.clear();
  b.c.segmentArrives(seg({ seq: R, flags: SYN | ECE | CWR, options: PEER }), 10);
  expectSegs(b, [{ flags: 'SE.', seq: L, ack: R + 1 }]);
  b.c.segmentArrives(seg({ seq: R, ack: L + 1, flags: SYN | ACK | ECE, options: PEER }), 20);
  assert.equal(b.c.state, 'ESTABLISHED');
  assert.equal(b.c.status().ecn, true);
});

// ---- ECT only on new data (6.1.4-6.1.6)

test('ESTABLISHED (ECN): new data is ECT(0); its retransmission after a timeout is Not-ECT (6.1.5)', () => {
  const b = ecnEstablished();
  b.c.send(new Uint8Array(500), 0);
  const [d] = expectSegs(b, [{ flags: 'P.', seq: L + 1, len: 500 }]);
  assert.equal(d.ecn, ECN_ECT0);
  b.c.onTimer(1000);
  const [r] = expectSegs(b, [{ flags: 'P.', seq: L + 1, len: 500 }]);
  assert.equal(r.ecn, ECN_NOT_ECT);
});

test('ESTABLISHED (ECN): data arrives -> the pure ACK is Not-ECT (6.1.4)', () => {
  const b = ecnEstablished();
  b.c.segmentArrives(data(0, 100), 0);
  const [a] = expectSegs(b, [{ flags: '.', seq: L + 1, ack: R + 101 }]);
  assert.equal(a.ecn, ECN_NOT_ECT);
});

test('ESTABLISHED (ECN): zero window, persist timeout -> the window probe is Not-ECT (6.1.6)', () => {
  const b = ecnEstablished();
  b.c.segmentArrives(seg({ seq: R + 1, ack: L + 1, flags: ACK, window: 0 }), 0);
  b.c.send(new Uint8Array(100), 0);
  expectSegs(b, []);
  b.c.onTimer(b.c.nextDeadline());
  const [p] = expectSegs(b, [{ flags: '.', seq: L + 1, len: 1 }]);
  assert.equal(p.ecn, ECN_NOT_ECT);
});

test('ESTABLISHED (ECN off): segments carry no ECN codepoint of their own', () => {
  const b = activeOpen({}, 0);
  b.sink.clear();
  b.c.send(new Uint8Array(100), 20);
  assert.equal(b.sink.take()[0].ecn, undefined);
});

// ---- receiver: ECE latch until CWR (6.1.3)

test('ESTABLISHED (ECN, delayed ACK): CE-marked data -> ACK at once with ECE; ECE stays on every ACK until CWR arrives', () => {
  const b = ecnEstablished({ delayedAck: 40 });
  b.c.segmentArrives(data(0, 100, 0, ECN_CE), 0);
  expectSegs(b, [{ flags: 'E.', seq: L + 1, ack: R + 101 }]);
  // Later data, not marked: still echoed.
  b.c.segmentArrives(data(100, 100, 0, ECN_ECT0), 1);
  b.c.segmentArrives(data(200, 100, 0, ECN_ECT0), 2);
  assert.deepEqual(flags(b), ['E.']);
  // Our own data carries ECE too while the echo is latched.
  b.c.send(new Uint8Array(10), 3);
  assert.deepEqual(flags(b), ['PE.']);
  // CWR ends it.
  b.c.segmentArrives(data(300, 100, CWR, ECN_ECT0), 4);
  b.c.segmentArrives(data(400, 100, 0, ECN_ECT0), 5);
  assert.deepEqual(flags(b), ['.']);
});

test('ESTABLISHED (ECN): CE on the segment that carries CWR -> ECE stays on (new congestion)', () => {
  const b = ecnEstablished();
  b.c.segmentArrives(data(0, 100, 0, ECN_CE), 0);
  b.c.segmentArrives(data(100, 100, CWR, ECN_CE), 1);
  assert.deepEqual(flags(b), ['E.', 'E.']);
});

test('ESTABLISHED (ECN off): CE-marked data -> plain ACK (no ECE)', () => {
  const b = activeOpen({}, 0);
  b.sink.clear();
  b.c.segmentArrives({ ...seg({ seq: R + 1, ack: L + 1, flags: ACK, payload: 100 }), ecn: ECN_CE }, 20);
  assert.deepEqual(flags(b), ['.']);
});

// ---- sender: one reduction per window, CWR once (6.1.2)

/** ECN, NewReno, 10 segments of 1000 in flight. */
function flight10(): Bench {
  const b = ecnEstablished();
  b.c.send(new Uint8Array(40000), 0);
  assert.equal(b.sink.take().length, 10);
  return b;
}

test('ESTABLISHED (ECN): ACK with ECE -> ssthresh and cwnd halved (FlightSize / 2), state CWR', () => {
  const b = flight10();
  b.c.segmentArrives(ackOf(1000, ECE), 10);
  const st = b.c.status();
  assert.equal(st.ssthresh, 5000);
  assert.equal(st.cwnd, 5000);
  assert.equal(st.caState, 'cwr');
  assert.equal(st.retransmits, 0);
});

test('ESTABLISHED (ECN): more ECEs in the same window -> no further reduction; ECE past it -> one more', () => {
  const b = flight10();
  b.c.segmentArrives(ackOf(1000, ECE), 10);
  const cwnd = b.c.status().cwnd;
  for (let k = 2; k <= 10; k++) b.c.segmentArrives(ackOf(k * 1000, ECE), 10 + k);
  // The window reduced for (up to SND.MAX at the reduction, 10000) is acknowledged now; the
  // ECEs on it did not reduce again (cwnd grew in congestion avoidance at most).
  assert.ok(b.c.status().cwnd >= cwnd, `cwnd ${b.c.status().cwnd} >= ${cwnd}`);
  assert.equal(b.c.status().ssthresh, 5000);
  b.sink.clear();
  // An ECE on an ACK of data sent after the reduction: new congestion.
  b.c.segmentArrives(ackOf(11000, ECE), 30);
  assert.ok(b.c.status().ssthresh < 5000, `ssthresh ${b.c.status().ssthresh}`);
});

test('ESTABLISHED (ECN): after an ECE reduction -> CWR on the first new data segment only', () => {
  const b = flight10();
  b.c.segmentArrives(ackOf(1000, ECE), 10);
  // cwnd is 5000 now: new data goes once the flight is below it.
  for (let k = 2; k <= 8; k++) b.c.segmentArrives(ackOf(k * 1000), 10 + k);
  const out = b.sink.take();
  assert.ok(out.length >= 1);
  assert.deepEqual(out.map((s) => flagString(s.flags)).filter((f) => f.includes('W')).length, 1, out.map((s) => flagString(s.flags)).join(' '));
  assert.ok(out[0].flags & CWR, 'the first new segment carries CWR');
  assert.equal(out[0].ecn, ECN_ECT0);
});

test('ESTABLISHED (ECN, fast recovery): ECE during recovery -> no further reduction, CWR still goes once', () => {
  const b = flight10();
  // Segment 1 lost: three duplicate ACKs start fast recovery.
  for (let k = 0; k < 3; k++) b.c.segmentArrives(ackOf(0), 10 + k);
  assert.equal(b.c.status().caState, 'recovery');
  const ss = b.c.status().ssthresh;
  b.c.segmentArrives(ackOf(0, ECE), 14);
  assert.equal(b.c.status().ssthresh, ss);
  assert.equal(b.c.status().caState, 'recovery');
});

// RFC 3168 6.1.2: "SHOULD NOT decrease ... ssthresh, if it has been decreased within the last
// round trip time": a loss in the window already reduced for an ECE is repaired, not reduced for.
for (const congestion of ['newreno', 'cubic'] as const) {
  test(`CWR (ECN, ${congestion}): three duplicate ACKs for data sent before the ECE reduction -> fast retransmit, no second reduction`, () => {
    const b = ecnEstablished({ congestion });
    b.c.send(new Uint8Array(40000), 0);
    b.sink.clear();
    b.c.segmentArrives(ackOf(1000, ECE), 10);
    const { ssthresh, cwnd } = b.c.status();
    assert.equal(b.c.status().caState, 'cwr');
    b.sink.clear();
    // Segment 2 (sent before the reduction) lost: three duplicate ACKs.
    for (let k = 0; k < 3; k++) b.c.segmentArrives(ackOf(1000), 11 + k);
    assert.equal(b.c.status().caState, 'recovery');
    assert.ok(b.sink.take().some((s) => s.seq === L + 1001), 'the lost segment is retransmitted');
    assert.equal(b.c.status().ssthresh, ssthresh);
    assert.ok(b.c.status().cwnd >= cwnd - 1000, `cwnd ${b.c.status().cwnd} vs ${cwnd}`);
  });
}

test('CWR (ECN): loss of data sent after the ECE reduction -> reduced again (a new window)', () => {
  const b = flight10();
  b.c.segmentArrives(ackOf(1000, ECE), 10);
  // The reduced window (up to 10000) is acknowledged; new data goes out past it.
  for (let k = 2; k <= 10; k++) b.c.segmentArrives(ackOf(k * 1000), 10 + k);
  const ss = b.c.status().ssthresh;
  for (let k = 0; k < 3; k++) b.c.segmentArrives(ackOf(10000), 30 + k);
  assert.equal(b.c.status().caState, 'recovery');
  assert.ok(b.c.status().ssthresh < ss, `ssthresh ${b.c.status().ssthresh} < ${ss}`);
});

test('ESTABLISHED (ECN off): ACK with ECE -> ignored', () => {
  const b = activeOpen({}, 0);
  b.c.send(new Uint8Array(10000), 20);
  const cwnd = b.c.status().cwnd;
  b.c.segmentArrives(seg({ seq: R + 1, ack: L + 1001, flags: ACK | ECE }), 30);
  assert.ok(b.c.status().cwnd >= cwnd);
  assert.notEqual(b.c.status().caState, 'cwr');
});
