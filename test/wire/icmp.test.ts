import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  buildTcpPacket,
  buildIcmpPacket,
  parsePacket,
  parseIcmp,
  emitIcmp,
  emitIcmpv6,
  parseIcmpv6,
  quoteOf,
  parseIPv4,
  parseIPv6,
  ICMP_DEST_UNREACHABLE,
  ICMP_TIME_EXCEEDED,
  ICMP_UNREACH,
  ICMPV6_PACKET_TOO_BIG,
  ICMPV6_DEST_UNREACHABLE,
  ICMPV6_TIME_EXCEEDED,
  ICMPV6_UNREACH,
  SYN,
  type Segment,
} from '../../src/wire/index.js';

const seg: Segment = { srcPort: 40000, dstPort: 443, seq: 0xdeadbeef, ack: 0, flags: SYN, window: 65535, urgent: 0, options: { mss: 1460 }, payload: new Uint8Array(0) };
const host = parseIPv4('10.0.0.1')!;
const peer = parseIPv4('10.9.9.9')!;
const router = parseIPv4('10.0.0.254')!;
const host6 = parseIPv6('fd00::1')!;
const peer6 = parseIPv6('fd00:9::9')!;
const router6 = parseIPv6('fd00::fe')!;

test('ICMPv4 frag-needed (RFC 1191 4): next-hop MTU and the quoted TCP ports/seq', () => {
  const orig = buildTcpPacket(host, peer, seg);
  const pkt = buildIcmpPacket(router, host, { type: ICMP_DEST_UNREACHABLE, code: ICMP_UNREACH.fragNeeded, mtu: 1400, body: quoteOf(orig, 4) });
  assert.equal(pkt.length, 20 + 8 + 28); // IP header + 64 bits quoted (RFC 792)
  const r = parsePacket(pkt);
  assert.ok(r.ok);
  const m = r.value.icmp!;
  assert.equal(m.kind, 'destUnreachable');
  assert.equal(m.code, 4);
  assert.equal(m.mtu, 1400);
  assert.deepEqual(m.quote, { version: 4, src: host, dst: peer, protocol: 6, srcPort: 40000, dstPort: 443, seq: 0xdeadbeef });
});

test('ICMPv4 port unreachable and time exceeded quote the original; emit/parse round-trips', () => {
  const orig = buildTcpPacket(host, peer, seg);
  for (const [type, code] of [[ICMP_DEST_UNREACHABLE, ICMP_UNREACH.port], [ICMP_TIME_EXCEEDED, 0], [ICMP_DEST_UNREACHABLE, ICMP_UNREACH.adminProhibited]]) {
    const bytes = emitIcmp({ type, code, body: quoteOf(orig, 4) });
    const r = parseIcmp(bytes);
    assert.ok(r.ok);
    assert.equal(r.value.kind, type === ICMP_TIME_EXCEEDED ? 'timeExceeded' : 'destUnreachable');
    assert.equal(r.value.mtu, undefined);
    assert.equal(r.value.quote!.seq, 0xdeadbeef);
    assert.deepEqual(emitIcmp({ type: r.value.type, code: r.value.code, rest: r.value.rest, body: r.value.body }), bytes);
  }
});

test('ICMPv4: a quote too short for ports still gives addresses; unreadable quotes give none', () => {
  const orig = buildTcpPacket(host, peer, seg);
  const r = parseIcmp(emitIcmp({ type: ICMP_DEST_UNREACHABLE, code: 1, body: orig.subarray(0, 22) }));
  assert.ok(r.ok);
  assert.deepEqual(r.value.quote, { version: 4, src: host, dst: peer, protocol: 6 });
  const junk = parseIcmp(emitIcmp({ type: ICMP_DEST_UNREACHABLE, code: 1, body: new Uint8Array([0x45, 1, 2]) }));
  assert.ok(junk.ok);
  assert.equal(junk.value.quote, undefined);
});

test('ICMPv6 packet too big (RFC 4443 3.2): MTU and the quoted TCP header', () => {
  const orig = buildTcpPacket(host6, peer6, seg);
  const pkt = buildIcmpPacket(router6, host6, { type: ICMPV6_PACKET_TOO_BIG, code: 0, mtu: 1280, body: quoteOf(orig, 6) });
  const r = parsePacket(pkt);
  assert.ok(r.ok, JSON.stringify(!r.ok && r.error));
  const m = r.value.icmp!;
  assert.equal(m.kind, 'packetTooBig');
  assert.equal(m.mtu, 1280);
  assert.deepEqual(m.quote, { version: 6, src: host6, dst: peer6, protocol: 6, srcPort: 40000, dstPort: 443, seq: 0xdeadbeef });
});

test('ICMPv6 destination unreachable / time exceeded: pseudo-header checksum (RFC 4443 2.3)', () => {
  const orig = buildTcpPacket(host6, peer6, seg);
  for (const [type, code, kind] of [[ICMPV6_DEST_UNREACHABLE, ICMPV6_UNREACH.port, 'destUnreachable'], [ICMPV6_TIME_EXCEEDED, 0, 'timeExceeded']] as const) {
    const bytes = emitIcmpv6({ type, code, body: quoteOf(orig, 6) }, router6, host6);
    const r = parseIcmpv6(bytes, { src: router6, dst: host6 });
    assert.ok(r.ok);
    assert.equal(r.value.kind, kind);
    assert.equal(r.value.quote!.dstPort, 443);
    const wrong = parseIcmpv6(bytes, { src: peer6, dst: host6 });
    assert.ok(!wrong.ok);
  }
});

test('ICMP echo: id/seq/data round-trip in both families', () => {
  const data = new TextEncoder().encode('hello');
  const r4 = parsePacket(buildIcmpPacket(host, peer, { type: 8, id: 7, seq: 9, body: data }));
  assert.ok(r4.ok);
  assert.deepEqual([r4.value.icmp!.kind, r4.value.icmp!.id, r4.value.icmp!.seq, r4.value.icmp!.body], ['echoRequest', 7, 9, data]);
  const r6 = parsePacket(buildIcmpPacket(host6, peer6, { type: 129, id: 7, seq: 9, body: data }));
  assert.ok(r6.ok);
  assert.deepEqual([r6.value.icmp!.kind, r6.value.icmp!.id, r6.value.icmp!.seq], ['echoReply', 7, 9]);
});
