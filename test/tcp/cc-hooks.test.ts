// The connection's hooks into congestion control: the RTT on every ACK (RFC 9438 4.2), undo of a
// spurious reduction under CUBIC (RFC 4015 / RFC 3522 Eifel), and restart after idle (RFC 5681
// 4.1, RFC 9438 5.8).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Cubic } from '../../src/tcp/cubic.js';
import { NewReno } from '../../src/tcp/congestion.js';
import { ACK, LOCAL_ISS as L, REMOTE_ISS as R, type Bench, established } from './helpers.js';
import { seg } from './helpers.js';

const MSS = 1460;

/** Sends `n` bytes and ACKs everything in flight each `step` ms until it is all acknowledged. */
function pump(b: Bench, n: number, t: number, step = 10, ts = false): number {
  b.c.send(new Uint8Array(n), t);
  for (let guard = 0; guard < 1000; guard++) {
    const out = b.sink.take().filter((s) => s.payload.length > 0);
    if (out.length === 0) break;
    const last = out[out.length - 1];
    t += step;
    const opts = ts ? { timestamp: { val: t, ecr: last.options.timestamp!.val } } : {};
    b.c.segmentArrives(seg({ seq: R + 1, ack: (last.seq + last.payload.length) >>> 0, flags: ACK, window: 64000, options: opts }), t);
  }
  return t;
}

test('ESTABLISHED: rcv ACK of new data -> congestion control gets the smoothed RTT', () => {
  const b = established({ congestion: 'cubic' }, { mss: MSS });
  const calls: Array<number | undefined> = [];
  const cc = (b.c as unknown as { cc: Cubic }).cc;
  const orig = cc.onAck.bind(cc);
  cc.onAck = (acked: number, now: number, rtt?: number) => {
    calls.push(rtt);
    orig(acked, now, rtt);
  };
  pump(b, 20_000, 0, 50);
  assert.ok(calls.length > 0);
  assert.equal(calls[calls.length - 1], b.c.status().srtt);
  assert.ok(calls.every((r) => typeof r === 'number' && r > 0), `rtts: ${calls.join(',')}`);
});

for (const congestion of ['cubic', 'newreno'] as const) {
  test(`ESTABLISHED (${congestion}): user SEND after idle longer than the RTO, nothing in flight -> restart from the initial window`, () => {
    const b = established({ congestion, sndBuf: 1 << 20 }, { mss: MSS });
    let t = pump(b, 200_000, 0);
    const grown = b.c.status().cwnd;
    assert.ok(grown > 20 * MSS, `cwnd grew to ${grown}`);
    // Idle 10 s (well past the RTO), then a burst: only the initial window goes out.
    t += 10_000;
    b.c.send(new Uint8Array(100_000), t);
    const burst = b.sink.take().filter((s) => s.payload.length > 0);
    assert.equal(burst.length, 10, `segments in the first flight after idle (cwnd before ${grown})`);
    assert.equal(b.c.status().cwnd, 10 * MSS);
    assert.ok(b.c.ssthresh >= Math.floor((3 * grown) / 4), 'ssthresh keeps 3/4 of the old cwnd (RFC 2861)');
  });

  test(`ESTABLISHED (${congestion}): user SEND after an idle shorter than the RTO -> cwnd kept`, () => {
    const b = established({ congestion, sndBuf: 1 << 20 }, { mss: MSS });
    let t = pump(b, 200_000, 0);
    const grown = b.c.status().cwnd;
    t += 100; // RTO is at least 200 ms
    b.c.send(new Uint8Array(100_000), t);
    const burst = b.sink.take().filter((s) => s.payload.length > 0);
    assert.ok(burst.length > 20, `${burst.length} segments`);
    assert.equal(b.c.status().cwnd, grown);
  });
}

test('ESTABLISHED (cubic): rcv ACK echoing a TSval older than the fast retransmission (Eifel) -> cwnd and ssthresh restored', () => {
  const ts = (val: number, ecr: number) => ({ timestamp: { val, ecr } });
  const b = established({ congestion: 'cubic', timestamps: true, sndBuf: 1 << 20 }, { mss: MSS, timestamp: { val: 1, ecr: 0 } }, ts(1, 1));
  let t = pump(b, 100_000, 1, 10, true);
  const cwnd0 = b.c.status().cwnd;
  const ss0 = b.c.ssthresh;
  // A flight goes out at t+1; the first segment is delayed (reordered), not lost.
  t += 1;
  b.c.send(new Uint8Array(20 * MSS), t);
  const flight = b.sink.take().filter((s) => s.payload.length > 0);
  assert.ok(flight.length >= 4);
  const first = flight[0];
  // Three duplicate ACKs (segments 2..4 arrived), echoing the flight's TSval.
  for (let i = 0; i < 3; i++) b.c.segmentArrives(seg({ seq: R + 1, ack: first.seq, flags: ACK, window: 64000, options: ts(t + 5, first.options.timestamp!.val) }), t + 5);
  const rtx = b.sink.take().filter((s) => s.payload.length > 0 && s.seq === first.seq);
  assert.equal(rtx.length, 1, 'fast retransmission');
  assert.ok(b.c.status().cwnd < cwnd0, 'window reduced');
  // The original first segment arrives: the ACK of new data echoes its (older) TSval.
  const last = flight[3];
  b.c.segmentArrives(seg({ seq: R + 1, ack: (last.seq + last.payload.length) >>> 0, flags: ACK, window: 64000, options: ts(t + 6, first.options.timestamp!.val) }), t + 6);
  assert.ok(b.c.status().cwnd >= cwnd0, `cwnd ${b.c.status().cwnd} restored to at least ${cwnd0}`);
  assert.equal(b.c.ssthresh, ss0);
  void L;
});

test('cubic: undo() after a fast-recovery reduction restores cwnd, ssthresh and W_max', () => {
  const cc = new Cubic(MSS, 10);
  let now = 0;
  while (cc.cwnd < 60 * MSS) cc.onAck(MSS, (now += 10), 100);
  cc.onLoss('fast', cc.cwnd, now); // first loss: ssthresh set, W_max = cwnd
  cc.onRecoveryEnd(cc.cwnd);
  for (let i = 0; i < 200; i++) cc.onAck(MSS, (now += 10), 100);
  const before = { cwnd: cc.cwnd, ssthresh: cc.ssthresh, ...cc.snapshot() };
  cc.onLoss('fast', cc.cwnd, now);
  assert.ok(cc.cwnd < before.cwnd);
  cc.undo(before.cwnd, before.ssthresh);
  assert.equal(cc.cwnd, before.cwnd);
  assert.equal(cc.ssthresh, before.ssthresh);
  const after = cc.snapshot();
  assert.equal(after.wMax, before.wMax);
  assert.equal(after.k, before.k);
  assert.equal(after.epochStart, before.epochStart);
  // And it keeps growing along the curve it was on.
  cc.onAck(MSS, (now += 10), 100);
  assert.ok(cc.cwnd >= before.cwnd);
});

test('cubic: onTransmitStart after a short idle shifts the epoch by the idle time (RFC 9438 5.8)', () => {
  const mk = () => {
    const cc = new Cubic(MSS, 10);
    let now = 0;
    while (cc.cwnd < 40 * MSS) cc.onAck(MSS, (now += 10), 100);
    cc.onLoss('fast', cc.cwnd, now);
    cc.onRecoveryEnd(cc.cwnd);
    cc.onAck(MSS, (now += 10), 100); // epoch starts
    return { cc, now };
  };
  const a = mk();
  const b = mk();
  b.cc.onTransmitStart(b.now + 150, 150, 300); // 150 ms idle, below the RTO
  assert.equal(b.cc.snapshot().epochStart, a.cc.snapshot().epochStart! + 150);
  assert.equal(b.cc.cwnd, a.cc.cwnd);
});

test('newreno: onTransmitStart after idle longer than the RTO -> cwnd = initial window, ssthresh keeps 3/4', () => {
  const cc = new NewReno(MSS, 10);
  for (let i = 0; i < 50; i++) cc.onAck(MSS);
  const w = cc.cwnd;
  cc.onTransmitStart(0, 5000, 1000);
  assert.equal(cc.cwnd, 10 * MSS);
  assert.equal(cc.ssthresh, 0x7fffffff);
  cc.onLoss('fast', w);
  for (let i = 0; i < 20; i++) cc.onAck(MSS);
  const w2 = cc.cwnd;
  cc.onTransmitStart(0, 5000, 1000);
  assert.equal(cc.ssthresh, Math.max(Math.floor(w / 2), Math.floor((3 * w2) / 4)));
});
