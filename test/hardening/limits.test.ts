// Resource limits (docs/security.md): each is configurable through HostStack options, counted
// when hit, and holds against a peer that pushes on it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { raw } from '../stack/raw.js';
import { ACK, FIN, PSH, SYN } from '../../src/wire/types.js';
import { VirtualScheduler } from '../../src/sim/scheduler.js';
import { SimLink } from '../../src/link/sim-link.js';
import { HostStack, type HostLimits } from '../../src/stack/host.js';
import { SocketError } from '../../src/stack/types.js';

const PEER = '192.168.0.2';
const US = '192.168.0.1';

function listener(r: ReturnType<typeof raw>, backlog = 64): number {
  const s = r.host.sockets;
  const l = s.socket(4);
  s.bind(l, { addr: '0.0.0.0', port: 80 });
  s.listen(l, backlog);
  return l;
}

/** A handshake from the raw peer; returns our ISS and the peer's next sequence number. */
function handshake(r: ReturnType<typeof raw>, port: number, opts: { wscale?: boolean } = {}): { iss: number; seq: number } {
  r.inject(PEER, US, { srcPort: port, dstPort: 80, seq: 1000, flags: SYN, options: { mss: 1460, ...(opts.wscale ? { wscale: 0 } : {}) } });
  const sa = r.take().find((p) => p.tcp?.dstPort === port && p.tcp.flags === (SYN | ACK));
  assert.ok(sa, 'SYN-ACK');
  const iss = sa.tcp!.seq;
  r.inject(PEER, US, { srcPort: port, dstPort: 80, seq: 1001, ack: (iss + 1) >>> 0, flags: ACK });
  return { iss, seq: 1001 };
}

test('limit maxConnections: SYNs beyond it are dropped and counted, connect() gets ENOBUFS', () => {
  const r = raw({ limits: { maxConnections: 5 } });
  listener(r);
  for (let i = 0; i < 10; i++) r.inject(PEER, US, { srcPort: 2000 + i, dstPort: 80, seq: 1, flags: SYN });
  const c = r.host.counters();
  assert.equal(c.connections, 5);
  assert.equal(c.drops['tcp:connection-limit'], 5);
  assert.equal(c.listenDrops, 5);
  const fd = r.host.sockets.socket(4);
  assert.throws(() => r.host.sockets.connect(fd, { addr: PEER, port: 9 }), (e: unknown) => e instanceof SocketError && e.code === 'ENOBUFS');
});

test('limit maxSynBacklog / backlog: half-open connections beyond the SYN queue are dropped and counted (cookies off)', () => {
  const r = raw({ limits: { maxSynBacklog: 16 }, synCookies: false });
  listener(r, 1000); // the backlog asks for 1000; maxSynBacklog caps the SYN queue at 16
  for (let i = 0; i < 100; i++) r.inject(PEER, US, { srcPort: 3000 + i, dstPort: 80, seq: 1, flags: SYN });
  const c = r.host.counters();
  assert.equal(c.connectionsByState['SYN-RECEIVED'], 16);
  assert.equal(c.synQueueOverflows, 84);
  assert.equal(c.drops['tcp:syn-queue-full'], 84);
  // Half-open connections time out (SYN-ACK retries) and free the queue.
  r.sched.runFor(300_000);
  assert.equal(r.host.counters().connections, 0);
});

test('limit maxSynBacklog with SYN cookies: the queue stays at its limit and overflowing SYNs get cookies', () => {
  const r = raw({ limits: { maxSynBacklog: 16 }, synCookies: true });
  listener(r, 1000);
  r.take();
  for (let i = 0; i < 100; i++) r.inject(PEER, US, { srcPort: 3000 + i, dstPort: 80, seq: 1, flags: SYN });
  const c = r.host.counters();
  assert.equal(c.connectionsByState['SYN-RECEIVED'], 16);
  assert.equal(c.syncookiesSent, 84);
  assert.equal(r.take().filter((p) => p.tcp!.flags === (SYN | ACK)).length, 100, 'every SYN answered');
});

test('limit rcvBuf (SO_RCVBUF): a peer ignoring the window cannot make the receive queue grow', () => {
  const r = raw();
  const s = r.host.sockets;
  const l = s.socket(4);
  s.setsockopt(l, 'SO_RCVBUF', 4096);
  s.bind(l, { addr: '0.0.0.0', port: 80 });
  s.listen(l, 8);
  const { iss } = handshake(r, 4000);
  const fd = s.accept(l).fd;
  let seq = 1001;
  const chunk = new Uint8Array(1000).fill(7);
  for (let i = 0; i < 200; i++) {
    r.inject(PEER, US, { srcPort: 4000, dstPort: 80, seq, ack: (iss + 1) >>> 0, flags: ACK | PSH, payload: chunk });
    seq += 1000; // never mind the window
  }
  const st = s.status(fd)!;
  assert.ok(st.recvQueue <= 4096, `receive queue ${st.recvQueue}`);
  const c = r.host.counters();
  const refused = (c.connDrops['beyond window'] ?? 0) + (c.connDrops['out of window'] ?? 0);
  assert.ok(refused >= 190, `segments beyond the window refused and counted: ${refused}`);
});

test('limit sndBuf (SO_SNDBUF): write() takes at most the buffer, then EAGAIN', () => {
  const r = raw();
  const s = r.host.sockets;
  const l = s.socket(4);
  s.setsockopt(l, 'SO_SNDBUF', 4096);
  s.bind(l, { addr: '0.0.0.0', port: 80 });
  s.listen(l, 8);
  handshake(r, 4100);
  const fd = s.accept(l).fd;
  const n = s.write(fd, new Uint8Array(1 << 20));
  assert.ok(n <= 4096 && n > 0, `accepted ${n}`);
  assert.throws(() => s.write(fd, new Uint8Array(10)), (e: unknown) => e instanceof SocketError && e.code === 'EAGAIN');
});

test('limit reassembly queue: a peer sending only out-of-order data is held to 32 ranges and the window, drops counted', () => {
  const r = raw({ tcp: { rcvBuf: 64 * 1024 } });
  const s = r.host.sockets;
  const l = listener(r);
  const { iss } = handshake(r, 4200, { wscale: true });
  const fd = s.accept(l).fd;
  const e = r.host.findConnection({ addr: US, port: 80 }, { addr: PEER, port: 4200 })!;
  const rb = (e.conn as unknown as { rcvBuf: { ooo: unknown[]; oooBytes: number; maxRanges: number } }).rcvBuf;
  // 5,000 ten-byte segments, each leaving a ten-byte hole, all beyond RCV.NXT (never in order),
  // spread over the whole window and beyond it.
  for (let i = 0; i < 5000; i++) {
    const seq = (1001 + 10 + i * 20) >>> 0;
    r.inject(PEER, US, { srcPort: 4200, dstPort: 80, seq, ack: (iss + 1) >>> 0, flags: ACK, payload: new Uint8Array(10).fill(i & 0xff) });
    assert.ok(rb.ooo.length <= rb.maxRanges, `${rb.ooo.length} ranges`);
  }
  assert.equal(rb.ooo.length, 32);
  assert.ok(rb.oooBytes <= 64 * 1024, `out-of-order bytes ${rb.oooBytes}`);
  const c = r.host.counters();
  assert.ok((c.connDrops['reassembly queue full'] ?? 0) > 1000, `drops counted: ${JSON.stringify(c.connDrops)}`);
  // The hole at RCV.NXT fills: the held ranges come out in order, nothing else.
  r.inject(PEER, US, { srcPort: 4200, dstPort: 80, seq: 1001, ack: (iss + 1) >>> 0, flags: ACK, payload: new Uint8Array(10).fill(0xaa) });
  const got = s.read(fd, 1 << 20);
  assert.equal(got.length, 20, 'the hole and the first held range');
  assert.deepEqual([...got.subarray(10)], new Array(10).fill(0));
});

test('limit maxTimeWait: connections beyond the TIME-WAIT table are closed at once and counted', () => {
  const sched = new VirtualScheduler();
  const link = new SimLink({ scheduler: sched, delay: 1 });
  const limits: Partial<HostLimits> = { maxTimeWait: 3 };
  const a = new HostStack({ name: 'a', scheduler: sched, rng: 1, limits });
  const b = new HostStack({ name: 'b', scheduler: sched, rng: 2 });
  a.addInterface({ name: 'eth0', port: link.a, addresses: ['10.0.0.1/24'] });
  b.addInterface({ name: 'eth0', port: link.b, addresses: ['10.0.0.2/24'] });
  const l = b.sockets.socket(4);
  b.sockets.bind(l, { addr: '0.0.0.0', port: 80 });
  b.sockets.listen(l, 64);
  const fds: number[] = [];
  for (let i = 0; i < 10; i++) {
    const fd = a.sockets.socket(4);
    try {
      a.sockets.connect(fd, { addr: '10.0.0.2', port: 80 });
    } catch {
      /* EINPROGRESS */
    }
    fds.push(fd);
  }
  sched.runFor(50);
  const peers: number[] = [];
  for (let i = 0; i < 10; i++) peers.push(b.sockets.accept(l).fd);
  // a closes first (active close -> TIME-WAIT on a), then b.
  for (const fd of fds) a.sockets.close(fd);
  sched.runFor(50);
  for (const fd of peers) b.sockets.close(fd);
  sched.runFor(50);
  const c = a.counters();
  assert.equal(c.connectionsByState['TIME-WAIT'], 3);
  assert.equal(c.timeWaitOverflows, 7);
  assert.equal(b.counters().connections, 0, 'the peer closed cleanly (LAST-ACK acknowledged)');
  sched.runFor(120_000);
  assert.equal(a.counters().connections, 0);
});

test('limit maxSockets: socket() and accept() beyond it get EMFILE', () => {
  const r = raw({ limits: { maxSockets: 3 } });
  const s = r.host.sockets;
  s.socket(4);
  s.socket(4);
  s.socket(4);
  assert.throws(() => s.socket(4), (e: unknown) => e instanceof SocketError && e.code === 'EMFILE');
  void FIN;
});
