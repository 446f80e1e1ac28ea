// The socket layer: errors as errnos (Linux semantics), ports, SO_REUSEADDR, notifications.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pair, connectNb, bytes, text, drain, throwsErrno } from './helpers.js';
import { raw } from './raw.js';
import { errnoName, errnoNumber, ERRNO } from '../../src/stack/errno.js';
import { ACK, RST, SYN } from '../../src/wire/types.js';

test('SYN-SENT: RST from a closed port -> ECONNREFUSED via SO_ERROR, connect() and poll', () => {
  const { sched, a, b } = pair();
  const s = a.sockets;
  const c = s.socket(4);
  const events: string[] = [];
  s.watch(c, (ev) => events.push(ev));
  connectNb(a, c, '10.0.0.2', 9);
  assert.equal(s.poll(c).writable, false);
  sched.runFor(100);
  assert.deepEqual(events, ['error', 'closed']);
  assert.deepEqual(s.poll(c), { readable: true, writable: true, error: true, hup: true });
  assert.equal(s.getsockopt(c, 'SO_ERROR'), 111);
  assert.equal(errnoName(111), 'ECONNREFUSED');
  assert.equal(s.getsockopt(c, 'SO_ERROR'), 0, 'SO_ERROR clears the error');
  assert.equal(a.counters().tcpAttemptFails, 1);
  assert.equal(a.connectionTable().length, 0);
  // A second socket: the error is reported by the next connect() instead.
  const d = s.socket(4);
  connectNb(a, d, '10.0.0.2', 9);
  sched.runFor(100);
  throwsErrno(() => s.connect(d, { addr: '10.0.0.2', port: 9 }), 'ECONNREFUSED');
  // After a failed attempt the socket may try again (Linux): here to a port that listens.
  const l = b.sockets.socket(4);
  b.sockets.bind(l, { addr: '0.0.0.0', port: 9 });
  b.sockets.listen(l, 1);
  connectNb(a, d, '10.0.0.2', 9);
  sched.runFor(100);
  assert.equal(s.state(d), 'ESTABLISHED');
  s.close(c);
  s.close(d);
  sched.runFor(100);
  assert.equal(a.connectionTable()[0]?.state, 'FIN-WAIT-2');
});

test('errno table is Linux numbering both ways', () => {
  assert.equal(errnoNumber('EAGAIN'), 11);
  assert.equal(errnoNumber('EINPROGRESS'), 115);
  assert.equal(errnoNumber('EADDRINUSE'), 98);
  for (const [k, v] of Object.entries(ERRNO)) assert.equal(errnoName(v), k);
  assert.equal(errnoName(0), undefined);
});

test('ephemeral ports: 2000 connects to one destination get distinct ports in 32768-60999', () => {
  const small = { tcp: { rcvBuf: 4096, sndBuf: 4096 } };
  const { a } = pair({ a: small });
  const s = a.sockets;
  const ports = new Set<number>();
  for (let i = 0; i < 2000; i++) {
    const fd = s.socket(4);
    connectNb(a, fd, '10.0.0.2', 80);
    const p = s.localAddress(fd).port;
    assert.ok(p >= 32768 && p <= 60999, `port ${p}`);
    ports.add(p);
  }
  assert.equal(ports.size, 2000);
  // Not simply sequential from a fixed point: two hosts with different secrets differ.
  const { b } = pair();
  const fd = b.sockets.socket(4);
  connectNb(b, fd, '10.0.0.1', 80);
  const fa = s.socket(4);
  connectNb(a, fa, '10.0.0.2', 81);
  assert.notEqual(b.sockets.localAddress(fd).port, s.localAddress(fa).port);
});

test('ephemeral ports: a 4-tuple in TIME-WAIT is not reused, the same port to another peer port is', () => {
  const { sched, a, b } = pair({ a: { limits: { ephemeralMin: 40000, ephemeralMax: 40000 } } });
  const l = b.sockets.socket(4);
  b.sockets.bind(l, { addr: '0.0.0.0', port: 80 });
  b.sockets.listen(l, 8);
  const c = a.sockets.socket(4);
  connectNb(a, c, '10.0.0.2', 80);
  sched.runFor(50);
  const acc = b.sockets.accept(l);
  a.sockets.close(c);
  sched.runFor(50);
  b.sockets.close(acc.fd);
  sched.runFor(50);
  assert.equal(a.connectionTable()[0].state, 'TIME-WAIT');
  const d = a.sockets.socket(4);
  throwsErrno(() => a.sockets.connect(d, { addr: '10.0.0.2', port: 80 }), 'EADDRNOTAVAIL');
  connectNb(a, d, '10.0.0.2', 81);
  assert.equal(a.sockets.localAddress(d).port, 40000);
  sched.runFor(61_000);
  const e = a.sockets.socket(4);
  connectNb(a, e, '10.0.0.2', 80);
  assert.equal(a.sockets.localAddress(e).port, 40000);
});

test('bind: EADDRINUSE against a listener even with SO_REUSEADDR; EADDRNOTAVAIL; EINVAL twice', () => {
  const { a } = pair();
  const s = a.sockets;
  const l = s.socket(4);
  s.setsockopt(l, 'SO_REUSEADDR', true);
  s.bind(l, { addr: '0.0.0.0', port: 80 });
  s.listen(l, 8);
  const x = s.socket(4);
  throwsErrno(() => s.bind(x, { addr: '10.0.0.1', port: 80 }), 'EADDRINUSE');
  s.setsockopt(x, 'SO_REUSEADDR', true);
  throwsErrno(() => s.bind(x, { addr: '10.0.0.1', port: 80 }), 'EADDRINUSE');
  const v6 = s.socket(6);
  throwsErrno(() => s.bind(v6, { addr: '::', port: 80 }), 'EADDRINUSE'); // '::' is dual-stack
  throwsErrno(() => s.bind(x, { addr: '10.9.9.9', port: 81 }), 'EADDRNOTAVAIL');
  throwsErrno(() => s.bind(x, { addr: 'fd00::1', port: 81 }), 'EAFNOSUPPORT');
  s.bind(x, { addr: '10.0.0.1', port: 81 });
  throwsErrno(() => s.bind(x, { addr: '10.0.0.1', port: 82 }), 'EINVAL');
  // different specific addresses on one port do not conflict
  const y = s.socket(4);
  s.bind(y, { addr: '127.0.0.1', port: 81 });
  // port 0 picks a free port
  const z = s.socket(4);
  s.bind(z, { addr: '0.0.0.0', port: 0 });
  assert.ok(s.localAddress(z).port >= 32768);
  s.close(l);
  const w = s.socket(4);
  s.bind(w, { addr: '0.0.0.0', port: 80 });
});

test('SO_REUSEADDR: two bound sockets may share a port, but only one may listen', () => {
  const { a } = pair();
  const s = a.sockets;
  const x = s.socket(4);
  const y = s.socket(4);
  s.setsockopt(x, 'SO_REUSEADDR', 1);
  s.setsockopt(y, 'SO_REUSEADDR', 1);
  s.bind(x, { addr: '0.0.0.0', port: 90 });
  s.bind(y, { addr: '0.0.0.0', port: 90 });
  s.listen(x, 1);
  throwsErrno(() => s.listen(y, 1), 'EADDRINUSE');
  assert.equal(s.getsockopt(x, 'SO_REUSEADDR'), 1);
});

test('SO_REUSEADDR lets a server rebind over its TIME-WAIT connections; without it EADDRINUSE', () => {
  const { sched, a, b } = pair();
  const l = b.sockets.socket(4);
  b.sockets.bind(l, { addr: '0.0.0.0', port: 80 });
  b.sockets.listen(l, 8);
  const c = a.sockets.socket(4);
  connectNb(a, c, '10.0.0.2', 80);
  sched.runFor(50);
  const acc = b.sockets.accept(l);
  // server closes first: its side goes to TIME-WAIT
  b.sockets.close(acc.fd);
  sched.runFor(50);
  a.sockets.close(c);
  sched.runFor(50);
  b.sockets.close(l);
  assert.deepEqual(b.connectionTable().map((r) => r.state), ['TIME-WAIT']);
  const n = b.sockets.socket(4);
  throwsErrno(() => b.sockets.bind(n, { addr: '0.0.0.0', port: 80 }), 'EADDRINUSE');
  b.sockets.setsockopt(n, 'SO_REUSEADDR', true);
  b.sockets.bind(n, { addr: '0.0.0.0', port: 80 });
  b.sockets.listen(n, 8);
});

test('SO_REUSEPORT: two listeners share a port and SYNs are spread between them', () => {
  const { sched, a, b } = pair();
  const ls = [b.sockets.socket(4), b.sockets.socket(4)];
  for (const l of ls) {
    b.sockets.setsockopt(l, 'SO_REUSEPORT', true);
    b.sockets.bind(l, { addr: '0.0.0.0', port: 80 });
    b.sockets.listen(l, 64);
  }
  for (let i = 0; i < 20; i++) connectNb(a, a.sockets.socket(4), '10.0.0.2', 80);
  sched.runFor(100);
  const n = ls.map((l) => b.sockets.acceptQueueLength(l));
  assert.equal(n[0] + n[1], 20);
  assert.ok(n[0] > 0 && n[1] > 0, `spread ${n}`);
});

test('listen backlog: accept queue overflow drops SYNs and counts them; the peer retries later', () => {
  const { sched, a, b } = pair();
  const l = b.sockets.socket(4);
  b.sockets.bind(l, { addr: '0.0.0.0', port: 80 });
  b.sockets.listen(l, 2); // Linux: full when more than `backlog` are waiting
  const cs: number[] = [];
  for (let i = 0; i < 6; i++) {
    const c = a.sockets.socket(4);
    connectNb(a, c, '10.0.0.2', 80);
    cs.push(c);
    sched.runFor(50);
  }
  assert.equal(b.sockets.acceptQueueLength(l), 3);
  assert.deepEqual(cs.map((c) => a.sockets.state(c)), ['ESTABLISHED', 'ESTABLISHED', 'ESTABLISHED', 'SYN-SENT', 'SYN-SENT', 'SYN-SENT']);
  const c1 = b.counters();
  assert.equal(c1.listenOverflows, 3);
  assert.equal(c1.listenDrops, 3);
  assert.equal(c1.drops['tcp:listen-overflow'], 3);
  assert.equal(c1.connectionsByState['SYN-RECEIVED'], 0);
  // Accept them all as they come; SYN retransmissions get the rest in.
  const accepted: number[] = [];
  for (let t = 0; t < 20 && accepted.length < 6; t++) {
    for (;;) {
      try {
        accepted.push(b.sockets.accept(l).fd);
      } catch {
        break;
      }
    }
    sched.runFor(1000);
  }
  assert.equal(accepted.length, 6);
  for (const c of cs) assert.equal(a.sockets.state(c), 'ESTABLISHED');
});

test('listen backlog: the completing ACK is ignored while the accept queue is full', () => {
  const r = raw();
  const s = r.host.sockets;
  const l = s.socket(4);
  s.bind(l, { addr: '0.0.0.0', port: 80 });
  s.listen(l, 2); // 2 half-open, 3 completed may wait
  const synacks = new Map<number, number>();
  const syn = (port: number) => {
    r.inject('192.168.0.2', '192.168.0.1', { srcPort: port, dstPort: 80, seq: 1, flags: SYN });
    synacks.set(port, r.take()[0].tcp!.seq);
  };
  const ack = (port: number, iss = synacks.get(port)!) =>
    r.inject('192.168.0.2', '192.168.0.1', { srcPort: port, dstPort: 80, seq: 2, ack: (iss + 1) >>> 0, flags: ACK });
  syn(1000);
  syn(1001);
  ack(1000);
  ack(1001);
  syn(1002);
  syn(1003);
  ack(1002);
  assert.equal(s.acceptQueueLength(l), 3);
  ack(1003); // ignored: the accept queue is full
  assert.equal(s.acceptQueueLength(l), 3);
  const c = r.host.counters();
  assert.equal(c.listenOverflows, 1);
  assert.equal(c.connectionsByState['SYN-RECEIVED'], 1);
  s.accept(l);
  // the child retransmits its SYN-ACK; the peer's ACK now completes it
  r.sched.runFor(1500);
  const again = r.take().find((p) => p.tcp!.flags === (SYN | ACK));
  assert.ok(again, 'SYN-ACK retransmitted');
  ack(1003);
  assert.equal(s.acceptQueueLength(l), 3);
});

test('SYN queue limit: half-open connections beyond it are dropped and counted (cookies off)', () => {
  const r = raw({ synCookies: false });
  const s = r.host.sockets;
  const l = s.socket(4);
  s.bind(l, { addr: '0.0.0.0', port: 80 });
  s.listen(l, 3);
  for (let i = 0; i < 5; i++) r.inject('192.168.0.2', '192.168.0.1', { srcPort: 5000 + i, dstPort: 80, seq: 1, flags: SYN });
  const out = r.take();
  assert.equal(out.length, 3);
  assert.ok(out.every((p) => p.tcp!.flags === (SYN | ACK)));
  const c = r.host.counters();
  assert.equal(c.synQueueOverflows, 2);
  assert.equal(c.listenDrops, 2);
  assert.equal(c.drops['tcp:syn-queue-full'], 2);
  assert.equal(c.connectionsByState['SYN-RECEIVED'], 3);
});

test('SYN cookie hook is consulted when the SYN queue is full', () => {
  const seen: number[] = [];
  const r = raw({
    synCookies: {
      synQueueFull: (_l, _ip, syn) => {
        seen.push(syn.srcPort);
        return true;
      },
      ackToListener: () => false,
    },
  });
  const s = r.host.sockets;
  const l = s.socket(4);
  s.bind(l, { addr: '0.0.0.0', port: 80 });
  s.listen(l, 1);
  r.inject('192.168.0.2', '192.168.0.1', { srcPort: 1, dstPort: 80, seq: 1, flags: SYN });
  r.inject('192.168.0.2', '192.168.0.1', { srcPort: 2, dstPort: 80, seq: 1, flags: SYN });
  assert.deepEqual(seen, [2]);
  assert.equal(r.host.counters().listenDrops, 0);
});

test('read/write errnos: ENOTCONN, EPIPE after shutdown, EOF as an empty read, EAGAIN', () => {
  const { sched, a, b } = pair();
  const s = a.sockets;
  const u = s.socket(4);
  throwsErrno(() => s.read(u, 10), 'ENOTCONN');
  throwsErrno(() => s.write(u, bytes('x')), 'EPIPE');
  throwsErrno(() => s.remoteAddress(u), 'ENOTCONN');
  throwsErrno(() => s.shutdown(u, 'wr'), 'ENOTCONN');
  throwsErrno(() => s.accept(u), 'EINVAL');
  throwsErrno(() => s.read(99, 1), 'EBADF');
  const l = b.sockets.socket(4);
  b.sockets.bind(l, { addr: '0.0.0.0', port: 80 });
  b.sockets.listen(l, 8);
  const c = s.socket(4);
  connectNb(a, c, '10.0.0.2', 80);
  throwsErrno(() => s.write(c, bytes('early')), 'EAGAIN');
  sched.runFor(50);
  throwsErrno(() => s.connect(c, { addr: '10.0.0.2', port: 80 }), 'EISCONN');
  const { fd } = b.sockets.accept(l);
  s.write(c, bytes('abc'));
  s.shutdown(c, 'wr');
  throwsErrno(() => s.write(c, bytes('x')), 'EPIPE');
  sched.runFor(50);
  const got = drain(b, fd);
  assert.equal(text(got.data), 'abc');
  assert.equal(got.eof, true);
  assert.equal(b.sockets.read(fd, 10).length, 0, 'EOF again');
  // half-close: b can still write to a
  b.sockets.write(fd, bytes('reply'));
  sched.runFor(50);
  assert.equal(text(s.read(c, 100)), 'reply');
  throwsErrno(() => s.read(c, 100), 'EAGAIN');
  b.sockets.close(fd);
  sched.runFor(50);
  assert.equal(s.read(c, 100).length, 0);
  assert.equal(s.state(c), 'TIME-WAIT');
});

test('setsockopt/getsockopt map onto the connection config', () => {
  const { sched, a, b } = pair();
  const s = a.sockets;
  const c = s.socket(4);
  s.setsockopt(c, 'TCP_NODELAY', true);
  s.setsockopt(c, 'SO_KEEPALIVE', true);
  s.setsockopt(c, 'TCP_KEEPIDLE', 30);
  s.setsockopt(c, 'TCP_KEEPINTVL', 5);
  s.setsockopt(c, 'TCP_KEEPCNT', 4);
  s.setsockopt(c, 'TCP_USER_TIMEOUT', 12345);
  s.setsockopt(c, 'SO_RCVBUF', 100_000);
  s.setsockopt(c, 'TCP_MAXSEG', 1000);
  throwsErrno(() => s.setsockopt(c, 'TCP_KEEPCNT', 0), 'EINVAL');
  throwsErrno(() => s.setsockopt(c, 'SO_ERROR', 1), 'ENOPROTOOPT');
  const l = b.sockets.socket(4);
  b.sockets.bind(l, { addr: '0.0.0.0', port: 80 });
  b.sockets.listen(l, 8);
  connectNb(a, c, '10.0.0.2', 80);
  sched.runFor(50);
  const e = a.connections()[0];
  assert.equal(e.conn.config.nagle, false);
  assert.equal(e.conn.config.keepAlive, true);
  assert.equal(e.conn.config.keepAliveIdle, 30_000);
  assert.equal(e.conn.config.keepAliveInterval, 5_000);
  assert.equal(e.conn.config.keepAliveCount, 4);
  assert.equal(e.conn.config.userTimeout, 12345);
  assert.equal(e.conn.config.rcvBuf, 100_000);
  assert.equal(e.conn.config.mss, 1000);
  assert.equal(s.getsockopt(c, 'TCP_NODELAY'), 1);
  assert.equal(s.getsockopt(c, 'TCP_KEEPIDLE'), 30);
  assert.equal(s.getsockopt(c, 'TCP_MAXSEG'), 1000);
  // live change
  s.setsockopt(c, 'TCP_NODELAY', false);
  assert.equal(e.conn.config.nagle, true);
  // accepted sockets inherit the listener's options
  const { fd } = b.sockets.accept(l);
  assert.equal(b.sockets.getsockopt(fd, 'TCP_NODELAY'), 0);
});

test('close with unread data aborts with RST (RFC 2525); SO_LINGER 0 aborts too', () => {
  const { sched, a, b } = pair();
  const l = b.sockets.socket(4);
  b.sockets.bind(l, { addr: '0.0.0.0', port: 80 });
  b.sockets.listen(l, 8);
  const c = a.sockets.socket(4);
  connectNb(a, c, '10.0.0.2', 80);
  sched.runFor(50);
  const { fd } = b.sockets.accept(l);
  a.sockets.write(c, bytes('unread'));
  sched.runFor(50);
  const before = b.counters().tcpOutRsts;
  b.sockets.close(fd);
  assert.equal(b.counters().tcpOutRsts, before + 1);
  sched.runFor(50);
  throwsErrno(() => a.sockets.read(c, 10), 'ECONNRESET');
  assert.equal(a.connectionTable().length, 0);
  const d = a.sockets.socket(4);
  a.sockets.setsockopt(d, 'SO_LINGER', { onoff: true, linger: 0 });
  connectNb(a, d, '10.0.0.2', 80);
  sched.runFor(50);
  a.sockets.close(d);
  assert.equal(a.counters().tcpOutRsts, 1);
  assert.equal(a.connectionTable().length, 0);
});

test('notifications are never delivered inside a socket call, and callbacks may call back in', () => {
  const { sched, a, b } = pair();
  const l = b.sockets.socket(4);
  b.sockets.bind(l, { addr: '0.0.0.0', port: 80 });
  b.sockets.listen(l, 8);
  let inCall = false;
  const log: string[] = [];
  let server = -1;
  b.sockets.watch(l, (ev) => {
    assert.equal(inCall, false);
    log.push(`l:${ev}`);
    server = b.sockets.accept(l).fd;
    b.sockets.watch(server, (ev2) => {
      log.push(`s:${ev2}`);
      if (ev2 === 'readable') {
        const d = b.sockets.read(server, 100);
        b.sockets.write(server, d); // echo from inside the callback
      }
    });
  });
  const c = a.sockets.socket(4);
  a.sockets.watch(c, (ev) => {
    assert.equal(inCall, false);
    log.push(`c:${ev}`);
  });
  inCall = true;
  connectNb(a, c, '10.0.0.2', 80);
  inCall = false;
  sched.runFor(50);
  inCall = true;
  a.sockets.write(c, bytes('ping'));
  inCall = false;
  sched.runFor(50);
  assert.equal(text(a.sockets.read(c, 10)), 'ping');
  assert.ok(log.includes('c:connect'));
  assert.ok(log.includes('l:accept'));
  assert.ok(log.includes('s:readable'));
  assert.ok(log.includes('c:readable'));
});

test('RST to an established connection: ECONNRESET, counted as a reset received', () => {
  const r = raw();
  const s = r.host.sockets;
  const c = s.socket(4);
  connectNb(r.host, c, '192.168.0.2', 80);
  const [syn] = r.take();
  assert.equal(syn.tcp!.flags & SYN, SYN);
  r.inject('192.168.0.2', '192.168.0.1', { srcPort: 80, dstPort: syn.tcp!.srcPort, seq: 500, ack: (syn.tcp!.seq + 1) >>> 0, flags: SYN | ACK });
  assert.equal(s.state(c), 'ESTABLISHED');
  r.take();
  r.inject('192.168.0.2', '192.168.0.1', { srcPort: 80, dstPort: syn.tcp!.srcPort, seq: 501, flags: RST });
  throwsErrno(() => s.read(c, 1), 'ECONNRESET');
  const k = r.host.counters();
  assert.equal(k.tcpInRsts, 1);
  assert.equal(k.tcpEstabResets, 1);
});

test('MSG_PEEK sees everything queued, including data that arrived after an earlier peek', () => {
  const { sched, a, b } = pair();
  const l = b.sockets.socket(4);
  b.sockets.bind(l, { addr: '0.0.0.0', port: 80 });
  b.sockets.listen(l, 8);
  const c = a.sockets.socket(4);
  connectNb(a, c, '10.0.0.2', 80);
  sched.runFor(50);
  const { fd } = b.sockets.accept(l);
  a.sockets.write(c, bytes('hello '));
  sched.runFor(50);
  assert.equal(text(b.sockets.read(fd, 100, { peek: true })), 'hello ');
  a.sockets.write(c, bytes('world'));
  sched.runFor(50);
  assert.equal(text(b.sockets.read(fd, 100, { peek: true })), 'hello world');
  assert.equal(b.sockets.inq(fd), 11);
  assert.equal(text(b.sockets.read(fd, 3)), 'hel');
  assert.equal(text(b.sockets.read(fd, 3, { peek: true })), 'lo ');
  a.sockets.write(c, bytes('!'));
  sched.runFor(50);
  assert.equal(text(b.sockets.read(fd, 100)), 'lo world!');
  throwsErrno(() => b.sockets.read(fd, 100), 'EAGAIN');
});

test('options set on a listener after listen() apply to connections accepted later', () => {
  const { sched, a, b } = pair();
  const l = b.sockets.socket(4);
  b.sockets.bind(l, { addr: '0.0.0.0', port: 80 });
  b.sockets.listen(l, 8);
  b.sockets.setsockopt(l, 'TCP_NODELAY', true);
  b.sockets.setsockopt(l, 'TCP_MAXSEG', 1200);
  connectNb(a, a.sockets.socket(4), '10.0.0.2', 80);
  sched.runFor(50);
  const { fd } = b.sockets.accept(l);
  assert.equal(b.sockets.getsockopt(fd, 'TCP_NODELAY'), 1);
  assert.equal(b.sockets.getsockopt(fd, 'TCP_MAXSEG'), 1200);
});

test('TCP_NOTSENT_LOWAT: writable only while fewer unsent bytes than the mark; a blocked writer is woken', () => {
  for (const viaLimit of [false, true]) {
    const { sched, a, b } = pair(viaLimit ? { a: { limits: { notsentLowat: 3000 } } } : {});
    const l = b.sockets.socket(4);
    b.sockets.bind(l, { addr: '0.0.0.0', port: 80 });
    b.sockets.listen(l, 8);
    const c = a.sockets.socket(4);
    connectNb(a, c, '10.0.0.2', 80);
    sched.runFor(50);
    b.sockets.accept(l);
    const s = a.sockets;
    if (!viaLimit) s.setsockopt(c, 'TCP_NOTSENT_LOWAT', 3000);
    assert.equal(s.getsockopt(c, 'TCP_NOTSENT_LOWAT'), viaLimit ? 0 : 3000, 'the option is separate from the host default');
    const events: string[] = [];
    s.watch(c, (ev) => events.push(ev));
    const unsent = (): number => {
      const st = s.status(c)!;
      return st.sendQueue - ((st.sndNxt - st.sndUna) >>> 0);
    };
    const n = s.write(c, new Uint8Array(200_000));
    const mss = s.status(c)!.sndMss;
    // Bytes are taken while fewer than 3000 are unsent, a segment at a time.
    assert.ok(unsent() >= 3000 && unsent() < 3000 + mss, `unsent ${unsent()}`);
    assert.ok(n < 200_000 && n === s.status(c)!.sendQueue, `wrote ${n}`);
    assert.equal(s.poll(c).writable, false);
    throwsErrno(() => s.write(c, new Uint8Array(10)), 'EAGAIN');
    let wokenWith = -1;
    s.watch(c, (ev) => {
      if (ev === 'writable' && wokenWith < 0) wokenWith = unsent();
    });
    sched.runFor(200); // ACKs open the window: queued data goes out
    assert.ok(events.includes('writable'), `events ${events.join(',')}`);
    assert.ok(wokenWith >= 0 && wokenWith < 3000, `woken with ${wokenWith} unsent`);
    assert.equal(s.poll(c).writable, true);
    assert.ok(s.write(c, new Uint8Array(200_000)) > 0);
  }
  // Without a mark, the send buffer alone limits a write (Linux default 0xffffffff).
  const { sched, a, b } = pair();
  const l = b.sockets.socket(4);
  b.sockets.bind(l, { addr: '0.0.0.0', port: 80 });
  b.sockets.listen(l, 8);
  const c = a.sockets.socket(4);
  connectNb(a, c, '10.0.0.2', 80);
  sched.runFor(50);
  const sndBuf = a.sockets.getsockopt(c, 'SO_SNDBUF');
  assert.equal(a.sockets.write(c, new Uint8Array(sndBuf * 2)), sndBuf);
});
