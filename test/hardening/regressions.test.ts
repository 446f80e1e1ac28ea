// Minimal reproductions of the open problems in docs/security.md ("Problems found"), marked todo
// until src/tcp fixes them (then drop the todo).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Connection } from '../../src/tcp/connection.js';
import { DEFAULT_CONFIG } from '../../src/tcp/types.js';
import { ACK, SYN, type Segment } from '../../src/wire/types.js';
import { buildTcpPacket } from '../../src/wire/packet.js';

const L = { addr: '10.0.0.1', port: 80 };
const R = { addr: '10.0.0.2', port: 40000 };
const A4 = new Uint8Array([10, 0, 0, 1]);
const B4 = new Uint8Array([10, 0, 0, 2]);

function established(): { c: Connection; out: Segment[]; peerSeq: number } {
  const out: Segment[] = [];
  const c = new Connection({ config: { ...DEFAULT_CONFIG, mss: 1460, delayedAck: 0 }, local: L, remote: R, sink: { output: (s) => out.push(s), event: () => {} }, iss: 1000, now: 0 });
  c.openActive(0);
  const opts = { mss: 1460, sackPermitted: true, timestamp: { val: 1, ecr: 0 }, wscale: 7 };
  c.segmentArrives({ srcPort: R.port, dstPort: L.port, seq: 5000, ack: 1001, flags: SYN | ACK, window: 65535, urgent: 0, options: opts, payload: new Uint8Array(0) }, 1);
  out.length = 0;
  return { c, out, peerSeq: 5001 };
}

test('data segments carrying SACK blocks fit the MTU (1500: IP 20 + TCP header with options + data)', () => {
  const { c, out, peerSeq } = established();
  // The peer's data arrives out of order: we hold a range and owe SACK blocks.
  c.segmentArrives({ srcPort: R.port, dstPort: L.port, seq: peerSeq + 1000, ack: 1001, flags: ACK, window: 2000, urgent: 0, options: { timestamp: { val: 2, ecr: 1 } }, payload: new Uint8Array(100) }, 2);
  out.length = 0;
  c.send(new Uint8Array(20_000), 3);
  const data = out.filter((s) => s.payload.length > 0);
  assert.ok(data.length > 0);
  for (const s of data) {
    const pkt = buildTcpPacket(A4, B4, s);
    assert.ok(pkt.length <= 1500, `segment of ${s.payload.length} bytes with ${s.options.sack?.length ?? 0} SACK blocks is ${pkt.length} bytes on the wire`);
  }
});

test('out-of-window segments do not each draw an ACK (rate limited like Linux tcp_invalid_ratelimit)', () => {
  const { c, out, peerSeq } = established();
  for (let i = 0; i < 1000; i++) {
    c.segmentArrives({ srcPort: R.port, dstPort: L.port, seq: (peerSeq + 10_000_000 + i * 1000) >>> 0, ack: 1001, flags: ACK, window: 2000, urgent: 0, options: {}, payload: new Uint8Array(10) }, 10 + i * 0.1);
  }
  assert.ok(out.length <= 10, `${out.length} ACKs for 1000 blind segments in 100 ms`);
});
