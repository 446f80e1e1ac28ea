// Send and receive buffers: ring wrap-around, reassembly, bounded out-of-order queue.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { SendBuffer } from '../../src/tcp/send-buffer.js';
import { RecvBuffer } from '../../src/tcp/recv-buffer.js';
import { add } from '../../src/tcp/seq.js';
import { bytes } from './helpers.js';

test('SendBuffer: write, read at offsets and consume across the ring wrap', () => {
  const s = new SendBuffer(10);
  assert.equal(s.write(bytes(8)), 8);
  s.consume(6);
  assert.equal(s.write(bytes(10, 8)), 8, 'only the free room is taken');
  assert.equal(s.length, 10);
  assert.deepEqual(s.read(0, 10), bytes(10, 6));
  assert.deepEqual(s.read(3, 4), bytes(4, 9));
  s.consume(10);
  assert.equal(s.length, 0);
});

test('RecvBuffer: out-of-order ranges merge and are pulled in when the hole fills', () => {
  const r = new RecvBuffer(100);
  const base = 0xfffffff0; // across the sequence wrap
  assert.equal(r.write(add(base, 20), bytes(10, 20), base), 0);
  assert.equal(r.write(add(base, 40), bytes(10, 40), base), 0);
  assert.equal(r.write(add(base, 30), bytes(10, 30), base), 0);
  assert.deepEqual(r.ooo.map((x) => [x.start, x.end]), [[add(base, 20), add(base, 50)]]);
  assert.equal(r.write(base, bytes(20, 0), base), 50);
  assert.equal(r.ooo.length, 0);
  assert.deepEqual(r.read(100), bytes(50, 0));
});

test('RecvBuffer: the out-of-order queue is bounded', () => {
  const r = new RecvBuffer(1000, 2);
  assert.equal(r.write(10, bytes(1), 0), 0);
  assert.equal(r.write(20, bytes(1), 0), 0);
  assert.equal(r.write(30, bytes(1), 0), -1, 'a third range is refused');
  assert.equal(r.write(11, bytes(1), 0), 0, 'extending a range is fine');
});

test('RecvBuffer: any arrival order reassembles the same bytes (property)', () => {
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 190 }), fc.integer({ min: 1, max: 30 })), { maxLength: 40 }), fc.integer({ min: 0, max: 2 ** 32 - 1 }), (pieces, isn) => {
      const r = new RecvBuffer(256, 64);
      const data = bytes(256);
      let nxt = isn;
      let got = 0;
      for (const [off, len0] of [...pieces, [0, 220] as [number, number]]) {
        const rel = (off - (nxt - isn)) | 0;
        let o = off;
        let len = Math.min(len0, 220 - off);
        if (rel < 0) { len += rel; o -= rel; }
        if (len <= 0) continue;
        const adv = r.write(add(isn, o), data.subarray(o, o + len), nxt);
        if (adv > 0) { nxt = add(nxt, adv); got += adv; }
      }
      assert.equal(got, 220);
      assert.deepEqual(r.read(1000), data.subarray(0, 220));
    }),
  );
});

test('SendBuffer and RecvBuffer start small and grow up to their capacity', () => {
  const s = new SendBuffer(100_000);
  for (let i = 0; i < 30; i++) assert.equal(s.write(bytes(3000, i)), 3000);
  s.consume(1000);
  assert.equal(s.write(bytes(20_000)), 11_000, 'capacity bound');
  assert.deepEqual(s.read(0, 2000), bytes(2000, 1000 % 256).map((_, k) => (1000 + k) & 0xff));
  const r = new RecvBuffer(100_000, 32, 128);
  assert.equal(r.write(50_000, bytes(1000, 7), 0), 0, 'far out of order: the ring grows to hold it');
  assert.equal(r.write(0, bytes(50_000), 0), 51_000);
  const d = r.read(100_000)!;
  assert.deepEqual(d.subarray(50_000), bytes(1000, 7));
});
