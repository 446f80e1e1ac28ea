// CUBIC (RFC 9438) behind the CongestionControl interface: the curve, the Reno-friendly region,
// multiplicative decrease, fast convergence, timeouts, idleness, and robustness properties.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { CUBIC_ALPHA, CUBIC_BETA, CUBIC_C, Cubic, cubicK, initialWindowBytes, wCubic } from '../../src/tcp/cubic.js';
import { makeCongestionControl } from '../../src/tcp/congestion.js';

const MSS = 1000;

/** One round trip of a cwnd-limited flow: a full window acked, one MSS per ACK, spread evenly
 *  over `rtt` ms. Returns the time at the end of the round. */
function round(cc: Cubic, now: number, rtt: number, passRtt = true): number {
  const n = Math.max(1, Math.floor(cc.cwnd / MSS));
  for (let i = 1; i <= n; i++) cc.onAck(MSS, now + (i * rtt) / n, passRtt ? rtt : undefined);
  return now + rtt;
}

/** A Cubic in congestion avoidance just after a fast-retransmit loss at `segs` segments. */
function afterLossAt(segs: number): Cubic {
  const cc = new Cubic(MSS, 10);
  let now = 0;
  while (cc.cwnd < segs * MSS) cc.onAck(MSS, now++); // slow start, ssthresh infinite
  assert.equal(cc.cwnd, segs * MSS);
  cc.onLoss('fast', cc.cwnd, now);
  cc.onRecoveryEnd(cc.ssthresh);
  return cc;
}

test('cubic: makeCongestionControl("cubic") is CUBIC, "newreno" is NewReno', () => {
  assert.equal(makeCongestionControl('cubic', MSS, 10).name, 'cubic');
  assert.equal(makeCongestionControl('newreno', MSS, 10).name, 'newreno');
});

test('cubic: initial window per RFC 6928 (min(10*MSS, max(2*MSS, 14600)))', () => {
  assert.equal(new Cubic(1460, 10).cwnd, 14600);
  assert.equal(new Cubic(536, 10).cwnd, 5360);
  assert.equal(new Cubic(8960, 10).cwnd, 17920);
  assert.equal(initialWindowBytes(1000, 10), 10000);
  assert.equal(new Cubic(1000, 10).ssthresh, 0x7fffffff);
});

test('cubic: the curve at known points: K = cbrt(W_max*(1-beta)/C), W(0) = beta*W_max, W(K) = W_max', () => {
  const wMax = 100;
  const k = cubicK(wMax, wMax * CUBIC_BETA);
  assert.ok(Math.abs(k - Math.cbrt((wMax * (1 - CUBIC_BETA)) / CUBIC_C)) < 1e-12);
  assert.ok(Math.abs(k - Math.cbrt(75)) < 1e-12); // 4.2172 s
  assert.ok(Math.abs(wCubic(0, k, wMax) - 70) < 1e-9);
  assert.equal(wCubic(k, k, wMax), wMax);
  assert.ok(Math.abs(wCubic(k + 1, k, wMax) - (wMax + CUBIC_C)) < 1e-12);
  // Concave below K (increments shrink), convex above (increments grow).
  const d = (t: number) => wCubic(t + 0.1, k, wMax) - wCubic(t, k, wMax);
  assert.ok(d(0) > d(1) && d(1) > d(2) && d(2) > d(3) && d(3) > d(k - 0.05));
  assert.ok(d(k) < d(k + 1) && d(k + 1) < d(k + 2) && d(k + 2) < d(k + 3));
  assert.equal(cubicK(50, 60), 0, 'cwnd_epoch above W_max: K = 0');
});

test('cubic: fast-retransmit loss -> ssthresh = 0.7*cwnd, cwnd = ssthresh, W_max = cwnd', () => {
  const cc = afterLossAt(100);
  assert.equal(cc.ssthresh, 70 * MSS);
  assert.equal(cc.cwnd, 70 * MSS);
  assert.equal(cc.snapshot().wMax, 100 * MSS);
  assert.equal(cc.snapshot().epochStart, undefined, 'epoch starts at the first ACK after recovery');
  // Floor of 2*MSS.
  const small = new Cubic(MSS, 2);
  small.onLoss('fast', 2 * MSS, 0);
  assert.equal(small.ssthresh, 2 * MSS);
  assert.equal(small.cwnd, 2 * MSS);
});

test('cubic: congestion avoidance after loss follows the curve: W(K) ~ W_max, concave then convex', () => {
  const cc = afterLossAt(100);
  const rtt = 100;
  let now = 1000;
  const k = cubicK(100, 70);
  const w: number[] = [cc.cwnd];
  cc.onAck(MSS, now, rtt); // first ACK: the epoch starts
  assert.equal(cc.snapshot().epochStart, now);
  assert.ok(Math.abs(cc.snapshot().k - k) < 1e-9);
  const start = now;
  while (now - start < 9000) {
    now = round(cc, now, rtt);
    w.push(cc.cwnd);
  }
  // At t = K (about 42 rounds), cwnd stands at W_max, within a segment or two.
  const atK = w[Math.round((k * 1000) / rtt)]!;
  assert.ok(Math.abs(atK - 100 * MSS) <= 2 * MSS, `cwnd at K = ${atK}`);
  // Per-round growth: concave (shrinking) on the way up to W_max, convex (growing) past it.
  const inc = (i: number) => w[i + 5]! - w[i]!;
  assert.ok(inc(1) > inc(15) && inc(15) > inc(30), `concave: ${inc(1)} ${inc(15)} ${inc(30)}`);
  assert.ok(inc(45) < inc(60) && inc(60) < inc(75), `convex: ${inc(45)} ${inc(60)} ${inc(75)}`);
  // Plateau around K: the slowest growth is near t = K.
  assert.ok(inc(40) < inc(10) && inc(40) < inc(75));
  // And it follows the curve itself within a few segments.
  for (const i of [10, 20, 60, 80]) {
    const expect = wCubic((i * rtt) / 1000, k, 100) * MSS;
    assert.ok(Math.abs(w[i]! - expect) <= 3 * MSS, `round ${i}: ${w[i]} vs ${expect}`);
  }
});

test('cubic: the cwnd target is at most 1.5*cwnd per RTT (RFC 9438 4.2)', () => {
  const cc = afterLossAt(20);
  let now = 0;
  now = round(cc, now, 100);
  // An enormous RTT puts W_cubic(t + RTT) far above: growth is still capped at 1.5x a round.
  for (let i = 0; i < 5; i++) {
    const before = cc.cwnd;
    now = round(cc, now, 100_000);
    assert.ok(cc.cwnd > before);
    assert.ok(cc.cwnd <= 1.5 * before + MSS, `${before} -> ${cc.cwnd}`);
  }
});

test('cubic: the Reno-friendly region dominates at small BDP (W_est = cwnd_epoch + alpha per RTT)', () => {
  const cc = afterLossAt(10); // W_max 10 segments, cwnd 7, K ~ 1.96 s
  const rtt = 100;
  let now = 0;
  cc.onAck(MSS, now, rtt); // epoch start
  const k = cc.snapshot().k;
  for (let i = 1; i <= 5; i++) now = round(cc, now, rtt);
  // Reno-friendly: 7 + alpha * 5 ~ 9.65 segments; the cubic curve alone gives ~8.75.
  const reno = (7 + CUBIC_ALPHA * 5) * MSS;
  const curve = wCubic(now / 1000, k, 10) * MSS;
  assert.ok(Math.abs(CUBIC_ALPHA - 0.9 / 1.7) < 1e-12);
  assert.ok(cc.cwnd > curve + 0.5 * MSS, `cwnd ${cc.cwnd} above the curve ${curve}`);
  assert.ok(Math.abs(cc.cwnd - reno) <= 0.5 * MSS, `cwnd ${cc.cwnd} ~ W_est ${reno}`);
  // Once W_est reaches cwnd_prior, alpha becomes 1 (Reno's rate).
  for (let i = 0; i < 3; i++) now = round(cc, now, rtt);
  assert.equal(cc.snapshot().alpha, 1);
  const before = cc.cwnd;
  now = round(cc, now, rtt);
  assert.ok(Math.abs(cc.cwnd - before - MSS) <= 0.2 * MSS, `about one MSS a round: ${before} -> ${cc.cwnd}`);
});

test('cubic: fast convergence: a loss below W_max sets W_max = cwnd*(1+beta)/2', () => {
  const cc = afterLossAt(100);
  let now = 0;
  while (cc.cwnd < 80 * MSS) cc.onAck(MSS, (now += 10), 0);
  const w = cc.cwnd;
  cc.onLoss('fast', w, now);
  // (cwnd is the floor of a fractional byte count: allow a byte.)
  assert.ok(Math.abs(cc.snapshot().wMax - (w * (1 + CUBIC_BETA)) / 2) < 1, `W_max ${cc.snapshot().wMax}`);
  assert.ok(Math.abs(cc.ssthresh - w * CUBIC_BETA) <= 1, `ssthresh ${cc.ssthresh}`);
  // Without fast convergence W_max would have been w: the next plateau is about 15% lower.
  assert.ok(cc.snapshot().wMax < 0.86 * w);
  // A loss above the previous W_max: W_max = cwnd, no extra reduction.
  const up = afterLossAt(50);
  while (up.cwnd < 60 * MSS) up.onAck(MSS, (now += 10), 0);
  const w2 = up.cwnd;
  up.onLoss('fast', w2, now);
  assert.ok(Math.abs(up.snapshot().wMax - w2) < 1);
});

test('cubic: RTO -> cwnd = 1 MSS, ssthresh = 0.7*cwnd, repeated RTO keeps ssthresh, epoch reset', () => {
  const cc = afterLossAt(100);
  let now = 0;
  for (let i = 0; i < 5; i++) now = round(cc, now, 100);
  const w = cc.cwnd;
  assert.notEqual(cc.snapshot().epochStart, undefined);
  cc.onLoss('rto', w, now);
  assert.equal(cc.cwnd, MSS);
  assert.ok(Math.abs(cc.ssthresh - w * CUBIC_BETA) <= 1, `ssthresh ${cc.ssthresh}`);
  assert.equal(cc.snapshot().epochStart, undefined);
  const ss = cc.ssthresh;
  cc.onLoss('rto', 2 * ss, now + 1000); // the connection passes 2*ssthresh for later timeouts
  cc.onLoss('rto', 2 * ss, now + 3000);
  assert.equal(cc.ssthresh, ss, 'repeated timeouts keep ssthresh');
  assert.equal(cc.cwnd, MSS);
  // Slow start back to ssthresh, then (RFC 9438 4.8) an epoch with K = 0, W_max = cwnd.
  now += 4000;
  cc.onAck(MSS, now, 100);
  assert.equal(cc.cwnd, 2 * MSS, 'slow start');
  while (cc.cwnd < cc.ssthresh) cc.onAck(MSS, (now += 1), 100);
  assert.equal(cc.cwnd, ss, 'slow start stops at ssthresh');
  cc.onAck(MSS, (now += 1), 100);
  assert.equal(cc.snapshot().k, 0);
  assert.equal(cc.snapshot().wMax, ss);
});

test('cubic: an idle period does not count as curve time (RFC 9438 5.8)', () => {
  const a = afterLossAt(100);
  const b = afterLossAt(100);
  let ta = 0;
  let tb = 0;
  for (let i = 0; i < 10; i++) {
    ta = round(a, ta, 100);
    tb = round(b, tb, 100);
  }
  tb += 60_000; // b's application goes quiet for a minute
  for (let i = 0; i < 10; i++) {
    ta = round(a, ta, 100);
    tb = round(b, tb, 100);
  }
  assert.ok(Math.abs(a.cwnd - b.cwnd) <= 2 * MSS, `continuous ${a.cwnd} vs with idle ${b.cwnd}`);
  assert.ok(b.cwnd < 100 * MSS, 'still below W_max, not leapt along the curve');
});

test('cubic: without an RTT sample the growth still follows the curve (target W(t))', () => {
  const cc = afterLossAt(100);
  let now = 0;
  for (let i = 0; i < 50; i++) now = round(cc, now, 100, false);
  assert.ok(cc.cwnd >= 99 * MSS && cc.cwnd <= 102 * MSS, `cwnd ${cc.cwnd} near W_max after ~K`);
});

test('cubic: partial ACK deflation and recovery end as NewReno (RFC 6582)', () => {
  const cc = afterLossAt(100); // cwnd 70k
  cc.onLoss('fast', 70 * MSS, 0); // fast convergence: W_max 59.5k, ssthresh 49k
  assert.equal(cc.ssthresh, 49 * MSS);
  cc.onDupAck();
  cc.onDupAck();
  assert.equal(cc.cwnd, 51 * MSS);
  cc.onPartialAck(3 * MSS);
  assert.equal(cc.cwnd, 49 * MSS);
  cc.onRecoveryEnd(10 * MSS);
  assert.equal(cc.cwnd, 11 * MSS);
  cc.onRecoveryEnd(100 * MSS);
  assert.equal(cc.cwnd, 49 * MSS);
});

test('cubic: property: without loss, cwnd never decreases', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 536, max: 9000 }),
      fc.integer({ min: 1, max: 10 }),
      fc.boolean(),
      fc.array(
        fc.record({
          acked: fc.integer({ min: 1, max: 100_000 }),
          dt: fc.integer({ min: 0, max: 5000 }),
          rtt: fc.option(fc.integer({ min: 0, max: 2000 })),
        }),
        { maxLength: 300 },
      ),
      (mss, iw, lossFirst, acks) => {
        const cc = new Cubic(mss, iw);
        let now = 0;
        if (lossFirst) {
          cc.onLoss('fast', cc.cwnd, now);
          cc.onRecoveryEnd(cc.cwnd);
        }
        let prev = cc.cwnd;
        for (const a of acks) {
          now += a.dt;
          cc.onAck(a.acked, now, a.rtt ?? undefined);
          assert.ok(cc.cwnd >= prev, `${prev} -> ${cc.cwnd}`);
          prev = cc.cwnd;
        }
      },
    ),
    { seed: 9438, numRuns: 300 },
  );
});

type Op =
  | { op: 'ack'; acked: number; dt: number; rtt: number | null }
  | { op: 'dup' }
  | { op: 'loss'; kind: 'rto' | 'fast'; flight: number; dt: number }
  | { op: 'partial'; acked: number }
  | { op: 'end'; flight: number }
  | { op: 'mss'; mss: number };

const anyOp: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    op: fc.constant('ack' as const),
    acked: fc.integer({ min: 0, max: 1 << 22 }),
    dt: fc.integer({ min: -10, max: 1 << 24 }),
    rtt: fc.option(fc.integer({ min: 0, max: 120_000 })),
  }),
  fc.record({ op: fc.constant('dup' as const) }),
  fc.record({
    op: fc.constant('loss' as const),
    kind: fc.constantFrom('rto' as const, 'fast' as const),
    flight: fc.integer({ min: 0, max: 0x7fffffff }),
    dt: fc.integer({ min: 0, max: 1 << 20 }),
  }),
  fc.record({ op: fc.constant('partial' as const), acked: fc.integer({ min: 0, max: 1 << 22 }) }),
  fc.record({ op: fc.constant('end' as const), flight: fc.integer({ min: 0, max: 0x7fffffff }) }),
  fc.record({ op: fc.constant('mss' as const), mss: fc.integer({ min: 64, max: 65_000 }) }),
);

test('cubic: property: any sequence of ack/dupack/loss/rto/recovery/MSS calls keeps cwnd finite and >= 1 MSS', () => {
  fc.assert(
    fc.property(fc.integer({ min: 64, max: 65_000 }), fc.integer({ min: 1, max: 20 }), fc.array(anyOp, { maxLength: 400 }), (mss0, iw, ops) => {
      const cc = new Cubic(mss0, iw);
      let mss = mss0;
      let now = 0;
      for (const o of ops) {
        switch (o.op) {
          case 'ack':
            now += o.dt;
            cc.onAck(o.acked, now, o.rtt ?? undefined);
            break;
          case 'dup':
            cc.onDupAck();
            break;
          case 'loss':
            now += o.dt;
            cc.onLoss(o.kind, o.flight, now);
            if (o.kind === 'rto') assert.equal(cc.cwnd, mss, 'RTO: 1 MSS');
            break;
          case 'partial':
            cc.onPartialAck(o.acked);
            break;
          case 'end':
            cc.onRecoveryEnd(o.flight);
            break;
          case 'mss':
            mss = o.mss;
            cc.setMss(mss);
            break;
        }
        assert.ok(Number.isFinite(cc.cwnd) && Number.isInteger(cc.cwnd), `cwnd ${cc.cwnd}`);
        assert.ok(cc.cwnd >= mss, `cwnd ${cc.cwnd} < MSS ${mss}`);
        assert.ok(cc.cwnd <= 0x7fffffff);
        assert.ok(Number.isFinite(cc.ssthresh) && cc.ssthresh > 0, `ssthresh ${cc.ssthresh}`);
        const s = cc.snapshot();
        assert.ok(Number.isFinite(s.wMax) && Number.isFinite(s.k) && Number.isFinite(s.wEst));
      }
    }),
    { seed: 6928, numRuns: 500 },
  );
});
