// Buffers that scale with the MSS (ConnectionConfig.bufSegments): at MTU 65000 the 256 KB
// defaults hold only 4 segments, too few for three duplicate ACKs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_BUF_SEGMENTS, DEFAULT_CONFIG, scaledBuffers } from '../../src/tcp/types.js';
import { make } from './helpers.js';

const BIG = 65000 - 40; // MSS at MTU 65000

test('CLOSED: user OPEN at MSS 64960 with bufSegments 64 -> buffers hold 64 segments, SYN offers a shift to match', () => {
  const b = make({ ...DEFAULT_CONFIG, mss: BIG, bufSegments: DEFAULT_BUF_SEGMENTS });
  assert.equal(b.c.config.rcvBuf, 64 * BIG);
  assert.equal(b.c.config.sndBuf, 64 * BIG);
  b.c.openActive(0);
  const [syn] = b.sink.take();
  // 65535 << 6 = 4,194,240 covers 64 * 64960 = 4,157,440.
  assert.equal(syn.options.wscale, 6);
  assert.equal(b.c.writableBytes, 64 * BIG);
});

test('CLOSED: user OPEN at MSS 1460 with bufSegments 64 -> the 256 KB defaults already hold more: unchanged', () => {
  const b = make({ ...DEFAULT_CONFIG, bufSegments: DEFAULT_BUF_SEGMENTS });
  assert.equal(b.c.config.rcvBuf, DEFAULT_CONFIG.rcvBuf);
  assert.equal(b.c.config.sndBuf, DEFAULT_CONFIG.sndBuf);
});

test('CLOSED: user OPEN at MSS 64960 with bufSegments 0 (sizes chosen by the user) -> sizes stand', () => {
  const b = make({ ...DEFAULT_CONFIG, mss: BIG, rcvBuf: 4096, sndBuf: 8192, bufSegments: 0 });
  assert.equal(b.c.config.rcvBuf, 4096);
  assert.equal(b.c.config.sndBuf, 8192);
});

test('scaledBuffers: capped at 4 MB, and the same object back when nothing changes', () => {
  const c = { ...DEFAULT_CONFIG, mss: 65495, bufSegments: 1000 };
  assert.equal(scaledBuffers(c).rcvBuf, 4 * 1024 * 1024);
  const d = { ...DEFAULT_CONFIG, bufSegments: 64 };
  assert.equal(scaledBuffers(d), d);
});
