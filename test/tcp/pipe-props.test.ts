// Property: whatever the path does (loss, duplication, reordering) and however slowly the
// receiver reads, every byte arrives once, in order, and both ends close cleanly.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { DEFAULT_CONFIG, type ConnectionConfig } from '../../src/tcp/types.js';
import { Pipe, rng } from './pipe.js';

interface Params {
  seed: number;
  loss: number;
  dup: number;
  jitter: number;
  size: number;
  rcvBuf: number;
  sndBuf: number;
  mss: number;
  readEvery: number;
  readMax: number;
  sack: boolean;
  timestamps: boolean;
  windowScaling: boolean;
  nagle: boolean;
  delayedAck: number;
}

function transfer(p: Params): void {
  const config: ConnectionConfig = {
    ...DEFAULT_CONFIG,
    congestion: 'newreno',
    rfc1337: true,
    rcvBuf: p.rcvBuf,
    sndBuf: p.sndBuf,
    mss: p.mss,
    sack: p.sack,
    timestamps: p.timestamps,
    windowScaling: p.windowScaling,
    nagle: p.nagle,
    delayedAck: p.delayedAck,
    r2: 40,
    synRetries: 20,
  };
  const pipe = new Pipe({ loss: p.loss, dup: p.dup, seed: p.seed, jitter: p.jitter, delay: 5, config });
  const [a, b] = pipe.conns;
  const data = new Uint8Array(p.size);
  const r = rng(p.seed ^ 0x5bd1e995);
  for (let i = 0; i < data.length; i++) data[i] = (r() * 256) | 0;
  b.openPassive(0);
  a.openActive(0);
  let written = 0;
  let closedA = false;
  let closedB = false;
  const got: Uint8Array[] = [];
  let n = 0;
  let lastRead = 0;
  for (let i = 0; i < 400_000; i++) {
    if (!closedA && a.state === 'ESTABLISHED') {
      while (written < data.length) {
        const k = a.send(data.subarray(written, Math.min(data.length, written + 7000)), pipe.now);
        if (k === 0) break;
        written += k;
      }
      if (written === data.length) {
        a.close(pipe.now);
        closedA = true;
      }
    }
    if (b.state !== 'LISTEN' && b.state !== 'SYN-RECEIVED' && pipe.now - lastRead >= p.readEvery) {
      lastRead = pipe.now;
      const d = b.readableBytes > 0 ? b.receive(p.readMax, pipe.now) : null;
      if (d) {
        got.push(d);
        n += d.length;
      }
      if (b.eof && b.readableBytes === 0 && !closedB && b.state === 'CLOSE-WAIT') {
        b.close(pipe.now);
        closedB = true;
      }
    }
    if (a.state === 'CLOSED' && b.state === 'CLOSED') break;
    if (!pipe.step()) {
      // Nothing pending: the reader must come back.
      if (b.readableBytes === 0 && !(b.eof && !closedB)) break;
      pipe.now += p.readEvery;
    }
  }
  const out = new Uint8Array(n);
  let o = 0;
  for (const c of got) {
    out.set(c, o);
    o += c.length;
  }
  const info = `A ${a.state} B ${b.state} got ${n}/${p.size} t=${pipe.now.toFixed(0)}`;
  for (const k of [0, 1]) {
    const err = pipe.events[k].find((e) => e.type === 'error');
    assert.equal(err, undefined, `error at ${k ? 'B' : 'A'}: ${JSON.stringify(err)} (${info})`);
  }
  assert.equal(n, p.size, info);
  assert.ok(out.every((v, i) => v === data[i]), `bytes differ (${info})`);
  assert.equal(a.state, 'CLOSED', info);
  assert.equal(b.state, 'CLOSED', info);
}

const params: fc.Arbitrary<Params> = fc.record({
  seed: fc.integer({ min: 1, max: 1e9 }),
  loss: fc.constantFrom(0, 0.02, 0.1, 0.2),
  dup: fc.constantFrom(0, 0.05, 0.2),
  jitter: fc.constantFrom(0, 2, 20),
  size: fc.integer({ min: 0, max: 60_000 }),
  rcvBuf: fc.constantFrom(2000, 8000, 65535, 300_000),
  sndBuf: fc.constantFrom(3000, 20_000, 100_000),
  mss: fc.constantFrom(100, 536, 1460),
  readEvery: fc.constantFrom(0, 10, 200),
  readMax: fc.constantFrom(1, 100, 5000, 1 << 20),
  sack: fc.boolean(),
  timestamps: fc.boolean(),
  windowScaling: fc.boolean(),
  nagle: fc.boolean(),
  delayedAck: fc.constantFrom(0, 40, 200),
});

test('two connections: any loss, duplication, reordering and reader pace -> intact data, both CLOSED', () => {
  fc.assert(fc.property(params, transfer), { numRuns: 60, seed: 7 });
});
