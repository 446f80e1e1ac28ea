// SYN flood (RFC 4987): 50,000 spoofed SYNs from random addresses and ports, in bursts of 500
// every 10 ms of virtual time, plus 20,000 blind ACKs guessing a cookie, against a listener with
// a backlog of 128 while 100 legitimate clients connect, send a request and read a reply. SYN
// cookies (stack/syncookies.ts) switch on when the SYN queue is full. The soak runner does the
// 1,000,000-SYN version.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { synFlood } from './flood-lib.js';
import { VirtualScheduler } from '../../src/sim/scheduler.js';
import { SimLink } from '../../src/link/sim-link.js';
import { HostStack } from '../../src/stack/host.js';
import { SocketError } from '../../src/stack/types.js';
import { buildTcpPacket } from '../../src/wire/packet.js';
import {
  makeCookie,
  checkCookie,
  mssIndex,
  cookieCount,
  COOKIE_MSS,
  COOKIE_SLOT_MS,
  encodeTsOptions,
  decodeTsOptions,
} from '../../src/stack/syncookies.js';

const KEY = new Uint8Array(16).map((_, i) => i * 17 + 3);
const T = { src: new Uint8Array([10, 1, 2, 3]), dst: new Uint8Array([10, 0, 0, 2]), srcPort: 40000, dstPort: 80 };

test('syncookies: a cookie round-trips its MSS index in the same and the next time slot, not later', () => {
  for (let idx = 0; idx < COOKIE_MSS.length; idx++) {
    for (const now of [0, 5_000, 63_999, 64_000, 1e9, 0xff * COOKIE_SLOT_MS + 1]) {
      const c = makeCookie(KEY, T, 0xfffffff0 + idx, idx, now);
      assert.equal(checkCookie(KEY, T, 0xfffffff0 + idx, c, now), idx);
      assert.equal(checkCookie(KEY, T, 0xfffffff0 + idx, c, now + COOKIE_SLOT_MS), idx, 'previous slot tolerated');
      assert.equal(checkCookie(KEY, T, 0xfffffff0 + idx, c, now + 2 * COOKIE_SLOT_MS), null, 'two slots old: stale');
    }
  }
  assert.notEqual(cookieCount(0), cookieCount(COOKIE_SLOT_MS));
});

test('syncookies: a cookie is bound to the 4-tuple, the peer ISN and the key', () => {
  const c = makeCookie(KEY, T, 1234, 4, 1000);
  assert.equal(checkCookie(KEY, { ...T, srcPort: 40001 }, 1234, c, 1000), null);
  assert.equal(checkCookie(KEY, { ...T, src: new Uint8Array([10, 1, 2, 4]) }, 1234, c, 1000), null);
  assert.equal(checkCookie(KEY, T, 1234 + 100_000, c, 1000), null);
  const k2 = KEY.slice();
  k2[0] ^= 1;
  assert.equal(checkCookie(k2, T, 1234, c, 1000), null);
  // Blind guesses: a random ISN passes with odds of 7/2^24 * 2/256; 50,000 guesses find none.
  let ok = 0;
  let x = 12345;
  for (let i = 0; i < 50_000; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    if (checkCookie(KEY, T, 1234, x, 1000) !== null) ok++;
  }
  assert.equal(ok, 0);
});

test('syncookies: MSS table and the TSval option bits', () => {
  assert.equal(COOKIE_MSS[mssIndex(1460)], 1460);
  assert.equal(COOKIE_MSS[mssIndex(1459)], 1440);
  assert.equal(COOKIE_MSS[mssIndex(100)], 536);
  assert.equal(COOKIE_MSS[mssIndex(65535)], 8960);
  for (const ws of [undefined, 0, 7, 14]) {
    for (const sack of [false, true]) {
      const v = encodeTsOptions(1_000_000, ws, sack);
      assert.ok(v <= 1_000_000 && v > 1_000_000 - 64, 'TSval never ahead of the clock');
      assert.deepEqual(decodeTsOptions(v), { wscale: ws, sack });
    }
  }
});

test('SYN flood: 50,000 spoofed SYNs + 20,000 blind ACKs; legitimate clients get through, the SYN queue stays at its limit', () => {
  const r = synFlood({ syns: 50_000, burst: 500, burstEveryMs: 10, legit: 100, seed: 41, ackFlood: 20_000 });
  console.log(
    `synflood: ${r.spoofedSyns} spoofed SYNs, ${r.spoofedAcks} blind ACKs, legit ${r.legitOk}/${r.legitTotal}, ` +
      `SYN queue max ${r.maxSynQueue}/${r.synLimit}, connections max ${r.maxConnections}, heap +${r.heapDeltaMB.toFixed(1)} MB, ` +
      `cookies sent ${r.counters.syncookiesSent} ok ${r.counters.syncookiesRecv} failed ${r.counters.syncookiesFailed}, ` +
      `SYN queue overflows ${r.counters.synQueueOverflows}, ${r.blackholed} SYN-ACKs to spoofed addresses, ${r.wallMs.toFixed(0)} ms`,
  );
  assert.equal(r.legitOk, r.legitTotal, 'every legitimate connection completed its exchange');
  assert.ok(r.maxSynQueue <= r.synLimit, 'SYN queue within its limit');
  assert.ok(r.maxConnections <= r.synLimit + 2 * r.legitTotal, `connections bounded: ${r.maxConnections}`);
  assert.ok(r.counters.syncookiesSent >= r.spoofedSyns - 2000, 'the flood was answered with cookies');
  assert.ok(r.counters.syncookiesRecv >= 1, 'legitimate clients came in through cookies');
  assert.ok(r.counters.syncookiesRecv <= r.legitTotal, 'no spoofed ACK was taken for a cookie');
  assert.equal(r.counters.syncookiesFailed, r.spoofedAcks, 'every blind ACK failed the cookie check');
  assert.ok(r.heapDeltaMB < 40, `heap delta ${r.heapDeltaMB.toFixed(1)} MB`);
});

test('syncookies: a connection made through a cookie keeps window scaling, SACK and timestamps and moves 2 MB intact', () => {
  const sched = new VirtualScheduler();
  const link = new SimLink({ scheduler: sched, delay: 10, seed: 4, loss: 0.01 });
  const server = new HostStack({ name: 's', scheduler: sched, rng: 5, synCookies: true, tcp: { rcvBuf: 1 << 20, sndBuf: 1 << 20 }, limits: { maxSynBacklog: 1 } });
  const client = new HostStack({ name: 'c', scheduler: sched, rng: 6, tcp: { rcvBuf: 1 << 20, sndBuf: 1 << 20 } });
  server.addInterface({ name: 'eth0', port: link.b, addresses: ['10.0.0.2/24'] });
  client.addInterface({ name: 'eth0', port: link.a, addresses: ['10.0.0.1/24'] });
  const l = server.sockets.socket(4);
  server.sockets.bind(l, { addr: '0.0.0.0', port: 80 });
  server.sockets.listen(l, 1);
  // Fill the one-entry SYN queue with a spoofed half-open connection.
  server.input('eth0', buildTcpPacket(new Uint8Array([10, 0, 0, 99]), new Uint8Array([10, 0, 0, 2]), { srcPort: 1, dstPort: 80, seq: 1, ack: 0, flags: 2, window: 1000, urgent: 0, options: {}, payload: new Uint8Array(0) }));
  const fd = client.sockets.socket(4);
  try {
    client.sockets.connect(fd, { addr: '10.0.0.2', port: 80 });
  } catch (e) {
    assert.ok(e instanceof SocketError && e.code === 'EINPROGRESS');
  }
  sched.runFor(100);
  assert.equal(server.counters().syncookiesRecv, 1, 'came in through a cookie');
  const sfd = server.sockets.accept(l).fd;
  const N = 2 << 20;
  const data = new Uint8Array(N).map((_, i) => (i * 7 + (i >>> 10)) & 0xff);
  const want = createHash('sha256').update(data).digest('hex');
  const got = createHash('sha256');
  let off = 0;
  let n = 0;
  let maxWnd = 0;
  for (let i = 0; i < 20_000 && n < N; i++) {
    if (off < N) {
      try {
        off += client.sockets.write(fd, data.subarray(off));
      } catch (e) {
        assert.ok(e instanceof SocketError && e.code === 'EAGAIN');
      }
    }
    sched.runFor(5);
    maxWnd = Math.max(maxWnd, client.sockets.status(fd)!.sndWnd);
    for (;;) {
      try {
        const d = server.sockets.read(sfd, 1 << 20);
        if (!d.length) break;
        got.update(d);
        n += d.length;
      } catch {
        break;
      }
    }
  }
  assert.equal(n, N);
  assert.equal(got.digest('hex'), want, 'stream intact');
  assert.ok(maxWnd > 65535, `window scaling survived the cookie: peer window up to ${maxWnd}`);
  const e = server.findConnection({ addr: '10.0.0.2', port: 80 }, { addr: '10.0.0.1', port: client.sockets.localAddress(fd).port })!;
  const conn = e.conn as unknown as { tsOk: boolean; sackOk: boolean };
  assert.ok(conn.tsOk && conn.sackOk, 'timestamps and SACK survived the cookie');
});
