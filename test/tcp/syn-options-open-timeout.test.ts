// SYN options under user control (TCP_NOOPT, rexmit_drop_options) and the application's limit
// on the open attempt (RFC 9293 3.8.3; FreeBSD TCP_KEEPINIT).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ACK, SYN, LOCAL_ISS as L, REMOTE_ISS as R, expectNothing, expectSegs, expectState, make, seg } from './helpers.js';
import type { ConnectionConfig } from '../../src/tcp/types.js';
import type { Segment } from '../../src/wire/types.js';

const EXT: Partial<ConnectionConfig> = { windowScaling: true, timestamps: true, sack: true };
const optionKinds = (s: Segment): string[] => Object.keys(s.options).sort();

// ---- openTimeout (RFC 9293 3.8.3: "give up on the open attempt")

test('SYN-SENT: openTimeout 5 s ends the open with ETIMEDOUT before synRetries would', () => {
  const b = make({ rtoInitial: 1000, synRetries: 6, openTimeout: 5000 });
  b.c.openActive(0);
  for (const t of [1000, 3000]) b.c.onTimer(t);
  assert.equal(b.sink.take().length, 3, 'SYN and two retransmissions');
  assert.equal(b.c.nextDeadline(), 5000, 'the open timeout comes before the next RTO (7 s)');
  b.c.onTimer(4999);
  expectState(b, 'SYN-SENT');
  b.c.onTimer(5000);
  expectNothing(b);
  expectState(b, 'CLOSED');
  assert.deepEqual(b.sink.ofType('error').map((e) => e.code), ['ETIMEDOUT']);
});

test('SYN-SENT: openTimeout does not fire once ESTABLISHED', () => {
  const b = make({ rtoInitial: 1000, openTimeout: 5000 });
  b.c.openActive(0);
  b.c.segmentArrives(seg({ seq: R, ack: L + 1, flags: SYN | ACK }), 100);
  expectState(b, 'ESTABLISHED');
  assert.equal(b.c.nextDeadline(), Infinity, 'the open timeout was cancelled');
  b.c.onTimer(6000);
  expectState(b, 'ESTABLISHED');
});

test('SYN-RECEIVED (passive): openTimeout returns the connection to LISTEN', () => {
  const b = make({ rtoInitial: 1000, openTimeout: 2500 });
  b.c.openPassive(0);
  b.c.segmentArrives(seg({ seq: R, flags: SYN }), 0);
  expectState(b, 'SYN-RECEIVED');
  b.c.onTimer(1000);
  b.c.onTimer(2500);
  expectState(b, 'LISTEN');
  assert.deepEqual(b.sink.ofType('error'), []);
});

test('openTimeout absent: synRetries alone governs (no open-timeout timer)', () => {
  const b = make({ rtoInitial: 1000 });
  b.c.openActive(0);
  assert.equal(b.sink.ofType('timer').some((e) => e.timer === 'open-timeout'), false);
});

// ---- noOptions (TCP_NOOPT)

test('noOptions: the SYN carries no options at all (not even MSS)', () => {
  const b = make({ ...EXT, noOptions: true });
  b.c.openActive(0);
  const [s] = expectSegs(b, [{ flags: 'S', seq: L }]);
  assert.deepEqual(optionKinds(s), []);
});

test('noOptions: extensions a SYN,ACK offers anyway are not used', () => {
  const b = make({ ...EXT, noOptions: true });
  b.c.openActive(0);
  b.sink.clear();
  b.c.segmentArrives(seg({ seq: R, ack: L + 1, flags: SYN | ACK, options: { mss: 1000, wscale: 7, sackPermitted: true, timestamp: { val: 5, ecr: 0 } } }), 1);
  expectState(b, 'ESTABLISHED');
  const [a] = expectSegs(b, [{ flags: '.', seq: L + 1, ack: R + 1 }]);
  assert.deepEqual(optionKinds(a), [], 'no timestamp on the ACK');
  b.c.send(new Uint8Array(1500), 2);
  assert.deepEqual(b.sink.take().map((x) => x.payload.length), [1000, 500], 'the peer MSS still applies');
});

test('noOptions: a passive open answers with a SYN,ACK without options', () => {
  const b = make({ ...EXT, noOptions: true });
  b.c.openPassive(0);
  b.c.segmentArrives(seg({ seq: R, flags: SYN, options: { mss: 1460, sackPermitted: true, timestamp: { val: 5, ecr: 0 }, wscale: 6 } }), 0);
  const [s] = expectSegs(b, [{ flags: 'S.', seq: L, ack: R + 1 }]);
  assert.deepEqual(optionKinds(s), []);
});

test('without noOptions the SYN offers MSS, SACK, timestamps and window scaling', () => {
  const b = make(EXT);
  b.c.openActive(0);
  const [s] = expectSegs(b, [{ flags: 'S', seq: L }]);
  assert.deepEqual(optionKinds(s), ['mss', 'sackPermitted', 'timestamp', 'wscale']);
});

// ---- synRtxDropOptions (FreeBSD rexmit_drop_options=1: from the third retransmission)

test('synRtxDropOptions 3: SYN and the first two retransmissions keep their options, the third and later carry only MSS', () => {
  const b = make({ ...EXT, rtoInitial: 1000, synRetries: 6, synRtxDropOptions: 3 });
  b.c.openActive(0);
  const kinds: string[][] = [optionKinds(b.sink.take()[0])];
  for (let i = 0; i < 4; i++) {
    b.c.onTimer(b.c.nextDeadline());
    kinds.push(optionKinds(b.sink.take()[0]));
  }
  const full = ['mss', 'sackPermitted', 'timestamp', 'wscale'];
  assert.deepEqual(kinds, [full, full, full, ['mss'], ['mss']]);
  // The SYN,ACK's extensions are then not used (we no longer offered them).
  b.c.segmentArrives(seg({ seq: R, ack: L + 1, flags: SYN | ACK, options: { mss: 1460, sackPermitted: true, timestamp: { val: 5, ecr: 0 }, wscale: 7 } }), 20_000);
  expectState(b, 'ESTABLISHED');
  const [a] = expectSegs(b, [{ flags: '.', seq: L + 1, ack: R + 1 }]);
  assert.deepEqual(optionKinds(a), []);
});

test('synRtxDropOptions absent: every SYN retransmission keeps its options', () => {
  const b = make({ ...EXT, rtoInitial: 1000, synRetries: 6 });
  b.c.openActive(0);
  b.sink.take();
  for (let i = 0; i < 4; i++) {
    b.c.onTimer(b.c.nextDeadline());
    assert.deepEqual(optionKinds(b.sink.take()[0]), ['mss', 'sackPermitted', 'timestamp', 'wscale']);
  }
  void ACK;
});
