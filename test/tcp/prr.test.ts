// RFC 9937 Proportional Rate Reduction (obsoletes RFC 6937) in fast recovery, with and without
// SACK: how much each ACK lets out, against the RFC 6675 / RFC 5681 behaviour (prr: false).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ACK, LOCAL_ISS as L, REMOTE_ISS as R, established, expectNothing, expectSegs, seg, type Bench } from './helpers.js';

const PEER_SACK = { mss: 1000, sackPermitted: true };
const PEER = { mss: 1000 };
const ack = (a: number, sack?: Array<[number, number]>) => seg({ seq: R + 1, ack: a, flags: ACK, options: sack ? { sack } : {} });
/** Segments out, as `seq-L:len` strings, then forgotten. */
const out = (b: Bench): string[] => b.sink.take().map((s) => `${s.seq - L - 1}:${s.payload.length}`);

test('ESTABLISHED (SACK, PRR): loss of one segment, pipe > ssthresh -> sending proportional to delivery (ssthresh/RecoverFS)', () => {
  const b = established({ sack: true, rack: false }, PEER_SACK);
  b.c.send(new Uint8Array(30000), 0); // 10 segments out (IW 10), the rest waits
  b.sink.clear();
  // Segment 1 is lost; the peer SACKs 2, 3, 4 ...: the third SACKed segment starts recovery.
  // Two limited-transmit segments go first; at the third SACKed segment FlightSize is 12000:
  // NewReno ssthresh = 6000, RecoverFS = pipe = 12000 - 3000 SACKed = 9000.
  const sent: string[][] = [];
  for (let k = 2; k <= 10; k++) {
    b.c.segmentArrives(ack(L + 1, [[L + 1001, L + 1 + k * 1000]]), 10 + k);
    sent.push(out(b));
  }
  // Each ACK delivers 1000 and, while pipe > ssthresh, PRR allows
  // CEIL(prr_delivered * 6000 / 9000) - prr_out: the retransmission, then new data on 3 of the
  // next 5 ACKs, never a burst; at the last ACK pipe has come down to ssthresh (PRR-CRB: none).
  assert.deepEqual(sent, [['10000:1000'], ['11000:1000'], ['0:1000'], ['12000:1000'], [], ['13000:1000'], ['14000:1000'], [], []]);
});

test('ESTABLISHED (SACK, prr off): the same losses -> RFC 6675 sends as soon as pipe < ssthresh', () => {
  const b = established({ sack: true, rack: false, prr: false }, PEER_SACK);
  b.c.send(new Uint8Array(30000), 0);
  b.sink.clear();
  const sent: string[][] = [];
  for (let k = 2; k <= 10; k++) {
    b.c.segmentArrives(ack(L + 1, [[L + 1001, L + 1 + k * 1000]]), 10 + k);
    sent.push(out(b));
  }
  // Nothing while pipe (8000 after the retransmission) is above ssthresh, then one per ACK.
  assert.deepEqual(sent, [['10000:1000'], ['11000:1000'], ['0:1000'], [], [], [], ['12000:1000'], ['13000:1000'], ['14000:1000']]);
});

test('ESTABLISHED (SACK, PRR): heavy loss, pipe < ssthresh -> PRR-CRB on SACKs, PRR-SSRB (+1 SMSS) on a cumulative ACK', () => {
  const b = established({ sack: true, rack: false }, PEER_SACK);
  b.c.send(new Uint8Array(10000), 0); // 10 segments, 1-4 lost
  b.sink.clear();
  b.c.segmentArrives(ack(L + 1, [[L + 4001, L + 5001]]), 10);
  b.c.segmentArrives(ack(L + 1, [[L + 4001, L + 6001]]), 11);
  expectNothing(b); // no new data to send
  // Third SACKed segment: recovery; pipe = 4000 (7-10... 8-10 above the SACKs, 3000) < ssthresh
  // 5000. RFC 6675 alone would send two; PRR-CRB sends what was delivered: one segment.
  b.c.segmentArrives(ack(L + 1, [[L + 4001, L + 7001]]), 12);
  assert.deepEqual(out(b), ['0:1000']);
  b.c.segmentArrives(ack(L + 1, [[L + 4001, L + 8001]]), 13);
  assert.deepEqual(out(b), ['1000:1000']);
  // SND.UNA advances, no further loss: a safe ACK, one delivered segment lets two go (SSRB).
  b.c.segmentArrives(ack(L + 1001, [[L + 4001, L + 8001]]), 20);
  assert.deepEqual(out(b), ['2000:1000', '3000:1000']);
});

test('ESTABLISHED (SACK, prr off): heavy loss -> RFC 6675 fills the pipe up to ssthresh at once', () => {
  const b = established({ sack: true, rack: false, prr: false }, PEER_SACK);
  b.c.send(new Uint8Array(10000), 0);
  b.sink.clear();
  b.c.segmentArrives(ack(L + 1, [[L + 4001, L + 5001]]), 10);
  b.c.segmentArrives(ack(L + 1, [[L + 4001, L + 6001]]), 11);
  b.c.segmentArrives(ack(L + 1, [[L + 4001, L + 7001]]), 12);
  assert.deepEqual(out(b), ['0:1000', '1000:1000']);
});

test('ESTABLISHED (no SACK, PRR): duplicate ACKs in NewReno recovery -> one SMSS delivered each, sending spread by PRR', () => {
  const b = established({}, PEER);
  b.c.send(new Uint8Array(30000), 0);
  b.sink.clear();
  const sent: string[][] = [];
  for (let k = 1; k <= 9; k++) {
    b.c.segmentArrives(ack(L + 1), 10 + k);
    sent.push(out(b));
  }
  // Two limited-transmit segments; the third duplicate retransmits; then PRR: pipe = FlightSize
  // less one SMSS per duplicate ACK, above ssthresh (6000): CEIL(prr_delivered * 6000 / 9000)
  // - prr_out, until pipe is down to ssthresh.
  assert.deepEqual(sent, [['10000:1000'], ['11000:1000'], ['0:1000'], ['12000:1000'], [], ['13000:1000'], ['14000:1000'], [], []]);
});

test('ESTABLISHED (no SACK, prr off): the same duplicate ACKs -> RFC 5681 inflation: nothing until cwnd exceeds the flight, then one each', () => {
  const b = established({ prr: false }, PEER);
  b.c.send(new Uint8Array(30000), 0);
  b.sink.clear();
  const sent: string[][] = [];
  for (let k = 1; k <= 9; k++) {
    b.c.segmentArrives(ack(L + 1), 10 + k);
    sent.push(out(b));
  }
  assert.deepEqual(sent.slice(0, 3), [['10000:1000'], ['11000:1000'], ['0:1000']]);
  assert.deepEqual(sent.slice(3, 5), [[], []]);
});
