// Never a crash: random segments, user calls and timer firings against connections in every
// state. Only TcpError may be thrown (by user calls); invariants hold after every step.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { TcpError } from '../../src/tcp/types.js';
import { le, sub } from '../../src/tcp/seq.js';
import { ACK, FIN, PSH, RST, SYN, LOCAL_ISS as L, REMOTE_ISS as R, closeWait, established, finWait1, make, seg, synReceived, type Bench } from './helpers.js';

type Step =
  | { k: 'seg'; flags: number; dseq: number; dack: number; len: number; window: number; ts?: number; sack?: Array<[number, number]> }
  | { k: 'send'; n: number }
  | { k: 'recv'; n: number }
  | { k: 'close' }
  | { k: 'abort' }
  | { k: 'timer' }
  | { k: 'icmp'; hard: boolean }
  | { k: 'mtu'; mtu: number };

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  { weight: 8, arbitrary: fc.record({
    k: fc.constant('seg' as const),
    flags: fc.oneof(
      { weight: 6, arbitrary: fc.constantFrom(ACK, ACK | PSH, ACK | FIN, ACK | PSH | FIN) },
      { weight: 2, arbitrary: fc.constantFrom(SYN, SYN | ACK, RST, RST | ACK, FIN, 0) },
      { weight: 1, arbitrary: fc.integer({ min: 0, max: 0x3f }) },
    ),
    dseq: fc.oneof(fc.integer({ min: -3000, max: 70000 }), fc.constantFrom(0, 1, -1)),
    dack: fc.oneof(fc.integer({ min: -3000, max: 3000 }), fc.constantFrom(0, 1, -1)),
    len: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 3000 })),
    window: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 65535 })),
    ts: fc.option(fc.integer({ min: 0, max: 2000 }), { nil: undefined }),
    sack: fc.option(fc.array(fc.tuple(fc.integer({ min: -100, max: 5000 }), fc.integer({ min: 1, max: 3000 })).map(([a, l]) => [a, a + l] as [number, number]), { maxLength: 4 }), { nil: undefined }),
  }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('send' as const), n: fc.integer({ min: 0, max: 20000 }) }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('recv' as const), n: fc.integer({ min: 1, max: 100000 }) }) },
  { weight: 1, arbitrary: fc.constant({ k: 'close' as const }) },
  { weight: 1, arbitrary: fc.constant({ k: 'abort' as const }) },
  { weight: 3, arbitrary: fc.constant({ k: 'timer' as const }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('icmp' as const), hard: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('mtu' as const), mtu: fc.integer({ min: 68, max: 9000 }) }) },
);

const starts: Array<[string, () => Bench]> = [
  ['CLOSED', () => make({ sack: true, timestamps: true, windowScaling: true })],
  ['LISTEN', () => { const b = make({ sack: true, timestamps: true }); b.c.openPassive(0); return b; }],
  ['SYN-SENT', () => { const b = make({ sack: true, timestamps: true, windowScaling: true }); b.c.openActive(0); return b; }],
  ['SYN-RECEIVED', () => synReceived({ sack: true, timestamps: true }, { mss: 1000, sackPermitted: true, timestamp: { val: 1, ecr: 0 } })],
  ['ESTABLISHED', () => established({ sack: true, timestamps: true, windowScaling: true, delayedAck: 40, nagle: true }, { mss: 1000, sackPermitted: true, wscale: 2, timestamp: { val: 1, ecr: 0 } })],
  ['FIN-WAIT-1', () => finWait1({ sack: true, keepAlive: true, keepAliveIdle: 500, keepAliveInterval: 100 })],
  ['CLOSE-WAIT', () => closeWait({ userTimeout: 3000 })],
];

function run(b: Bench, steps: Step[]): void {
  let now = 1;
  for (const s of steps) {
    now += 7;
    const st = b.c.status();
    try {
      switch (s.k) {
        case 'seg': {
          const base = b.c.state === 'LISTEN' || b.c.state === 'CLOSED' || b.c.state === 'SYN-SENT' ? R : st.rcvNxt;
          b.c.segmentArrives(
            seg({
              seq: (base + s.dseq) >>> 0,
              ack: (st.sndUna + s.dack) >>> 0,
              flags: s.flags,
              window: s.window,
              payload: s.len,
              options: {
                ...(s.ts !== undefined ? { timestamp: { val: s.ts, ecr: now - 5 } } : {}),
                ...(s.sack ? { sack: s.sack.map(([a, e]) => [(st.sndUna + a) >>> 0, (st.sndUna + e) >>> 0] as [number, number]) } : {}),
              },
            }),
            now,
          );
          break;
        }
        case 'send': b.c.send(new Uint8Array(s.n), now); break;
        case 'recv': b.c.receive(s.n, now); break;
        case 'close': b.c.close(now); break;
        case 'abort': b.c.abort(now); break;
        case 'timer': { const d = b.c.nextDeadline(); if (d < Infinity) { now = Math.max(now, d); b.c.onTimer(now); } break; }
        case 'icmp': b.c.icmpError('EHOSTUNREACH', s.hard, now); break;
        case 'mtu': b.c.pathMtu(s.mtu, now); break;
      }
    } catch (e) {
      if (!(e instanceof TcpError)) throw e;
    }
    const t = b.c.status();
    assert.ok(le(t.sndUna, t.sndNxt), `SND.UNA ${t.sndUna} <= SND.NXT ${t.sndNxt}`);
    assert.ok(sub(t.sndNxt, t.sndUna) <= b.c.config.sndBuf + 2, 'in flight bounded by the buffer');
    assert.ok(t.recvQueue <= b.c.config.rcvBuf, 'receive queue bounded');
    assert.ok(b.c.nextDeadline() >= 0 && !Number.isNaN(b.c.nextDeadline()));
    for (const o of b.sink.take()) {
      assert.ok(Number.isInteger(o.seq) && o.seq >= 0 && o.seq < 2 ** 32, 'seq is a uint32');
      assert.ok(Number.isInteger(o.ack) && o.ack >= 0 && o.ack < 2 ** 32, 'ack is a uint32');
      assert.ok(Number.isInteger(o.window) && o.window >= 0 && o.window <= 65535, `window ${o.window} fits 16 bits`);
      if (o.payload.length > 0) assert.ok(o.payload.length <= 9000, 'payload within an MSS');
      if (o.payload.length > 0) assert.ok(le(o.seq + o.payload.length >>> 0, t.sndNxt), 'data sent lies below SND.NXT');
    }
    b.sink.events.length = 0;
  }
}

for (const [name, mk] of starts) {
  test(`fuzz from ${name}: random segments, calls and timers never crash`, () => {
    fc.assert(fc.property(fc.array(stepArb, { minLength: 1, maxLength: 60 }), (steps) => run(mk(), steps)), { numRuns: 300, seed: 42 });
  });
}

void L;
