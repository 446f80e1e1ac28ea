// RACK-TLP (RFC 8985): time-based loss detection and the tail loss probe (config.rack, SACK on).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rack } from '../../src/tcp/rack.js';
import { ACK, LOCAL_ISS as L, REMOTE_ISS as R, type Bench, expectSegs, seg, synReceived } from './helpers.js';

const RACK = { sack: true, rack: true, sndBuf: 1 << 20 };
const PEER = { mss: 1000, sackPermitted: true };
const ack = (a: number, sack?: Array<[number, number]>) => seg({ seq: R + 1, ack: a, flags: ACK, options: sack ? { sack } : {} });

/** ESTABLISHED at t=100 (the handshake took 100 ms), then 2 segments sent at 100 and ACKed at
 *  200: SRTT and RACK's min_RTT are 100 ms. */
function warmed(cfg: object = {}): Bench {
  const b = synReceived({ ...RACK, ...cfg }, PEER);
  b.c.segmentArrives(seg({ seq: R + 1, ack: L + 1, flags: ACK }), 100);
  b.c.send(new Uint8Array(2000), 100);
  b.c.segmentArrives(ack(L + 2001), 200);
  b.sink.clear();
  return b;
}

test('ESTABLISHED (RACK): rcv SACK of a later segment -> after RTT + reo_wnd the hole is retransmitted, without three duplicate ACKs', () => {
  const b = warmed();
  b.c.send(new Uint8Array(4000), 200); // segments at L+2001 .. L+6001
  b.sink.clear();
  // One SACK for the second segment: not enough for RFC 6675 (DupThresh), RACK times it.
  b.c.segmentArrives(ack(L + 2001, [[L + 3001, L + 4001]]), 300);
  expectSegs(b, []);
  const d = b.c.nextDeadline();
  // sent at 200 + RACK.rtt 100 + reo_wnd min_RTT/4 = 25
  assert.equal(d, 325, 'reordering timer, well before the RTO');
  b.c.onTimer(d);
  expectSegs(b, [{ flags: '.', seq: L + 2001, len: 1000 }]);
  assert.equal(b.sink.ofType('retransmit').at(-1)?.cause, 'fast');
});

test('ESTABLISHED (RACK): rcv SACK of a segment sent RTT + reo_wnd after the hole -> the hole is retransmitted at once', () => {
  const b = warmed();
  b.c.send(new Uint8Array(1000), 200); // L+2001, sent at 200
  b.c.send(new Uint8Array(1000), 350); // L+3001, sent at 350 (Nagle off)
  b.sink.clear();
  b.c.segmentArrives(ack(L + 2001, [[L + 3001, L + 4001]]), 380);
  expectSegs(b, [{ flags: '.', seq: L + 2001, len: 1000 }]);
});

test('ESTABLISHED (TLP): the tail segment is lost, no ACK comes -> a probe retransmits the last segment at the PTO, before the RTO', () => {
  const b = warmed();
  b.c.send(new Uint8Array(3000), 200);
  b.sink.clear();
  const d = b.c.nextDeadline();
  assert.equal(d, 200 + 2 * 100 + 2, 'PTO = 2 * SRTT + 2 ms (Linux TCP_TIMEOUT_MIN)');
  assert.ok(d < 200 + b.c.status().rto, `PTO ${d} before the RTO (${b.c.status().rto} ms)`);
  b.c.onTimer(d);
  expectSegs(b, [{ flags: 'P.', seq: L + 4001, len: 1000 }]);
  assert.equal(b.sink.ofType('retransmit').at(-1)?.cause, 'tlp');
  // Only one probe per episode: the next deadline is the RTO.
  assert.equal(b.c.nextDeadline(), d + b.c.status().rto);
});

test('ESTABLISHED (TLP): a short RTT -> the PTO is 2 * SRTT + 2 ms, no 10 ms floor', () => {
  const b = synReceived(RACK, PEER);
  b.c.segmentArrives(seg({ seq: R + 1, ack: L + 1, flags: ACK }), 1);
  b.c.send(new Uint8Array(2000), 1);
  b.c.segmentArrives(ack(L + 2001), 2); // SRTT 1 ms
  b.c.send(new Uint8Array(3000), 2);
  assert.equal(b.c.nextDeadline(), 2 + 2 * 1 + 2);
});

test('ESTABLISHED (TLP): PTO with unsent data the peer window allows -> the probe is a new segment', () => {
  const b = warmed({ initialWindow: 2 });
  b.c.send(new Uint8Array(10_000), 200); // cwnd lets some out; the rest waits
  const sent = b.sink.take().filter((s) => s.payload.length > 0);
  const next = sent[sent.length - 1].seq + 1000;
  b.c.onTimer(b.c.nextDeadline());
  expectSegs(b, [{ flags: '.', seq: next, len: 1000 }]);
});

test('ESTABLISHED (rack off): the same single SACK -> nothing until the RTO', () => {
  const b = warmed({ rack: false });
  b.c.send(new Uint8Array(4000), 200);
  b.sink.clear();
  b.c.segmentArrives(ack(L + 2001, [[L + 3001, L + 4001]]), 300);
  expectSegs(b, []);
  assert.equal(b.c.nextDeadline(), 200 + b.c.status().rto);
});

/** A scoreboard with the 1000-byte segments starting at `starts` SACKed. */
const sackedAt = (...starts: number[]) => ({ sackedEnd: (seq: number) => (starts.includes(seq) ? seq + 1000 : undefined) });

test('rack: a partial retransmission splits the segment; the rest stays lost', () => {
  const r = new Rack();
  r.sent(0, 1000, 0);
  r.sent(1000, 2000, 0);
  r.onAck(0, sackedAt(1000), 50); // second delivered: RACK.xmit_ts = 0, end 2000, rtt 50
  assert.equal(r.detect(50, 0).lost, 1);
  r.sent(0, 600, 60);
  assert.deepEqual(r.nextLost(0), [600, 1000]);
});

test('rack: a retransmission sent in the same tick after new data -> the new data SACKed first does not make it lost', () => {
  const r = new Rack();
  r.sent(0, 1000, 0);
  r.sent(1000, 2000, 0);
  r.onAck(0, sackedAt(1000), 10); // RACK.rtt 10
  assert.equal(r.detect(10, 0).lost, 1);
  // Same tick: new data first, then the retransmission (lower sequence numbers, sent later).
  r.sent(2000, 3000, 10);
  r.sent(0, 1000, 10);
  // The new data's SACK arrives a moment before the cumulative ACK for the retransmission.
  r.onAck(0, sackedAt(1000, 2000), 20);
  assert.equal(r.detect(20, 0).lost, 0, 'transmission order, not sequence order, breaks the tie');
  assert.equal(r.nextLost(0), undefined);
});

test('rack: D-SACK -> reo_wnd_mult grows once per round trip, and falls back after 16 recoveries (RFC 8985 6.2 step 4)', () => {
  const r = new Rack();
  r.onDsack(true, 0, 5000);
  assert.equal(r.reoWndMult, 2);
  r.onDsack(true, 1000, 5000); // same round: no more
  assert.equal(r.reoWndMult, 2);
  r.onDsack(false, 5000, 9000); // SND.UNA passed the round
  r.onDsack(true, 5000, 9000);
  assert.equal(r.reoWndMult, 3);
  for (let i = 0; i < 15; i++) r.onRecovery();
  assert.equal(r.reoWndMult, 3);
  r.onRecovery();
  assert.equal(r.reoWndMult, 1);
});

test('ESTABLISHED (RACK): after a D-SACK -> the reordering timer waits min_RTT/4 * 2', () => {
  const b = warmed();
  // The peer reports a duplicate (a spurious retransmission): D-SACK below SEG.ACK.
  b.c.segmentArrives(ack(L + 2001, [[L + 1001, L + 2001]]), 210);
  b.c.send(new Uint8Array(4000), 220);
  b.sink.clear();
  b.c.segmentArrives(ack(L + 2001, [[L + 3001, L + 4001]]), 320);
  // sent at 220 + RACK.rtt 100 + reo_wnd 2 * 100/4
  assert.equal(b.c.nextDeadline(), 370);
});

test('ESTABLISHED (SACK, rack absent): RACK-TLP is the default -> a lost tail gets a probe before the RTO', () => {
  const b = synReceived({ sack: true, sndBuf: 1 << 20 }, PEER);
  b.c.segmentArrives(seg({ seq: R + 1, ack: L + 1, flags: ACK }), 100);
  b.c.send(new Uint8Array(2000), 100);
  b.c.segmentArrives(ack(L + 2001), 200);
  b.c.send(new Uint8Array(3000), 200);
  b.sink.clear();
  const d = b.c.nextDeadline();
  assert.ok(d < 200 + b.c.status().rto, 'PTO before the RTO');
  b.c.onTimer(d);
  assert.equal(b.sink.ofType('retransmit').at(-1)?.cause, 'tlp');
});
