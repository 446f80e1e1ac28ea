// Input path: RST for closed ports (RFC 9293 3.10.7.1), bad packets counted by reason, LISTEN
// processing (RFC 9293 3.10.7.2), children discarded, ICMP echo.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { raw } from './raw.js';
import { ACK, FIN, RST, SYN } from '../../src/wire/types.js';
import { buildIcmpPacket, buildTcpPacket } from '../../src/wire/packet.js';
import { parseAddr } from '../../src/wire/addr.js';
import { ICMP_ECHO_REQUEST, ICMP_ECHO_REPLY, ICMPV6_ECHO_REQUEST, ICMPV6_ECHO_REPLY } from '../../src/wire/icmp.js';
import { TraceRecorder } from '../../src/trace/trace.js';

const PEER = '192.168.0.2';

test('CLOSED port: SYN -> <SEQ=0><ACK=SEG.SEQ+1><CTL=RST,ACK>', () => {
  const r = raw();
  r.inject(PEER, '192.168.0.1', { srcPort: 1234, dstPort: 80, seq: 1000, flags: SYN });
  const [p] = r.take();
  assert.equal(p.tcp!.flags, RST | ACK);
  assert.equal(p.tcp!.seq, 0);
  assert.equal(p.tcp!.ack, 1001);
  assert.equal(p.dst, PEER);
  assert.equal(p.tcp!.srcPort, 80);
  assert.equal(p.tcp!.dstPort, 1234);
  const c = r.host.counters();
  assert.equal(c.tcpOutRsts, 1);
  assert.equal(c.tcpNoSocket, 1);
});

test('CLOSED port: ACK -> <SEQ=SEG.ACK><CTL=RST>; data+FIN without ACK counts SEG.LEN', () => {
  const r = raw();
  r.inject(PEER, '192.168.0.1', { srcPort: 1234, dstPort: 80, seq: 5, ack: 777, flags: ACK });
  let [p] = r.take();
  assert.equal(p.tcp!.flags, RST);
  assert.equal(p.tcp!.seq, 777);
  r.inject(PEER, '192.168.0.1', { srcPort: 1234, dstPort: 80, seq: 10, flags: FIN, payload: new Uint8Array(3) });
  [p] = r.take();
  assert.equal(p.tcp!.flags, RST | ACK);
  assert.equal(p.tcp!.ack, 14);
});

test('CLOSED port: a RST is never answered with a RST', () => {
  const r = raw();
  r.inject(PEER, '192.168.0.1', { srcPort: 1234, dstPort: 80, seq: 5, flags: RST });
  r.inject(PEER, '192.168.0.1', { srcPort: 1234, dstPort: 80, seq: 5, ack: 9, flags: RST | ACK });
  assert.equal(r.take().length, 0);
  assert.equal(r.host.counters().drops['tcp:rst-no-socket'], 2);
});

test('bad packets are dropped and counted by reason, with a DropTrace', () => {
  const tr = new TraceRecorder();
  const r = raw({ trace: tr.sink });
  r.injectBytes(new Uint8Array([0x45, 0, 0]));
  const p = new Uint8Array(40);
  p[0] = 0x45;
  p[3] = 40;
  p[9] = 6;
  r.injectBytes(p); // bad IPv4 header checksum
  // a good SYN to a closed port is answered
  r.inject(PEER, '192.168.0.1', { srcPort: 1, dstPort: 2, flags: SYN });
  assert.equal(r.take().length, 1);
  const c = r.host.counters();
  assert.equal(c.ipInHdrErrors, 2);
  assert.equal(c.drops['ip:truncated'], 1);
  assert.equal(c.drops['ip:bad-checksum'], 1);
  const drops = tr.ofType('drop');
  assert.equal(drops.length, 2);
  assert.equal(drops[0].host, 'dut');
  assert.equal(drops[0].layer, 'ip');
  // a packet for an address that is not ours
  r.inject(PEER, '192.168.0.9', { srcPort: 1, dstPort: 2, flags: SYN });
  assert.equal(r.host.counters().drops['ip:not-for-us'], 1);
  assert.equal(r.take().length, 0);
});

test('bad TCP checksum is dropped as tcp:bad-checksum, no RST', () => {
  const r = raw();
  const seg = { srcPort: 1, dstPort: 2, seq: 0, ack: 0, flags: SYN, window: 100, urgent: 0, options: {}, payload: new Uint8Array(0) };
  r.inject(PEER, '192.168.0.1', seg);
  r.take();
  // Build then flip a byte in the TCP checksum.
  const pkt = buildTcpPacket(parseAddr(PEER)!.bytes, parseAddr('192.168.0.1')!.bytes, seg);
  pkt[20 + 16] ^= 0xff;
  r.injectBytes(pkt);
  assert.equal(r.take().length, 0);
  assert.equal(r.host.counters().tcpInErrs, 1);
  assert.equal(r.host.counters().drops['tcp:bad-checksum'], 1);
});

test('LISTEN: SYN forks a child (SYN-ACK), ACK completes it into the accept queue', () => {
  const r = raw();
  const s = r.host.sockets;
  const l = s.socket(4);
  s.bind(l, { addr: '0.0.0.0', port: 80 });
  s.listen(l, 4);
  r.inject(PEER, '192.168.0.1', { srcPort: 4000, dstPort: 80, seq: 100, flags: SYN, options: { mss: 1000 } });
  const [synack] = r.take();
  assert.equal(synack.tcp!.flags, SYN | ACK);
  assert.equal(synack.tcp!.ack, 101);
  assert.equal(r.host.counters().connectionsByState['SYN-RECEIVED'], 1);
  assert.equal(s.poll(l).readable, false);
  r.inject(PEER, '192.168.0.1', { srcPort: 4000, dstPort: 80, seq: 101, ack: (synack.tcp!.seq + 1) >>> 0, flags: ACK });
  assert.equal(s.poll(l).readable, true);
  const a = s.accept(l);
  assert.deepEqual(a.remote, { addr: PEER, port: 4000 });
  assert.equal(s.state(a.fd), 'ESTABLISHED');
});

test('LISTEN: an ACK with no connection gets <SEQ=SEG.ACK><CTL=RST>; a RST is ignored', () => {
  const r = raw();
  const s = r.host.sockets;
  const l = s.socket(4);
  s.bind(l, { addr: '192.168.0.1', port: 80 });
  s.listen(l, 4);
  r.inject(PEER, '192.168.0.1', { srcPort: 4000, dstPort: 80, seq: 100, ack: 4242, flags: ACK });
  const [p] = r.take();
  assert.equal(p.tcp!.flags, RST);
  assert.equal(p.tcp!.seq, 4242);
  r.inject(PEER, '192.168.0.1', { srcPort: 4000, dstPort: 80, seq: 100, flags: RST });
  assert.equal(r.take().length, 0);
});

test('SYN-RECEIVED child: RST before accept discards it; the listener stays', () => {
  const r = raw();
  const s = r.host.sockets;
  const l = s.socket(4);
  s.bind(l, { addr: '0.0.0.0', port: 80 });
  s.listen(l, 4);
  r.inject(PEER, '192.168.0.1', { srcPort: 4000, dstPort: 80, seq: 100, flags: SYN });
  const [synack] = r.take();
  r.inject(PEER, '192.168.0.1', { srcPort: 4000, dstPort: 80, seq: 101, flags: RST });
  assert.deepEqual(r.host.connectionTable().map((x) => x.state), ['LISTEN']);
  assert.equal(r.host.timerCount, 0);
  assert.equal(synack.tcp!.flags, SYN | ACK);
  // and the same 4-tuple can connect again
  r.inject(PEER, '192.168.0.1', { srcPort: 4000, dstPort: 80, seq: 900, flags: SYN });
  assert.equal(r.take()[0].tcp!.flags, SYN | ACK);
});

test('listener close aborts unaccepted children (RST to the established one)', () => {
  const r = raw();
  const s = r.host.sockets;
  const l = s.socket(4);
  s.bind(l, { addr: '0.0.0.0', port: 80 });
  s.listen(l, 4);
  r.inject(PEER, '192.168.0.1', { srcPort: 4000, dstPort: 80, seq: 100, flags: SYN });
  const [synack] = r.take();
  r.inject(PEER, '192.168.0.1', { srcPort: 4000, dstPort: 80, seq: 101, ack: (synack.tcp!.seq + 1) >>> 0, flags: ACK });
  r.inject(PEER, '192.168.0.1', { srcPort: 4001, dstPort: 80, seq: 100, flags: SYN });
  r.take();
  s.close(l);
  const out = r.take();
  assert.ok(out.every((p) => p.tcp!.flags & RST));
  assert.ok(out.some((p) => p.tcp!.dstPort === 4000));
  assert.equal(r.host.connectionTable().length, 0);
  assert.equal(r.host.timerCount, 0);
  // port is free again
  r.inject(PEER, '192.168.0.1', { srcPort: 4002, dstPort: 80, seq: 1, flags: SYN });
  assert.equal(r.take()[0].tcp!.flags, RST | ACK);
});

for (const fam of [4, 6] as const) {
  test(`ICMP${fam === 6 ? 'v6' : ''} echo request -> echo reply with the same id, seq and data`, () => {
    const r = raw();
    const src = fam === 4 ? PEER : '2001:db8::2';
    const dst = fam === 4 ? '192.168.0.1' : '2001:db8::1';
    const data = new Uint8Array([1, 2, 3, 4, 5]);
    r.injectBytes(buildIcmpPacket(parseAddr(src)!.bytes, parseAddr(dst)!.bytes, { type: fam === 4 ? ICMP_ECHO_REQUEST : ICMPV6_ECHO_REQUEST, id: 77, seq: 3, body: data }));
    const [p] = r.take();
    assert.equal(p.src, dst);
    assert.equal(p.dst, src);
    assert.equal(p.icmp!.type, fam === 4 ? ICMP_ECHO_REPLY : ICMPV6_ECHO_REPLY);
    assert.equal(p.icmp!.id, 77);
    assert.equal(p.icmp!.seq, 3);
    assert.deepEqual([...p.icmp!.body], [...data]);
    assert.equal(r.host.counters().icmpOutEchoReps, 1);
  });
}
