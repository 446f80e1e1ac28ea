// The effective send MSS leaves room for the options each segment carries (Linux
// tcp_current_mss; RFC 6691): timestamps always once negotiated, SACK blocks while we hold
// out-of-order data. A full-sized segment never exceeds the path MTU.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildTcpPacket } from '../../src/wire/packet.js';
import type { SegmentOptions } from '../../src/wire/types.js';
import { ACK, LOCAL_ISS as L, REMOTE_ISS as R, established, seg } from './helpers.js';

const A4 = new Uint8Array([10, 0, 0, 1]);
const B4 = new Uint8Array([10, 0, 0, 2]);
const wire = (s: Parameters<typeof buildTcpPacket>[2]): number => buildTcpPacket(A4, B4, s).length;

function bench(ts: boolean) {
  const tsOpt = (v: number): SegmentOptions => (ts ? { timestamp: { val: v, ecr: 1 } } : {});
  const b = established(
    { timestamps: ts, sack: true, windowScaling: true, rcvBuf: 256 * 1024, sndBuf: 256 * 1024, mss: 1460 },
    { mss: 1460, sackPermitted: true, wscale: 7, ...(ts ? { timestamp: { val: 1, ecr: 0 } } : {}) },
    tsOpt(1),
  );
  return { b, tsOpt };
}

for (const ts of [true, false]) {
  test(`ESTABLISHED: user SEND while holding out-of-order data (${ts ? 'TS + 3' : '4'} SACK blocks) -> full segments fit a 1500-byte MTU`, () => {
    const { b, tsOpt } = bench(ts);
    // Five out-of-order ranges from the peer: every segment we send carries the most blocks.
    for (let i = 0; i < 5; i++) {
      b.c.segmentArrives(seg({ seq: R + 1 + 1000 + 200 * i, ack: L + 1, flags: ACK, window: 4000, payload: 100, options: tsOpt(2) }), 1);
    }
    b.sink.clear();
    b.c.send(new Uint8Array(20_000), 2);
    const data = b.sink.take().filter((s) => s.payload.length > 0);
    assert.ok(data.length >= 10, `${data.length} data segments`);
    const blocks = ts ? 3 : 4;
    const optBytes = (ts ? 12 : 0) + 4 + 8 * blocks;
    for (const s of data) {
      assert.equal(s.options.sack?.length, blocks);
      assert.ok(wire(s) <= 1500, `segment of ${s.payload.length} bytes is ${wire(s)} on the wire`);
    }
    // Full-sized, not needlessly small: the payload is 1460 less the options.
    assert.equal(data[0].payload.length, 1460 - optBytes);
    assert.equal(wire(data[0]), 1500);
  });
}

test('ESTABLISHED: SACK blocks gone (hole filled) -> segments grow back to Eff.snd.MSS', () => {
  const { b, tsOpt } = bench(true);
  b.c.segmentArrives(seg({ seq: R + 101, ack: L + 1, flags: ACK, window: 4000, payload: 100, options: tsOpt(2) }), 1);
  b.sink.clear();
  b.c.send(new Uint8Array(3000), 2);
  let data = b.sink.take().filter((s) => s.payload.length > 0);
  assert.equal(data[0].payload.length, 1448 - 12);
  assert.equal(wire(data[0]), 1500);
  // The hole fills: no more blocks, so the next full segment is 1448 again.
  b.c.segmentArrives(seg({ seq: R + 1, ack: L + 1 + 3000, flags: ACK, window: 4000, payload: 100, options: tsOpt(3) }), 3);
  b.sink.clear();
  b.c.send(new Uint8Array(3000), 4);
  data = b.sink.take().filter((s) => s.payload.length > 0);
  assert.equal(data[0].options.sack, undefined);
  assert.equal(data[0].payload.length, 1448);
  assert.equal(wire(data[0]), 1500);
});

test('ESTABLISHED: rcv 3 duplicate ACKs while holding out-of-order data -> the fast retransmission fits the MTU', () => {
  const { b, tsOpt } = bench(true);
  b.c.send(new Uint8Array(14_480), 1);
  b.sink.clear();
  // Peer data out of order (we owe SACK blocks), then SACKs from the peer marking our first segment lost.
  b.c.segmentArrives(seg({ seq: R + 1001, ack: L + 1, flags: ACK, window: 4000, payload: 100, options: tsOpt(2) }), 2);
  for (let i = 1; i <= 3; i++) {
    b.c.segmentArrives(seg({ seq: R + 1, ack: L + 1, flags: ACK, window: 4000, options: { ...tsOpt(3), sack: [[L + 1 + 1448, L + 1 + 1448 * (i + 1)]] } }), 3);
  }
  const rtx = b.sink.take().filter((s) => s.payload.length > 0 && s.seq === L + 1);
  assert.ok(rtx.length >= 1, 'fast retransmission sent');
  for (const s of rtx) assert.ok(wire(s) <= 1500, `retransmission is ${wire(s)} bytes on the wire`);
});
