// How cwnd grows: the RFC 3465 slow-start limit L (ConnectionConfig.abcLimit), no growth while the
// sender is not cwnd-limited (RFC 9438 5.8, RFC 7661; ConnectionConfig.cwndValidation) and the
// RFC 5681 4.1 restart window after idle (ConnectionConfig.restartAfterIdle).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isCwndLimited, slowStartIncrease } from '../../src/tcp/congestion.js';
import type { ConnectionConfig } from '../../src/tcp/types.js';
import { ACK, LOCAL_ISS as L, REMOTE_ISS as R, type Bench, established, seg } from './helpers.js';

const MSS = 1000;

function open(cfg: Partial<ConnectionConfig>): Bench {
  return established({ sndBuf: 1 << 20, ...cfg }, { mss: MSS });
}

/** The peer ACKs up to relative sequence number `upTo` (1 = our ISS + 1) at `t`. */
function ackTo(b: Bench, upTo: number, t: number): void {
  b.c.segmentArrives(seg({ seq: R + 1, ack: L + upTo, flags: ACK, window: 60000 }), t);
}

function sentData(b: Bench): number {
  return b.sink.take().reduce((n, s) => n + s.payload.length, 0);
}

for (const congestion of ['cubic', 'newreno'] as const) {
  test(`ESTABLISHED (${congestion}, slow start): rcv ACK of 4 segments -> cwnd grows by 2 segments (RFC 3465 L = 2)`, () => {
    const b = open({ congestion });
    b.c.send(new Uint8Array(30 * MSS), 0);
    assert.equal(sentData(b), 10 * MSS);
    ackTo(b, 1 + 4 * MSS, 100);
    assert.equal(b.c.status().cwnd, 12 * MSS);
    assert.equal(sentData(b), 6 * MSS, '4 segments left the network, 2 more fit');
  });

  test(`ESTABLISHED (${congestion}, slow start, abcLimit Infinity): rcv ACK of 4 segments -> cwnd grows by 4 segments`, () => {
    const b = open({ congestion, abcLimit: Infinity });
    b.c.send(new Uint8Array(30 * MSS), 0);
    assert.equal(sentData(b), 10 * MSS);
    ackTo(b, 1 + 4 * MSS, 100);
    assert.equal(b.c.status().cwnd, 14 * MSS);
    assert.equal(sentData(b), 8 * MSS);
  });

  test(`ESTABLISHED (${congestion}, slow start): rcv ACKs of an application-limited flight of 9 -> cwnd stops at 18 segments`, () => {
    // The flight never filled cwnd (9 of 10): growth stops at twice the most in flight.
    const b = open({ congestion });
    b.c.send(new Uint8Array(9 * MSS), 0);
    assert.equal(sentData(b), 9 * MSS);
    const want = [12, 14, 16, 18];
    for (let i = 0; i < 4; i++) {
      ackTo(b, 1 + 2 * (i + 1) * MSS, 100 + i);
      assert.equal(b.c.status().cwnd, want[i] * MSS, `after ACK ${i + 1}`);
    }
    ackTo(b, 1 + 9 * MSS, 110);
    assert.equal(b.c.status().cwnd, 18 * MSS, 'not cwnd-limited: no growth');
  });

  test(`ESTABLISHED (${congestion}, cwndValidation false): rcv ACKs of an application-limited flight of 9 -> cwnd grows by every ACK`, () => {
    const b = open({ congestion, cwndValidation: false });
    b.c.send(new Uint8Array(9 * MSS), 0);
    sentData(b);
    for (let i = 0; i < 4; i++) ackTo(b, 1 + 2 * (i + 1) * MSS, 100 + i);
    ackTo(b, 1 + 9 * MSS, 110);
    assert.equal(b.c.status().cwnd, 19 * MSS);
  });

  test(`ESTABLISHED (${congestion}, congestion avoidance): rcv ACKs while sending far below cwnd -> cwnd unchanged`, () => {
    const b = open({ congestion });
    (b.c as unknown as { cc: { ssthresh: number } }).cc.ssthresh = 5 * MSS; // cwnd 10 > ssthresh
    let t = 0;
    for (let i = 0; i < 50; i++) {
      // One segment at a time: request/response, never cwnd-limited.
      b.c.send(new Uint8Array(MSS), t);
      assert.equal(sentData(b), MSS);
      t += 10;
      ackTo(b, 1 + (i + 1) * MSS, t);
    }
    assert.equal(b.c.status().cwnd, 10 * MSS);
  });

  test(`ESTABLISHED (${congestion}, restartAfterIdle false): user SEND after idle longer than the RTO -> cwnd kept`, () => {
    const b = open({ congestion, restartAfterIdle: false, abcLimit: Infinity });
    b.c.send(new Uint8Array(10 * MSS), 0);
    sentData(b);
    ackTo(b, 1 + 10 * MSS, 100);
    assert.equal(b.c.status().cwnd, 20 * MSS);
    b.c.send(new Uint8Array(30 * MSS), 10_100); // 10 s idle, far past the RTO
    assert.equal(sentData(b), 20 * MSS);
    assert.equal(b.c.status().cwnd, 20 * MSS);
  });

  test(`ESTABLISHED (${congestion}): user SEND after idle longer than the RTO -> cwnd = initial window (RFC 5681 4.1)`, () => {
    const b = open({ congestion, abcLimit: Infinity });
    b.c.send(new Uint8Array(10 * MSS), 0);
    sentData(b);
    ackTo(b, 1 + 10 * MSS, 100);
    assert.equal(b.c.status().cwnd, 20 * MSS);
    b.c.send(new Uint8Array(30 * MSS), 10_100);
    assert.equal(sentData(b), 10 * MSS);
    assert.equal(b.c.status().cwnd, 10 * MSS);
  });
}

test('isCwndLimited: a full window, or in slow start less than twice the most in flight', () => {
  assert.equal(isCwndLimited(10, 100, undefined), true);
  assert.equal(isCwndLimited(10, 100, { limited: true, maxFlight: 1 }), true);
  assert.equal(isCwndLimited(17, 100, { limited: false, maxFlight: 9 }), true);
  assert.equal(isCwndLimited(18, 100, { limited: false, maxFlight: 9 }), false);
  assert.equal(isCwndLimited(17, 10, { limited: false, maxFlight: 9 }), false, 'congestion avoidance');
});

test('slowStartIncrease: min(acked, L*SMSS), L = 2 unless given', () => {
  assert.equal(slowStartIncrease(4000, 1000, undefined), 2000);
  assert.equal(slowStartIncrease(4000, 1000, 3), 3000);
  assert.equal(slowStartIncrease(4000, 1000, Infinity), 4000);
  assert.equal(slowStartIncrease(500, 1000, undefined), 500);
});
