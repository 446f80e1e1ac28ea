// ICMP errors delivered to the connection they quote (RFC 5927 checks), PMTU (RFC 1191/8201).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { raw } from './raw.js';
import { connectNb, throwsErrno } from './helpers.js';
import { ACK, SYN } from '../../src/wire/types.js';
import { buildIcmpPacket, type Packet } from '../../src/wire/packet.js';
import { quoteOf, ICMP_DEST_UNREACHABLE, ICMP_TIME_EXCEEDED, ICMP_UNREACH, ICMPV6_PACKET_TOO_BIG, ICMPV6_DEST_UNREACHABLE, ICMPV6_UNREACH } from '../../src/wire/icmp.js';
import { parseAddr } from '../../src/wire/addr.js';
import type { Connection } from '../../src/tcp/connection.js';

const ROUTER4 = '192.168.0.254';
const ROUTER6 = '2001:db8::fe';

function icmpFor(sent: Packet, type: number, code: number, mtu?: number, seqOverride?: number): Uint8Array {
  // Re-serialise the packet we captured and quote it.
  const orig = new Uint8Array(sent.ip.version === 4 ? 20 + sent.payload.length : 40 + sent.payload.length);
  const hdr = sent.ip.version === 4 ? 20 : 40;
  // Rebuild a minimal IP header by hand: we only need version/IHL, protocol and addresses.
  if (sent.version === 4) {
    orig[0] = 0x45;
    orig[9] = 6;
    orig.set(sent.srcBytes, 12);
    orig.set(sent.dstBytes, 16);
  } else {
    orig[0] = 0x60;
    orig[6] = 6;
    orig.set(sent.srcBytes, 8);
    orig.set(sent.dstBytes, 24);
  }
  orig.set(sent.payload, hdr);
  if (seqOverride !== undefined) {
    orig[hdr + 4] = seqOverride >>> 24;
    orig[hdr + 5] = (seqOverride >>> 16) & 0xff;
    orig[hdr + 6] = (seqOverride >>> 8) & 0xff;
    orig[hdr + 7] = seqOverride & 0xff;
  }
  const router = sent.version === 4 ? ROUTER4 : ROUTER6;
  return buildIcmpPacket(parseAddr(router)!.bytes, sent.srcBytes, { type, code, mtu, body: quoteOf(orig, sent.version) });
}

/** An established connection from the host to a scripted peer. */
function established(fam: 4 | 6) {
  const r = raw();
  const peer = fam === 4 ? '192.168.0.2' : '2001:db8::2';
  const me = fam === 4 ? '192.168.0.1' : '2001:db8::1';
  const s = r.host.sockets;
  const fd = s.socket(fam);
  connectNb(r.host, fd, peer, 80);
  const [syn] = r.take();
  const lport = syn.tcp!.srcPort;
  r.inject(peer, me, { srcPort: 80, dstPort: lport, seq: 1000, ack: (syn.tcp!.seq + 1) >>> 0, flags: SYN | ACK, options: { mss: 1460 } });
  r.take();
  assert.equal(s.state(fd), 'ESTABLISHED');
  const conn = r.host.connections()[0].conn as Connection;
  return { r, fd, conn, peer, me, lport };
}

test('ICMP frag-needed quoting an in-flight segment lowers the MSS and is remembered per destination', () => {
  const { r, fd, conn, peer } = established(4);
  assert.equal(conn.sndMss, 1460); // the peer offered no timestamps
  r.host.sockets.write(fd, new Uint8Array(3000));
  const sent = r.take();
  assert.ok(sent.length >= 1);
  r.injectBytes(icmpFor(sent[0], ICMP_DEST_UNREACHABLE, ICMP_UNREACH.fragNeeded, 1000));
  assert.equal(conn.sndMss, 1000 - 40);
  assert.equal(r.host.pathMtu(peer), 1000);
  assert.equal(r.host.counters().icmpInPktTooBigs, 1);
  // The retransmitted data fits the new MTU.
  const after = r.take();
  assert.ok(after.length > 0 && after.every((p) => p.payload.length <= 1000 - 20), 'resent in smaller segments');
  // A new connection to the same destination starts with the learned PMTU.
  const fd2 = r.host.sockets.socket(4);
  connectNb(r.host, fd2, peer, 81);
  const c2 = r.host.connections().find((e) => e.remote.port === 81)!.conn as Connection;
  assert.ok(c2.sndMss <= 960);
});

test('ICMP frag-needed below the minimum is clamped to 552 (RFC 1191 abuse, Linux min_pmtu)', () => {
  const { r, fd, conn } = established(4);
  r.host.sockets.write(fd, new Uint8Array(100));
  const [p] = r.take();
  r.injectBytes(icmpFor(p, ICMP_DEST_UNREACHABLE, ICMP_UNREACH.fragNeeded, 100));
  assert.equal(conn.sndMss, 552 - 40);
});

test('ICMPv6 packet too big lowers the MSS', () => {
  const { r, fd, conn } = established(6);
  r.host.sockets.write(fd, new Uint8Array(3000));
  const [p] = r.take();
  r.injectBytes(icmpFor(p, ICMPV6_PACKET_TOO_BIG, 0, 1280));
  assert.equal(conn.sndMss, 1280 - 60);
});

test('ICMP error quoting a sequence number outside [SND.UNA, SND.NXT] is ignored (RFC 5927)', () => {
  const { r, fd, conn } = established(4);
  r.host.sockets.write(fd, new Uint8Array(100));
  const [p] = r.take();
  const before = conn.sndMss;
  r.injectBytes(icmpFor(p, ICMP_DEST_UNREACHABLE, ICMP_UNREACH.fragNeeded, 1000, (p.tcp!.seq + 100000) >>> 0));
  assert.equal(conn.sndMss, before);
  assert.equal(r.host.counters().drops['icmp:seq-out-of-window'], 1);
  assert.equal(r.host.pathMtu('192.168.0.2'), undefined);
});

test('ICMP for an unknown connection is ignored and counted', () => {
  const { r, fd } = established(4);
  r.host.sockets.write(fd, new Uint8Array(10));
  const [p] = r.take();
  p.payload[0] ^= 0x55; // different source port in the quote
  r.injectBytes(icmpFor(p, ICMP_DEST_UNREACHABLE, ICMP_UNREACH.port));
  assert.equal(r.host.counters().drops['icmp:no-connection'], 1);
});

test('soft ICMP error (host unreachable) in ESTABLISHED is only recorded (RFC 5461)', () => {
  const { r, fd } = established(4);
  r.host.sockets.write(fd, new Uint8Array(10));
  const [p] = r.take();
  r.injectBytes(icmpFor(p, ICMP_DEST_UNREACHABLE, ICMP_UNREACH.host));
  assert.equal(r.host.sockets.state(fd), 'ESTABLISHED');
  assert.equal(r.host.sockets.getsockopt(fd, 'SO_ERROR'), 0);
});

for (const fam of [4, 6] as const) {
  test(`IPv${fam} SYN-SENT: hard ICMP port unreachable -> ECONNREFUSED`, () => {
    const r = raw();
    const s = r.host.sockets;
    const fd = s.socket(fam);
    connectNb(r.host, fd, fam === 4 ? '192.168.0.2' : '2001:db8::2', 80);
    const [syn] = r.take();
    r.injectBytes(
      fam === 4
        ? icmpFor(syn, ICMP_DEST_UNREACHABLE, ICMP_UNREACH.port)
        : icmpFor(syn, ICMPV6_DEST_UNREACHABLE, ICMPV6_UNREACH.port),
    );
    throwsErrno(() => s.connect(fd, { addr: fam === 4 ? '192.168.0.2' : '2001:db8::2', port: 80 }), 'ECONNREFUSED');
    assert.equal(r.host.connectionTable().length, 0);
  });
}

test('connect without a route -> ENETUNREACH; a default route makes it work', () => {
  const r = raw();
  const s = r.host.sockets;
  const fd = s.socket(4);
  throwsErrno(() => s.connect(fd, { addr: '8.8.8.8', port: 53 }), 'ENETUNREACH');
  r.host.addRoute('default', 'eth0', '192.168.0.254');
  connectNb(r.host, fd, '8.8.8.8', 53);
  const [syn] = r.take();
  assert.equal(syn.src, '192.168.0.1');
  assert.equal(syn.dst, '8.8.8.8');
});

test('SYN-SENT: ICMP port unreachable quoting SND.NXT (ISS+1) or ISS-1 -> ignored; quoting ISS -> ECONNREFUSED (RFC 5927 4.1: SND.UNA =< SEG.SEQ < SND.NXT)', () => {
  const r = raw();
  const s = r.host.sockets;
  const fd = s.socket(4);
  connectNb(r.host, fd, '192.168.0.2', 80);
  const [syn] = r.take();
  const iss = syn.tcp!.seq;
  r.injectBytes(icmpFor(syn, ICMP_DEST_UNREACHABLE, ICMP_UNREACH.port, undefined, (iss + 1) >>> 0));
  r.injectBytes(icmpFor(syn, ICMP_DEST_UNREACHABLE, ICMP_UNREACH.port, undefined, (iss - 1) >>> 0));
  assert.equal(r.host.counters().drops['icmp:seq-out-of-window'], 2);
  assert.equal(s.getsockopt(fd, 'SO_ERROR'), 0);
  assert.equal(r.host.connectionTable()[0].state, 'SYN-SENT');
  r.injectBytes(icmpFor(syn, ICMP_DEST_UNREACHABLE, ICMP_UNREACH.port, undefined, iss));
  throwsErrno(() => s.connect(fd, { addr: '192.168.0.2', port: 80 }), 'ECONNREFUSED');
});

// ---- HostStackOptions.icmpAbortsOpen: which ICMP errors end a connection still opening

function synSentWith(policy: 'rfc1122' | 'bsd' | 'rfc5461' | 'never') {
  const r = raw({ icmpAbortsOpen: policy });
  const s = r.host.sockets;
  const fd = s.socket(4);
  connectNb(r.host, fd, '192.168.0.2', 80);
  const [syn] = r.take();
  return { r, s, fd, syn };
}

test('SYN-SENT (icmpAbortsOpen rfc1122, default): rcv ICMP time exceeded -> stays SYN-SENT, SO_ERROR 0; host unreachable likewise', () => {
  const { r, s, fd, syn } = synSentWith('rfc1122');
  r.injectBytes(icmpFor(syn, ICMP_TIME_EXCEEDED, 0));
  r.injectBytes(icmpFor(syn, ICMP_DEST_UNREACHABLE, ICMP_UNREACH.host));
  assert.equal(s.getsockopt(fd, 'SO_ERROR'), 0);
  assert.equal(r.host.connectionTable()[0].state, 'SYN-SENT');
});

test('SYN-SENT (icmpAbortsOpen bsd): rcv ICMP time exceeded in transit -> CLOSED, EHOSTUNREACH; host unreachable first is only recorded', () => {
  const { r, s, fd, syn } = synSentWith('bsd');
  r.injectBytes(icmpFor(syn, ICMP_DEST_UNREACHABLE, ICMP_UNREACH.host));
  assert.equal(r.host.connectionTable()[0].state, 'SYN-SENT');
  r.injectBytes(icmpFor(syn, ICMP_TIME_EXCEEDED, 0));
  assert.equal(s.getsockopt(fd, 'SO_ERROR'), 113); // EHOSTUNREACH (Linux errno number)
  assert.equal(r.host.connectionTable().length, 0);
});

test('SYN-SENT (icmpAbortsOpen rfc5461): rcv ICMP host unreachable -> CLOSED, EHOSTUNREACH at once', () => {
  const { r, s, fd, syn } = synSentWith('rfc5461');
  r.injectBytes(icmpFor(syn, ICMP_DEST_UNREACHABLE, ICMP_UNREACH.host));
  throwsErrno(() => s.connect(fd, { addr: '192.168.0.2', port: 80 }), 'EHOSTUNREACH');
});

test('SYN-SENT (icmpAbortsOpen never): rcv ICMP port unreachable -> stays SYN-SENT, SO_ERROR 0', () => {
  const { r, s, fd, syn } = synSentWith('never');
  r.injectBytes(icmpFor(syn, ICMP_DEST_UNREACHABLE, ICMP_UNREACH.port));
  assert.equal(s.getsockopt(fd, 'SO_ERROR'), 0);
  assert.equal(r.host.connectionTable()[0].state, 'SYN-SENT');
});
