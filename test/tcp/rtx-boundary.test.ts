// Retransmissions after an RTO never run past the highest byte sent before (SND.MAX): new data
// goes out in segments of its own, as Linux does (a straddling segment makes analysers such as
// Wireshark lose track: "ACKed unseen segment").
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ACK, LOCAL_ISS as L, REMOTE_ISS as R, established, seg } from './helpers.js';

const ack = (a: number) => seg({ seq: R + 1, ack: a, flags: ACK });

test('ESTABLISHED: after an RTO, go-back-N ends the retransmission at SND.MAX; new data follows separately', () => {
  const b = established({ sack: false, nagle: false }, { mss: 1000 });
  b.c.send(new Uint8Array(1500), 0); // [L+1, L+1001) and a short [L+1001, L+1501)
  const first = b.sink.take();
  assert.deepEqual(first.map((s) => [s.seq, s.payload.length]), [[L + 1, 1000], [L + 1001, 500]]);
  b.c.onTimer(b.c.nextDeadline()); // RTO: the first segment again (cwnd 1 segment)
  const rto = b.sink.take();
  assert.deepEqual(rto.map((s) => [s.seq, s.payload.length]), [[L + 1, 1000]]);
  b.c.send(new Uint8Array(3000), 250); // new data queued behind what is being resent
  assert.deepEqual(b.sink.take(), [], 'cwnd is full after the RTO');
  b.c.segmentArrives(ack(L + 1001), 1300);
  const out = b.sink.take();
  assert.ok(out.length >= 1, 'something is sent after the ACK');
  assert.deepEqual([out[0].seq, out[0].payload.length], [L + 1001, 500], 'the retransmission stops at SND.MAX');
  for (const s of out) {
    const start = s.seq - L;
    const end = start + s.payload.length;
    assert.ok(!(start < 1501 && end > 1501), `segment [${start}, ${end}) straddles SND.MAX (1501)`);
  }
});
