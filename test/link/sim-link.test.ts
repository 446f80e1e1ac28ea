import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SimLink, type SimLinkOptions } from '../../src/link/sim-link.js';
import { VirtualScheduler } from '../../src/sim/scheduler.js';
import { SeededRng } from '../../src/sim/random.js';
import { TraceRecorder } from '../../src/trace/trace.js';
import { ipv4Tcp, describeV4, seqOf } from './packets.js';

type Rx = { t: number; side: 'a' | 'b'; bytes: string };

/** Send `n` packets a->b (and n/2 b->a), one every `gap` ms, and record every arrival. */
function run(opts: Omit<SimLinkOptions, 'scheduler'>, n = 200, gap = 1, size = 100) {
  const sched = new VirtualScheduler();
  const rec = new TraceRecorder();
  const link = new SimLink({ scheduler: sched, trace: rec.sink, describe: describeV4, hostNames: { a: 'client', b: 'server' }, ...opts });
  const rx: Rx[] = [];
  link.a.onReceive = (p) => rx.push({ t: sched.now(), side: 'a', bytes: Buffer.from(p).toString('hex') });
  link.b.onReceive = (p) => rx.push({ t: sched.now(), side: 'b', bytes: Buffer.from(p).toString('hex') });
  for (let i = 0; i < n; i++) {
    sched.at(i * gap, () => link.a.send(ipv4Tcp({ seq: i, payload: size })));
    if (i % 2 === 0) sched.at(i * gap + 0.5, () => link.b.send(ipv4Tcp({ seq: 100000 + i, src: [10, 0, 0, 2], dst: [10, 0, 0, 1], flags: 0x10 })));
  }
  sched.runUntilIdle();
  return { rx, link, rec, sched };
}

const NASTY = { delay: '5ms', jitter: '2ms', loss: 0.1, duplicate: 0.05, reorder: 0.05, corrupt: 0.05, bandwidth: '10Mbit' } as const;

test('SimLink: same seed and traffic -> identical deliveries, packet for packet', () => {
  const r1 = run({ seed: 42, ...NASTY });
  const r2 = run({ seed: 42, ...NASTY });
  assert.deepEqual(r1.rx, r2.rx);
  assert.deepEqual(r1.rec.events, r2.rec.events);
  const r3 = run({ seed: 43, ...NASTY });
  assert.notDeepEqual(r1.rx, r3.rx);
});

test('SimLink: no impairments -> every packet arrives unchanged, in order, at send time + delay', () => {
  const { rx } = run({ delay: 7 }, 20, 1);
  const ab = rx.filter((r) => r.side === 'b');
  assert.equal(ab.length, 20);
  ab.forEach((r, i) => {
    assert.equal(r.t, i + 7);
    assert.equal(r.bytes, Buffer.from(ipv4Tcp({ seq: i, payload: 100 })).toString('hex'));
  });
});

test('SimLink: send() passes ownership: the packet is delivered without a copy', () => {
  const sched = new VirtualScheduler();
  const link = new SimLink({ scheduler: sched, delay: 1 });
  const got: Uint8Array[] = [];
  link.b.onReceive = (p) => got.push(p);
  const buf = ipv4Tcp({ seq: 1 });
  link.a.send(buf);
  sched.runUntilIdle();
  assert.equal(got[0], buf);
  assert.equal(seqOf(got[0]), 1);
});

test('SimLink: with corruption configured the receiver gets a private copy; the sender bytes stay intact', () => {
  const sched = new VirtualScheduler();
  const link = new SimLink({ scheduler: sched, delay: 1, corrupt: 1, seed: 3 });
  const got: Uint8Array[] = [];
  link.b.onReceive = (p) => got.push(p);
  const buf = ipv4Tcp({ seq: 1 });
  const before = Buffer.from(buf).toString('hex');
  link.a.send(buf);
  sched.runUntilIdle();
  assert.notEqual(got[0], buf);
  assert.equal(Buffer.from(buf).toString('hex'), before);
  assert.notEqual(Buffer.from(got[0]).toString('hex'), before);
});

test('SimLink: a duplicated packet arrives as two distinct buffers', () => {
  const sched = new VirtualScheduler();
  const link = new SimLink({ scheduler: sched, delay: 1, duplicate: 1 });
  const got: Uint8Array[] = [];
  link.b.onReceive = (p) => got.push(p);
  link.a.send(ipv4Tcp({ seq: 5 }));
  sched.runUntilIdle();
  assert.equal(got.length, 2);
  assert.notEqual(got[0], got[1]);
  assert.equal(seqOf(got[1]), 5);
});

test('SimLink: loss rate roughly matches the probability over many packets', () => {
  const sched = new VirtualScheduler();
  const link = new SimLink({ scheduler: sched, seed: 7, loss: '20%' });
  let n = 0;
  link.b.onReceive = () => n++;
  for (let i = 0; i < 10000; i++) link.a.send(ipv4Tcp({ seq: i }));
  sched.runUntilIdle();
  assert.ok(Math.abs(n - 8000) < 250, `delivered ${n}`);
  assert.equal(link.stats('a>b').lost, 10000 - n);
});

test('SimLink: bandwidth delays each packet by size*8/bw and queues back-to-back packets', () => {
  const sched = new VirtualScheduler();
  const link = new SimLink({ scheduler: sched, bandwidth: '1Mbit', delay: 10 });
  const times: number[] = [];
  link.b.onReceive = () => times.push(sched.now());
  const p = ipv4Tcp({ payload: 1210 }); // 1250 bytes = 10000 bits = 10 ms at 1 Mbit/s
  assert.equal(p.length, 1250);
  for (let i = 0; i < 3; i++) link.a.send(p);
  sched.runUntilIdle();
  assert.deepEqual(times, [20, 30, 40]);
});

test('SimLink: queueLimit tail-drops packets beyond the queue', () => {
  const sched = new VirtualScheduler();
  const rec = new TraceRecorder();
  const link = new SimLink({ scheduler: sched, bandwidth: '1Mbit', queueLimit: 3, trace: rec.sink });
  let n = 0;
  link.b.onReceive = () => n++;
  for (let i = 0; i < 10; i++) link.a.send(ipv4Tcp({ payload: 1210 }));
  sched.runUntilIdle();
  assert.equal(n, 3);
  assert.equal(link.stats('a>b').queueDrops, 7);
  assert.equal(rec.ofType('drop').filter((d) => d.reason === 'queue full').length, 7);
  // After the queue drains, packets are admitted again.
  link.a.send(ipv4Tcp({ payload: 1210 }));
  sched.runUntilIdle();
  assert.equal(n, 4);
});

test('SimLink: reordering lets later packets overtake; jitter alone keeps order', () => {
  const jit = run({ seed: 3, delay: 5, jitter: 4 }, 300, 1).rx.filter((r) => r.side === 'b');
  const seqs = jit.map((r) => seqOf(Buffer.from(r.bytes, 'hex')));
  assert.deepEqual(seqs, [...seqs].sort((x, y) => x - y));
  const { rx, link, rec } = run({ seed: 3, delay: 5, reorder: 0.2, reorderDelay: 20 }, 300, 1);
  const got = rx.filter((r) => r.side === 'b').map((r) => seqOf(Buffer.from(r.bytes, 'hex')));
  assert.equal(got.length, 300);
  let inversions = 0;
  for (let i = 1; i < got.length; i++) if (got[i] < got[i - 1]) inversions++;
  assert.ok(inversions > 20, `inversions ${inversions}`);
  assert.ok(link.stats('a>b').reordered > 30);
  assert.ok(rec.ofType('link').some((e) => e.action === 'reordered' && e.host === 'client' && e.flags === '.'));
});

test('SimLink: duplication delivers extra copies', () => {
  const { rx, link, rec } = run({ seed: 11, duplicate: 0.25 }, 400, 1);
  const ab = rx.filter((r) => r.side === 'b');
  const d = link.stats('a>b').duplicated;
  assert.ok(d > 60 && d < 140, `dup ${d}`);
  assert.equal(ab.length, 400 + d);
  assert.equal(rec.ofType('link').filter((e) => e.action === 'duplicated' && e.host === 'client').length, d);
});

test('SimLink: corruption flips exactly one bit', () => {
  const sched = new VirtualScheduler();
  const link = new SimLink({ scheduler: sched, seed: 5, corrupt: 1 });
  const sent = ipv4Tcp({ seq: 9, payload: 50 });
  let got: Uint8Array | null = null;
  link.b.onReceive = (p) => (got = p);
  link.a.send(sent);
  sched.runUntilIdle();
  assert.ok(got);
  let bits = 0;
  for (let i = 0; i < sent.length; i++) {
    let x = sent[i] ^ got![i];
    while (x) {
      bits += x & 1;
      x >>= 1;
    }
  }
  assert.equal(bits, 1);
  assert.equal(link.stats('a>b').corrupted, 1);
});

test('SimLink: down link drops packets sent and in flight; up again delivers', () => {
  const sched = new VirtualScheduler();
  const rec = new TraceRecorder();
  const link = new SimLink({ scheduler: sched, delay: 10, trace: rec.sink, describe: describeV4 });
  const got: number[] = [];
  link.b.onReceive = (p) => got.push(seqOf(p));
  link.a.send(ipv4Tcp({ seq: 1 })); // in flight when the link goes down
  sched.runUntil(5);
  link.setUp(false);
  assert.equal(link.up, false);
  link.a.send(ipv4Tcp({ seq: 2 }));
  sched.runUntil(20);
  link.setUp(true);
  link.a.send(ipv4Tcp({ seq: 3 }));
  sched.runUntilIdle();
  assert.deepEqual(got, [3]);
  assert.equal(link.stats('a>b').downDrops, 2);
  const lost = rec.ofType('link').filter((e) => e.action === 'lost');
  assert.deepEqual(lost.map((e) => e.seq), [2, 1]);
  assert.ok(rec.ofType('drop').every((d) => d.layer === 'link' && d.reason === 'link down'));
});

test('SimLink: packets above the mtu are dropped; mtu and checksumOffload show on the ports', () => {
  const sched = new VirtualScheduler();
  const link = new SimLink({ scheduler: sched, mtu: 576, checksumOffload: true });
  assert.equal(link.a.mtu, 576);
  assert.equal(link.b.checksumOffload, true);
  let n = 0;
  link.b.onReceive = () => n++;
  link.a.send(ipv4Tcp({ payload: 600 }));
  link.a.send(ipv4Tcp({ payload: 500 }));
  sched.runUntilIdle();
  assert.equal(n, 1);
  assert.equal(link.stats('a>b').mtuDrops, 1);
  link.mtu = 9000;
  assert.equal(link.a.mtu, 9000);
});

test('SimLink: per-direction settings and run-time changes', () => {
  const sched = new VirtualScheduler();
  const link = new SimLink({ scheduler: sched, delay: '1ms', bToA: { delay: '30ms' } });
  const t: Record<string, number[]> = { a: [], b: [] };
  link.a.onReceive = () => t.a.push(sched.now());
  link.b.onReceive = () => t.b.push(sched.now());
  link.a.send(ipv4Tcp());
  link.b.send(ipv4Tcp());
  sched.runUntilIdle();
  assert.deepEqual(t, { a: [30], b: [1] });
  link.configure({ delay: '100ms' }, 'a>b');
  assert.equal(link.impairments('a>b').delay, 100);
  assert.equal(link.impairments('b>a').delay, 30);
  const t0 = sched.now();
  link.a.send(ipv4Tcp());
  sched.runUntilIdle();
  assert.equal(t.b[1] - t0, 100);
  assert.throws(() => link.configure({ loss: '200%' }));
});

test('SimLink: lost packets are traced with the sender as host and the segment fields', () => {
  const { rec, link } = run({ seed: 1, loss: 0.3 }, 50, 1);
  const lost = rec.ofType('link').filter((e) => e.action === 'lost');
  assert.equal(lost.length, link.stats('a>b').lost + link.stats('b>a').lost);
  const c = lost.find((e) => e.host === 'client')!;
  assert.equal(c.src, '10.0.0.1:40000');
  assert.equal(c.dst, '10.0.0.2:80');
  assert.equal(c.len, 100);
  assert.match(c.summary!, /^\. \d+:\d+\(100\) ack 0$/);
});

test('SimLink: a throwing describe() does not break the link', () => {
  const sched = new VirtualScheduler();
  const rec = new TraceRecorder();
  const link = new SimLink({ scheduler: sched, loss: 1, trace: rec.sink, describe: () => { throw new Error('x'); } });
  link.a.send(ipv4Tcp());
  sched.runUntilIdle();
  assert.equal(rec.ofType('link')[0].summary, '40 bytes');
});

test('SimLink: accepts an external Rng', () => {
  const sched = new VirtualScheduler();
  const link = new SimLink({ scheduler: sched, rng: new SeededRng(1), loss: 0.5 });
  let n = 0;
  link.b.onReceive = () => n++;
  for (let i = 0; i < 100; i++) link.a.send(ipv4Tcp());
  sched.runUntilIdle();
  assert.ok(n > 20 && n < 80);
});

test('SimLink: a port with no receiver drops with a trace; traceDelivered reports deliveries', () => {
  const sched = new VirtualScheduler();
  const rec = new TraceRecorder();
  const link = new SimLink({ scheduler: sched, trace: rec.sink, traceDelivered: true, hostNames: { a: 'c', b: 's' } });
  link.a.send(ipv4Tcp());
  sched.runUntilIdle();
  assert.equal(link.stats('a>b').delivered, 0);
  assert.deepEqual(rec.ofType('drop').map((d) => [d.host, d.reason]), [['c', 'no receiver']]);
  link.b.onReceive = () => {};
  link.a.send(ipv4Tcp());
  sched.runUntilIdle();
  assert.equal(link.stats('a>b').delivered, 1);
  assert.equal(rec.ofType('link').filter((e) => e.action === 'delivered').length, 1);
});

test('SimLink: works with the wire layer describePacket (addr + port fields joined as addr:port)', async () => {
  const { describePacket } = await import('../../src/wire/packet.js');
  const sched = new VirtualScheduler();
  const rec = new TraceRecorder();
  const link = new SimLink({ scheduler: sched, loss: 1, trace: rec.sink, describe: describePacket });
  link.a.send(ipv4Tcp({ seq: 1234, flags: 0x02 }));
  sched.runUntilIdle();
  const [ev] = rec.ofType('link');
  assert.equal(ev.action, 'lost');
  assert.equal(ev.flags, 'S');
  assert.equal(ev.seq, 1234);
  assert.equal(ev.src, '10.0.0.1:40000');
  assert.equal(ev.dst, '10.0.0.2:80');
});
