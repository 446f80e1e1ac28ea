// Soak under faults, fast version (the long one: npm run test:soak): 200 connections in 3 rounds
// through a SimLink with loss cycling up to 30%, duplication, reordering, bit corruption (the
// checksums must catch it), jitter and link flaps. Every byte delivered exactly once and in order
// (SHA-256 per stream, both directions), every connection reaches CLOSED on both hosts, nothing
// left in the tables, no timer armed, heap stable across the rounds.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { soak, soakLine } from './soak-lib.js';

test('soak: 200 connections under loss (to 30%), duplication, reordering, corruption, jitter and flaps (SACK off)', () => {
  const r = soak({ connections: 200, rounds: 3, concurrency: 100, maxBytes: 16384, seed: 5, tcp: { sack: false } });
  console.log(`${soakLine(r)} [${Object.entries(r.faultDetail).map(([k, v]) => `${k}=${v}`).join(' ')}; checksum drops ${r.checksumDrops}; heap ${r.heapMB.map((h) => h.toFixed(1)).join('/')} MB; ${(r.virtualMs / 1000).toFixed(0)} s virtual]`);
  assert.deepEqual(r.failures, []);
  assert.equal(r.connections, 200);
  assert.equal(r.lost, 0, 'bytes lost');
  assert.equal(r.leaks, 0, 'leaks');
  assert.ok(r.faultDetail.lost > 100 && r.faultDetail.corrupted > 10 && r.faultDetail.flaps > 5, 'faults were injected');
  assert.ok(r.checksumDrops >= r.faultDetail.corrupted * 0.5, 'corrupted packets were caught by the checksums');
});

// Was a bug (docs/security.md): a full-sized data segment that also carried SACK blocks exceeded
// the MTU; the effective send MSS now leaves room for the options sent (tcp_current_mss).
test('soak: 200 connections under the same faults with SACK on', () => {
  const r = soak({ connections: 200, rounds: 3, concurrency: 100, maxBytes: 16384, seed: 5 });
  console.log(`${soakLine(r)} (SACK on) mtu: ${r.failures.length} failures`);
  assert.deepEqual(r.failures, []);
  assert.equal(r.connections, 200);
  assert.equal(r.lost, 0, 'bytes lost');
  assert.equal(r.leaks, 0, 'leaks');
});
