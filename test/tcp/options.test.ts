// Options: MSS (RFC 9293 3.7.1), window scaling, timestamps, RTTM and PAWS (RFC 7323),
// SACK (RFC 2018) and D-SACK (RFC 2883).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_CONFIG } from '../../src/tcp/types.js';
import { Connection } from '../../src/tcp/connection.js';
import {
  ACK, SYN, LOCAL_ISS as L, REMOTE_ISS as R,
  established, expectNothing, expectSegs, make, seg,
} from './helpers.js';

const ALL = { timestamps: true, sack: true, windowScaling: true, rcvBuf: 256 * 1024 };

test('CLOSED: user OPEN active: our SYN carries mss, sackOK, TS, wscale in Linux order', () => {
  const b = make(ALL);
  b.c.openActive(1234);
  const [s] = expectSegs(b, [{ flags: 'S', seq: L }]);
  assert.deepEqual(Object.keys(s.options), ['mss', 'sackPermitted', 'timestamp', 'wscale']);
  assert.deepEqual(s.options, { mss: 1460, sackPermitted: true, timestamp: { val: 1234, ecr: 0 }, wscale: 3 });
  assert.equal(s.window, 65535, 'the window in a SYN is not scaled');
});

test('CLOSED: user OPEN active with options switched off: only MSS', () => {
  const b = make({ timestamps: false, sack: false, windowScaling: false });
  b.c.openActive(0);
  const [s] = expectSegs(b, [{ flags: 'S', seq: L }]);
  assert.deepEqual(s.options, { mss: 1460 });
});

test('LISTEN: rcv SYN without options -> SYN,ACK offers only MSS; peer MSS defaults to 536', () => {
  const b = make(ALL);
  b.c.openPassive(0);
  b.c.segmentArrives(seg({ seq: R, flags: SYN }), 0);
  const [s] = expectSegs(b, [{ flags: 'S.', seq: L, ack: R + 1 }]);
  assert.deepEqual(s.options, { mss: 1460 });
  assert.equal(b.c.sndMss, 536);
  const b6 = make({ family: 6 });
  b6.c.openPassive(0);
  b6.c.segmentArrives(seg({ seq: R, flags: SYN }), 0);
  assert.equal(b6.c.sndMss, 1220);
});

test('ESTABLISHED: the peer MSS bounds our segments', () => {
  const b = established({}, { mss: 700 });
  b.c.send(new Uint8Array(1500), 0);
  expectSegs(b, [
    { flags: '.', seq: L + 1, len: 700 },
    { flags: '.', seq: L + 701, len: 700 },
    { flags: 'P.', seq: L + 1401, len: 100 },
  ]);
});

test('ESTABLISHED: pathMtu lowers the MSS and resends what was too big', () => {
  const b = established({}, { mss: 1460 });
  b.c.send(new Uint8Array(1460), 0);
  b.sink.clear();
  b.c.pathMtu(1040, 1);
  expectSegs(b, [{ flags: '.', seq: L + 1, len: 1000 }, { flags: 'P.', seq: L + 1001, len: 460 }]);
});

test('window scaling: negotiated shifts scale both directions (RFC 7323 2)', () => {
  const b = established(ALL, { mss: 1460, wscale: 2 });
  // Incoming windows are scaled by the peer's shift.
  b.c.segmentArrives(seg({ seq: R + 1, ack: L + 1, flags: ACK, window: 1000 }), 1);
  assert.equal(b.c.status().sndWnd, 4000);
  // Our window field is scaled by our shift (3 for 256 KiB).
  b.c.segmentArrives(seg({ seq: R + 1, ack: L + 1, flags: ACK, payload: 10 }), 2);
  const [a] = expectSegs(b, [{ flags: '.', seq: L + 1, ack: R + 11 }]);
  assert.equal(a.window, Math.ceil((256 * 1024 - 10) / 8));
});

test('window scaling: not used unless both sides offer it', () => {
  const b = established(ALL, { mss: 1460 });
  b.c.segmentArrives(seg({ seq: R + 1, ack: L + 1, flags: ACK, window: 1000 }), 1);
  assert.equal(b.c.status().sndWnd, 1000);
  b.c.segmentArrives(seg({ seq: R + 1, ack: L + 1, flags: ACK, payload: 10 }), 2);
  const [a] = expectSegs(b, [{ flags: '.', seq: L + 1, ack: R + 11 }]);
  // Unscaled: at most 65535; the right edge holds still for 10 bytes (receiver SWS avoidance).
  assert.equal(a.window, 65535 - 10);
});

const TS = (val: number, ecr: number) => ({ timestamp: { val, ecr } });

test('timestamps: TSopt on every segment once negotiated; TS.Recent echoed', () => {
  const b = established(ALL, { mss: 1460, ...TS(500, 0) }, TS(501, 0));
  b.c.segmentArrives(seg({ seq: R + 1, ack: L + 1, flags: ACK, payload: 10, options: TS(600, 0) }), 50);
  const [a] = expectSegs(b, [{ flags: '.', seq: L + 1, ack: R + 11 }]);
  assert.deepEqual(a.options.timestamp, { val: 50, ecr: 600 });
  assert.equal(b.c.sndMss, 1460 - 12, 'TSopt space comes off the MSS');
});

test('timestamps: RTTM samples from TSecr (RFC 7323 4)', () => {
  const b = established(ALL, { mss: 1460, ...TS(500, 0) }, TS(501, 0));
  b.c.send(new Uint8Array(10), 1000);
  b.c.segmentArrives(seg({ seq: R + 1, ack: L + 11, flags: ACK, options: TS(502, 1000) }), 1080);
  assert.equal(b.c.status().srtt, 0.875 * 0 + 0.125 * 80);
});

test('timestamps: RTTM works on a retransmitted segment (no Karn ambiguity)', () => {
  const b = established(ALL, { mss: 1460, ...TS(500, 0) }, TS(501, 0));
  b.c.send(new Uint8Array(10), 1000);
  b.c.onTimer(b.c.nextDeadline()); // retransmitted at 1200, TSval 1200
  b.c.segmentArrives(seg({ seq: R + 1, ack: L + 11, flags: ACK, options: TS(502, 1200) }), 1230);
  assert.equal(b.c.status().srtt, 0.125 * 30);
});

test('PAWS: a segment with an old TSval -> snd ACK, drop (RFC 7323 5)', () => {
  const b = established(ALL, { mss: 1460, ...TS(500, 0) }, TS(501, 0));
  b.c.segmentArrives(seg({ seq: R + 1, ack: L + 1, flags: ACK, payload: 10, options: TS(400, 0) }), 10);
  const [a] = expectSegs(b, [{ flags: '.', seq: L + 1, ack: R + 1 }]);
  assert.deepEqual(a.options.timestamp, { val: 10, ecr: 501 });
  assert.equal(b.c.readableBytes, 0);
  assert.deepEqual(b.sink.drops(), ['paws']);
});

test('PAWS: TSval across the 2^32 wrap is newer', () => {
  const b = established(ALL, { mss: 1460, ...TS(0xfffffff0, 0) }, TS(0xfffffff0, 0));
  b.c.segmentArrives(seg({ seq: R + 1, ack: L + 1, flags: ACK, payload: 10, options: TS(5, 0) }), 10);
  assert.equal(b.c.readableBytes, 10);
});

test('PAWS: a RST with an old TSval is not dropped by PAWS', () => {
  const b = established(ALL, { mss: 1460, ...TS(500, 0) }, TS(501, 0));
  b.c.segmentArrives(seg({ seq: R + 1, flags: 0x04, options: TS(1, 0) }), 10);
  assert.equal(b.c.state, 'CLOSED');
});

const SACK_ON = { ...ALL, timestamps: false };

test('SACK: blocks for out-of-order data, most recent first (RFC 2018 4)', () => {
  const b = established(SACK_ON, { mss: 100, sackPermitted: true });
  b.c.segmentArrives(seg({ seq: R + 101, ack: L + 1, flags: ACK, payload: 100 }), 1);
  b.c.segmentArrives(seg({ seq: R + 301, ack: L + 1, flags: ACK, payload: 100 }), 2);
  b.c.segmentArrives(seg({ seq: R + 501, ack: L + 1, flags: ACK, payload: 100 }), 3);
  const out = expectSegs(b, [
    { flags: '.', seq: L + 1, ack: R + 1 },
    { flags: '.', seq: L + 1, ack: R + 1 },
    { flags: '.', seq: L + 1, ack: R + 1 },
  ]);
  assert.deepEqual(out[0].options.sack, [[R + 101, R + 201]]);
  assert.deepEqual(out[1].options.sack, [[R + 301, R + 401], [R + 101, R + 201]]);
  assert.deepEqual(out[2].options.sack, [[R + 501, R + 601], [R + 301, R + 401], [R + 101, R + 201]]);
  // A segment joining two blocks makes one block, reported first.
  b.c.segmentArrives(seg({ seq: R + 201, ack: L + 1, flags: ACK, payload: 100 }), 4);
  const [d] = expectSegs(b, [{ flags: '.', seq: L + 1, ack: R + 1 }]);
  assert.deepEqual(d.options.sack, [[R + 101, R + 401], [R + 501, R + 601]]);
});

test('SACK: at most 3 blocks beside timestamps, 4 without', () => {
  const b = established(SACK_ON, { mss: 100, sackPermitted: true });
  for (let i = 0; i < 6; i++) b.c.segmentArrives(seg({ seq: R + 101 + 200 * i, ack: L + 1, flags: ACK, payload: 100 }), i);
  const out = b.sink.take();
  assert.equal(out[5].options.sack!.length, 4);
  const t = established(ALL, { mss: 100, sackPermitted: true, ...TS(1, 0) }, TS(1, 0));
  for (let i = 0; i < 6; i++) t.c.segmentArrives(seg({ seq: R + 101 + 200 * i, ack: L + 1, flags: ACK, payload: 100, options: TS(2, 0) }), i);
  const o2 = t.sink.take();
  assert.equal(o2[5].options.sack!.length, 3);
});

test('D-SACK: a duplicate segment is reported in the first block (RFC 2883)', () => {
  const b = established(SACK_ON, { mss: 100, sackPermitted: true });
  b.c.segmentArrives(seg({ seq: R + 1, ack: L + 1, flags: ACK, payload: 100 }), 1);
  b.sink.clear();
  b.c.segmentArrives(seg({ seq: R + 1, ack: L + 1, flags: ACK, payload: 100 }), 2);
  const [a] = expectSegs(b, [{ flags: '.', seq: L + 1, ack: R + 101 }]);
  assert.deepEqual(a.options.sack, [[R + 1, R + 101]]);
  // Out-of-order duplicate: D-SACK block, then the SACK block containing it.
  b.c.segmentArrives(seg({ seq: R + 201, ack: L + 1, flags: ACK, payload: 100 }), 3);
  b.c.segmentArrives(seg({ seq: R + 201, ack: L + 1, flags: ACK, payload: 100 }), 4);
  const out = b.sink.take();
  assert.deepEqual(out[1].options.sack, [[R + 201, R + 301], [R + 201, R + 301]]);
});

test('SACK: not used unless negotiated', () => {
  const b = established(SACK_ON, { mss: 100 });
  b.c.segmentArrives(seg({ seq: R + 101, ack: L + 1, flags: ACK, payload: 100 }), 1);
  const [a] = expectSegs(b, [{ flags: '.', seq: L + 1, ack: R + 1 }]);
  assert.equal(a.options.sack, undefined);
});

test('DEFAULT_CONFIG: a SYN from Linux negotiates everything', () => {
  const b = make({ ...DEFAULT_CONFIG });
  b.c.openPassive(0);
  b.c.segmentArrives(seg({ seq: R, flags: SYN, options: { mss: 1460, sackPermitted: true, timestamp: { val: 7, ecr: 0 }, wscale: 7 } }), 3);
  const [s] = expectSegs(b, [{ flags: 'S.', seq: L, ack: R + 1 }]);
  assert.deepEqual(s.options, { mss: 1460, sackPermitted: true, timestamp: { val: 3, ecr: 7 }, wscale: 3 });
  expectNothing(b);
});

test('timestamps: tsOffset shifts our TSval clock (RFC 7323 7.1)', () => {
  const sink = new (make().sink.constructor as new () => ReturnType<typeof make>['sink'])();
  const c = new Connection({ config: { ...make().c.config, timestamps: true }, local: { addr: 'a', port: 1 }, remote: { addr: 'b', port: 2 }, sink, iss: 1, now: 0, tsOffset: 1_000_000 });
  c.openActive(5);
  assert.deepEqual(sink.segs[0].options.timestamp, { val: 1_000_005, ecr: 0 });
});
