// Per-socket IP header fields (IP_TOS / IPV6_TCLASS, IP_TTL / IPV6_UNICAST_HOPS) on every packet
// a connection sends, inherited by a listener's children; TCP_NOOPT and TCP_KEEPINIT through the
// socket layer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { raw } from './raw.js';
import { throwsErrno } from './helpers.js';
import { ACK, RST, SYN } from '../../src/wire/types.js';
import type { Packet } from '../../src/wire/packet.js';

const P = '192.168.0.2';
const M = '192.168.0.1';
const P6 = '2001:db8::2';
const M6 = '2001:db8::1';

const tosOf = (p: Packet): number => (p.ip.version === 4 ? (p.ip.dscp << 2) | p.ip.ecn : p.ip.trafficClass);

test('IP_TOS/IP_TTL on a bound socket: its RST, the SYN,ACK and the child inherit them; a change on the child applies at once', () => {
  const r = raw();
  const s = r.host.sockets;
  const l = s.socket(4);
  s.setsockopt(l, 'IP_TOS', 0x20);
  s.setsockopt(l, 'IP_TTL', 4);
  s.bind(l, { addr: '0.0.0.0', port: 80 });
  // Bound, not listening: the RST answering a segment to it carries the socket's fields.
  r.inject(P, M, { srcPort: 999, dstPort: 80, seq: 100, ack: 1, flags: SYN | ACK });
  const [rst] = r.take();
  assert.equal(rst.tcp!.flags, RST);
  assert.deepEqual([tosOf(rst), rst.ttl], [0x20, 4]);
  // A RST for a port nobody uses has the defaults.
  r.inject(P, M, { srcPort: 999, dstPort: 81, seq: 100, ack: 1, flags: ACK });
  const [rst2] = r.take();
  assert.deepEqual([tosOf(rst2), rst2.ttl], [0, 64]);
  s.listen(l, 4);
  r.inject(P, M, { srcPort: 999, dstPort: 80, seq: 100, flags: SYN });
  const [synAck] = r.take();
  assert.equal(synAck.tcp!.flags, SYN | ACK);
  assert.deepEqual([tosOf(synAck), synAck.ttl], [0x20, 4]);
  r.inject(P, M, { srcPort: 999, dstPort: 80, seq: 101, ack: (synAck.tcp!.seq + 1) >>> 0, flags: ACK });
  const { fd } = s.accept(l);
  assert.equal(s.getsockopt(fd, 'IP_TOS'), 0x20);
  assert.equal(s.getsockopt(fd, 'IP_TTL'), 4);
  s.setsockopt(fd, 'TCP_NODELAY', 1);
  s.write(fd, new Uint8Array(10));
  const [d1] = r.take();
  assert.deepEqual([tosOf(d1), d1.ttl, d1.tcp!.payload.length], [0x20, 4, 10]);
  s.setsockopt(fd, 'IP_TOS', 0xe0);
  s.setsockopt(fd, 'IP_TTL', 6);
  s.write(fd, new Uint8Array(10));
  const [d2] = r.take();
  assert.deepEqual([tosOf(d2), d2.ttl], [0xe0, 6]);
});

test('IP_TOS keeps the ECN bits TCP\'s (Not-ECT without ECN, RFC 3168 6.1.1); ranges and families are checked', () => {
  const r = raw();
  const s = r.host.sockets;
  const fd = s.socket(4);
  s.setsockopt(fd, 'IP_TOS', 0x23);
  assert.equal(s.getsockopt(fd, 'IP_TOS'), 0x20);
  throwsErrno(() => s.setsockopt(fd, 'IP_TOS', 256), 'EINVAL');
  throwsErrno(() => s.setsockopt(fd, 'IP_TTL', 0), 'EINVAL');
  throwsErrno(() => s.setsockopt(fd, 'IPV6_TCLASS', 0x20), 'ENOPROTOOPT');
  assert.equal(s.getsockopt(fd, 'IP_TTL'), 64);
  s.setsockopt(fd, 'IP_TTL', 9);
  s.setsockopt(fd, 'IP_TTL', -1);
  assert.equal(s.getsockopt(fd, 'IP_TTL'), 64, '-1 restores the default');
});

test('IPV6_TCLASS/IPV6_UNICAST_HOPS on an active open: the SYN carries them', () => {
  const r = raw();
  const s = r.host.sockets;
  const fd = s.socket(6);
  s.setsockopt(fd, 'IPV6_TCLASS', 0xe0);
  s.setsockopt(fd, 'IPV6_UNICAST_HOPS', 3);
  try {
    s.connect(fd, { addr: P6, port: 80 });
  } catch {
    // EINPROGRESS
  }
  const [syn] = r.take();
  assert.equal(syn.tcp!.flags, SYN);
  assert.deepEqual([tosOf(syn), syn.ttl], [0xe0, 3]);
  void M6;
});

test('TCP_NOOPT: the SYN goes without options; TCP_KEEPINIT: connect() fails with ETIMEDOUT after that many seconds', () => {
  const r = raw({ tcp: { rtoInitial: 1000 } });
  const s = r.host.sockets;
  const fd = s.socket(4);
  s.setsockopt(fd, 'TCP_NOOPT', 1);
  s.setsockopt(fd, 'TCP_KEEPINIT', 5);
  assert.equal(s.getsockopt(fd, 'TCP_NOOPT'), 1);
  assert.equal(s.getsockopt(fd, 'TCP_KEEPINIT'), 5);
  try {
    s.connect(fd, { addr: P, port: 80 });
  } catch {
    // EINPROGRESS
  }
  const [syn] = r.take();
  assert.deepEqual(syn.tcp!.options, []);
  r.sched.runFor(4900);
  assert.equal(s.state(fd), 'SYN-SENT');
  r.sched.runFor(200);
  assert.equal(s.getsockopt(fd, 'SO_ERROR'), 110, 'ETIMEDOUT');
});
