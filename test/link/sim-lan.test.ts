import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SimLan, parseIpText, destinationKey, formatIpBytes } from '../../src/link/sim-lan.js';
import { VirtualScheduler } from '../../src/sim/scheduler.js';
import { TraceRecorder } from '../../src/trace/trace.js';
import { ipv4Tcp, ipv6, seqOf } from './packets.js';

test('parseIpText: IPv4, IPv6 with ::, embedded IPv4; rejects garbage', () => {
  assert.deepEqual([...parseIpText('10.0.0.1')!], [10, 0, 0, 1]);
  assert.equal(parseIpText('256.0.0.1'), null);
  assert.equal(parseIpText('1.2.3'), null);
  const v6 = parseIpText('fd00::1')!;
  assert.equal(v6.length, 16);
  assert.equal(v6[0], 0xfd);
  assert.equal(v6[15], 1);
  assert.deepEqual([...parseIpText('::ffff:1.2.3.4')!.slice(10)], [0xff, 0xff, 1, 2, 3, 4]);
  assert.equal(parseIpText('1::2::3'), null);
  assert.equal(parseIpText('1:2:3:4:5:6:7:8:9'), null);
  assert.equal(formatIpBytes(parseIpText('fd00:0:0:0:0:0:0:1')!), 'fd00::1');
  assert.equal(formatIpBytes(parseIpText('192.168.1.2')!), '192.168.1.2');
});

test('destinationKey: reads IPv4 bytes 16..19 and IPv6 bytes 24..39; null for short/unknown', () => {
  assert.equal(destinationKey(ipv4Tcp({ dst: [192, 168, 0, 9] })), '4:c0a80009');
  assert.equal(destinationKey(ipv6(parseIpText('fd00::2')!)), '6:fd000000000000000000000000000002');
  assert.equal(destinationKey(new Uint8Array(10).fill(0x45)), null);
  assert.equal(destinationKey(new Uint8Array(0)), null);
  assert.equal(destinationKey(new Uint8Array(60).fill(0x55)), null);
});

function lan3(seed = 1, imp = {}) {
  const sched = new VirtualScheduler();
  const rec = new TraceRecorder();
  const lan = new SimLan({ scheduler: sched, seed, trace: rec.sink, delay: 1, ...imp });
  const got: Record<string, number[]> = { h1: [], h2: [], h3: [] };
  const ports = {
    h1: lan.attach('h1', ['10.0.0.1', 'fd00::1']),
    h2: lan.attach('h2', ['10.0.0.2']),
    h3: lan.attach('h3', ['10.0.0.3', 'fd00::3']),
  };
  for (const [n, p] of Object.entries(ports)) p.onReceive = (pkt) => got[n].push(pkt[0] >> 4 === 4 ? seqOf(pkt) : -1);
  return { sched, rec, lan, got, ports };
}

test('SimLan: delivers each packet to the owner of its destination address', () => {
  const { sched, got, ports } = lan3();
  ports.h1.send(ipv4Tcp({ seq: 1, dst: [10, 0, 0, 2] }));
  ports.h1.send(ipv4Tcp({ seq: 2, dst: [10, 0, 0, 3] }));
  ports.h3.send(ipv4Tcp({ seq: 3, src: [10, 0, 0, 3], dst: [10, 0, 0, 1] }));
  ports.h1.send(ipv6(parseIpText('fd00::3')!));
  sched.runUntilIdle();
  assert.deepEqual(got, { h1: [3], h2: [1], h3: [2, -1] });
});

test('SimLan: unknown destinations are dropped with a trace', () => {
  const { sched, got, ports, rec, lan } = lan3();
  ports.h1.send(ipv4Tcp({ dst: [10, 0, 0, 99] }));
  ports.h1.send(new Uint8Array([1, 2, 3]));
  sched.runUntilIdle();
  assert.deepEqual(got, { h1: [], h2: [], h3: [] });
  const drops = rec.ofType('drop');
  assert.equal(drops.length, 2);
  assert.ok(drops.every((d) => d.layer === 'link' && d.reason === 'unknown destination' && d.host === 'h1'));
  assert.equal(rec.ofType('link').filter((e) => e.action === 'lost').length, 2);
  lan.detach('h2');
  ports.h1.send(ipv4Tcp({ dst: [10, 0, 0, 2] }));
  sched.runUntilIdle();
  assert.equal(got.h2.length, 0);
});

test('SimLan: attach rejects duplicate names, duplicate and malformed addresses', () => {
  const { lan } = lan3();
  assert.throws(() => lan.attach('h1', ['10.0.0.50']), /already attached/);
  assert.throws(() => lan.attach('h4', ['10.0.0.2']), /already belongs to 'h2'/);
  assert.throws(() => lan.attach('h4', ['10.0.0']), /bad IP address/);
  assert.deepEqual(lan.hosts, ['h1', 'h2', 'h3']);
});

test('SimLan: same seed -> identical delivery sequence under impairments', () => {
  const once = (seed: number) => {
    const { sched, got, ports } = lan3(seed, { loss: 0.2, reorder: 0.2, duplicate: 0.1, jitter: 3 });
    for (let i = 0; i < 200; i++) {
      sched.at(i, () => ports.h1.send(ipv4Tcp({ seq: i, dst: [10, 0, 0, 2 + (i % 2)] })));
      sched.at(i, () => ports.h2.send(ipv4Tcp({ seq: 1000 + i, src: [10, 0, 0, 2], dst: [10, 0, 0, 1] })));
    }
    sched.runUntilIdle();
    return got;
  };
  assert.deepEqual(once(9), once(9));
  assert.notDeepEqual(once(9), once(10));
});

test('SimLan: per-host impairments and cable cut', () => {
  const { sched, got, ports, lan } = lan3();
  lan.configure({ loss: 1 }, 'h1');
  ports.h1.send(ipv4Tcp({ seq: 1, dst: [10, 0, 0, 2] }));
  ports.h3.send(ipv4Tcp({ seq: 2, dst: [10, 0, 0, 2] }));
  sched.runUntilIdle();
  assert.deepEqual(got.h2, [2]);
  lan.configure({ loss: 0 });
  lan.setUp(false, 'h3');
  ports.h3.send(ipv4Tcp({ seq: 3, dst: [10, 0, 0, 2] }));
  ports.h1.send(ipv4Tcp({ seq: 4, dst: [10, 0, 0, 2] }));
  sched.runUntilIdle();
  assert.deepEqual(got.h2, [2, 4]);
  assert.equal(lan.stats('h3')!.downDrops, 1);
  assert.throws(() => lan.configure({}, 'nobody'), /no host/);
});
