// Fuzzing the whole input path (fast version; the soak runner has the 1,000,000-packet one):
// random packets, random well-formed segments aimed at the listener and the live connections,
// and mutations of real packets from a simulated connection's pcapng (with and without repaired
// checksums) go through HostStack.input. No throw, no hang (every input() returns quickly and
// the host drains to no connection and no timer), and every packet is accounted for: host drops
// by reason + packets accepted = packets in.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeTarget, Fuzzer, drainTarget, repairChecksums } from './fuzz-lib.js';
import { parsePacket } from '../../src/wire/packet.js';

const N = 25_000;

for (const offload of [false, true]) {
  test(`fuzz: ${N} random and mutated packets through HostStack.input (checksumOffload=${offload}) are all accounted for`, () => {
    const t = makeTarget(offload);
    // The capture is real traffic: every packet parses and has valid checksums.
    for (const p of t.captured) assert.ok(parsePacket(p, { verifyChecksums: !offload }).ok, "captured packet parses");
    const f = new Fuzzer(t, offload ? 77 : 78);
    const s = f.run(N);
    const sumDrops = Object.values(s.drops).reduce((a, b) => a + b, 0);
    assert.equal(s.packets, N);
    assert.equal(sumDrops + s.accepted, s.packets, 'host drops by reason + accepted = packets in');
    assert.equal(s.dropped, sumDrops, 'one drop reason per dropped packet');
    assert.ok(s.toConnections > 500, `packets reached connections: ${s.toConnections}`);
    assert.ok(Object.keys(s.drops).length >= 8, `distinct drop reasons: ${Object.keys(s.drops).join(' ')}`);
    if (!offload) assert.ok((s.drops['ip:bad-checksum'] ?? 0) + (s.drops['tcp:bad-checksum'] ?? 0) > 100, 'checksums catch corruption');
    assert.ok(s.slowestMs < 1000, `slowest input() ${s.slowestMs.toFixed(1)} ms`);
    const top = Object.entries(s.drops).sort((a, b) => b[1] - a[1]).slice(0, 8).map(([k, v]) => `${k}=${v}`).join(' ');
    console.log(`fuzz(offload=${offload}): ${s.packets} packets, ${s.accepted} accepted (${s.toConnections} to connections), ${s.dropped} dropped [${top}], ${s.repaired} checksum-repaired, slowest ${s.slowestMs.toFixed(2)} ms`);
    // Still a working host afterwards, and nothing leaks once every socket is closed.
    const d = drainTarget(t);
    assert.equal(d.connections, 0, 'no connection left after closing every socket');
    assert.equal(d.timers, 0, 'no timer left');
  });
}

test('fuzz: checksum repair keeps a captured packet valid (the mutator reaches past the checksums)', () => {
  const t = makeTarget(false);
  for (const p of t.captured.slice(0, 10)) {
    const q = p.slice();
    q[q.length - 1] ^= 0xff;
    assert.ok(!parsePacket(q).ok || q.length === 0, 'mutation breaks the checksum');
    repairChecksums(q);
    assert.ok(parsePacket(q).ok, 'repaired');
  }
});
