// Loopback inside one stack, and many connections at once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { VirtualScheduler } from '../../src/sim/scheduler.js';
import { HostStack } from '../../src/stack/host.js';
import { SocketError } from '../../src/stack/types.js';
import { pair, connectNb, drain } from './helpers.js';

for (const [fam, addr, wild] of [[4, '127.0.0.1', '0.0.0.0'], [6, '::1', '::']] as const) {
  test(`loopback over ${addr}: connect, echo, close inside one stack (asynchronous delivery)`, () => {
    const sched = new VirtualScheduler();
    const h = new HostStack({ name: 'solo', scheduler: sched });
    const s = h.sockets;
    const l = s.socket(fam);
    s.bind(l, { addr: wild, port: 5000 });
    s.listen(l, 8);
    const c = s.socket(fam);
    connectNb(h, c, addr, 5000);
    assert.equal(s.state(c), 'SYN-SENT', 'nothing is delivered inside connect()');
    sched.runFor(1);
    assert.equal(s.state(c), 'ESTABLISHED');
    const { fd, remote } = s.accept(l);
    assert.equal(remote.addr, addr);
    assert.equal(s.localAddress(c).addr, addr);
    const big = new Uint8Array(200_000).map((_, i) => (i * 7) & 0xff);
    let off = 0;
    const got: Uint8Array[] = [];
    let gotLen = 0;
    for (let i = 0; i < 1000 && gotLen < big.length; i++) {
      if (off < big.length) {
        try {
          off += s.write(c, big.subarray(off));
        } catch (e) {
          if (!(e instanceof SocketError) || e.code !== 'EAGAIN') throw e;
        }
      }
      sched.runFor(1);
      const d = drain(h, fd).data;
      got.push(d);
      gotLen += d.length;
    }
    const all = new Uint8Array(gotLen);
    let o = 0;
    for (const g of got) {
      all.set(g, o);
      o += g.length;
    }
    assert.deepEqual(all, big);
    // segments on lo are large: MSS from the 64 KiB MTU
    assert.ok(h.connections()[0].conn.config.mss > 60_000);
    s.close(c);
    sched.runFor(10);
    assert.equal(drain(h, fd).eof, true);
    s.close(fd);
    s.close(l);
    sched.runFor(61_000);
    assert.equal(h.connectionTable().length, 0);
    assert.equal(h.timerCount, 0);
    assert.equal(sched.pending, 0);
  });
}

test('connecting to one of our own non-loopback addresses goes through lo', () => {
  const { sched, a } = pair();
  const s = a.sockets;
  const l = s.socket(4);
  s.bind(l, { addr: '10.0.0.1', port: 80 });
  s.listen(l, 1);
  const c = s.socket(4);
  connectNb(a, c, '10.0.0.1', 80);
  sched.runFor(1);
  assert.equal(s.state(c), 'ESTABLISHED');
  assert.equal(s.localAddress(c).addr, '10.0.0.1');
});

test('a host without loopback has no lo interface', () => {
  const sched = new VirtualScheduler();
  const h = new HostStack({ scheduler: sched, loopback: false });
  assert.equal(h.interfaces().length, 0);
  const fd = h.sockets.socket(4);
  assert.throws(() => h.sockets.connect(fd, { addr: '127.0.0.1', port: 1 }), /no route/);
});

test('1000 concurrent connections on one listener echo data, every byte verified', () => {
  const small = { tcp: { rcvBuf: 16384, sndBuf: 16384 } };
  const { sched, a, b } = pair({ a: small, b: small, link: { delay: 2 } });
  const N = 1000;
  const L = b.sockets.socket(4);
  b.sockets.bind(L, { addr: '0.0.0.0', port: 7 });
  b.sockets.listen(L, 1024);
  // The echo server is event driven through watch().
  const servers = new Set<number>();
  const echo = (fd: number) => {
    for (;;) {
      let d: Uint8Array;
      try {
        d = b.sockets.read(fd, 65536);
      } catch (e) {
        if (e instanceof SocketError && e.code === 'EAGAIN') return;
        throw e;
      }
      if (d.length === 0) {
        b.sockets.close(fd);
        servers.delete(fd);
        return;
      }
      const n = b.sockets.write(fd, d); // 2 KiB per client: always fits
      assert.equal(n, d.length);
    }
  };
  b.sockets.watch(L, (ev) => {
    if (ev !== 'accept') return;
    for (;;) {
      let fd: number;
      try {
        fd = b.sockets.accept(L).fd;
      } catch {
        return;
      }
      servers.add(fd);
      b.sockets.watch(fd, (e2) => {
        if (e2 === 'readable' || e2 === 'eof') echo(fd);
      });
      echo(fd);
    }
  });
  const payload = (i: number) => {
    const p = new Uint8Array(2048);
    for (let k = 0; k < p.length; k++) p[k] = (i * 131 + k * 7) & 0xff;
    return p;
  };
  const clients: { fd: number; got: Uint8Array[]; len: number; sent: boolean; eof: boolean }[] = [];
  for (let i = 0; i < N; i++) {
    const fd = a.sockets.socket(4);
    const st = { fd, got: [] as Uint8Array[], len: 0, sent: false, eof: false };
    clients.push(st);
    a.sockets.watch(fd, (ev) => {
      if (ev === 'connect' && !st.sent) {
        assert.equal(a.sockets.write(fd, payload(i)), 2048);
        a.sockets.shutdown(fd, 'wr');
        st.sent = true;
      }
      if (ev === 'readable' || ev === 'eof') {
        const r = drain(a, fd);
        if (r.data.length) {
          st.got.push(r.data);
          st.len += r.data.length;
        }
        if (r.eof) st.eof = true;
      }
    });
    connectNb(a, fd, '10.0.0.2', 7);
  }
  sched.runFor(10_000);
  let ok = 0;
  for (let i = 0; i < N; i++) {
    const st = clients[i];
    assert.ok(st.sent, `client ${i} connected`);
    assert.ok(st.eof, `client ${i} saw EOF`);
    const all = new Uint8Array(st.len);
    let o = 0;
    for (const g of st.got) {
      all.set(g, o);
      o += g.length;
    }
    assert.deepEqual(all, payload(i));
    ok++;
  }
  assert.equal(ok, N);
  assert.equal(servers.size, 0);
  assert.equal(b.counters().tcpPassiveOpens, N);
  assert.equal(a.counters().tcpActiveOpens, N);
  assert.equal(b.counters().listenDrops, 0);
  // The clients half-closed first, so they end in TIME-WAIT; the server side is gone.
  assert.equal(a.counters().connectionsByState['TIME-WAIT'], N);
  // N connections with timers, one scheduler wakeup for them all.
  assert.equal(a.timerCount, N);
  assert.equal(sched.pending, 1);
  for (const c of clients) a.sockets.close(c.fd);
  sched.runFor(61_000);
  assert.equal(a.connectionTable().length, 0);
  assert.equal(b.connectionTable().length, 1); // the listener
  assert.equal(a.timerCount + b.timerCount, 0);
});

test("a '::' listener is dual-stack: IPv4 clients connect and show IPv4 addresses", () => {
  const { sched, a, b } = pair();
  const l = b.sockets.socket(6);
  b.sockets.bind(l, { addr: '::', port: 80 });
  b.sockets.listen(l, 8);
  const c4 = a.sockets.socket(4);
  connectNb(a, c4, '10.0.0.2', 80);
  const c6 = a.sockets.socket(6);
  connectNb(a, c6, 'fd00::2', 80);
  sched.runFor(50);
  const r1 = b.sockets.accept(l);
  const r2 = b.sockets.accept(l);
  assert.deepEqual([r1.remote.addr, r2.remote.addr].sort(), ['10.0.0.1', 'fd00::1']);
  assert.equal(a.sockets.state(c4), 'ESTABLISHED');
  assert.equal(a.sockets.state(c6), 'ESTABLISHED');
  // while a '0.0.0.0' listener on another port takes IPv4 only
  const l4 = b.sockets.socket(4);
  b.sockets.bind(l4, { addr: '0.0.0.0', port: 81 });
  b.sockets.listen(l4, 8);
  const d6 = a.sockets.socket(6);
  connectNb(a, d6, 'fd00::2', 81);
  sched.runFor(50);
  assert.equal(a.sockets.getsockopt(d6, 'SO_ERROR'), 111);
});
