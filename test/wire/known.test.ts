import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CAPTURED, hexBytes } from './fixtures.js';
import {
  parsePacket,
  describePacket,
  emitTcp,
  emitIPv4,
  emitIPv6,
  writeIPv4Header,
  buildTcpPacket,
  buildIcmpPacket,
  internetChecksum,
  transportChecksum,
  formatOptions,
  toSegment,
  TcpView,
  SYN,
  ACK,
  RST,
  type IPv4Header,
  type IPv6Header,
} from '../../src/wire/index.js';

/** Re-emit a parsed packet from its parsed fields only. */
function reemit(bytes: Uint8Array, verify: boolean): Uint8Array {
  const r = parsePacket(bytes, { verifyChecksums: verify });
  assert.ok(r.ok, JSON.stringify(!r.ok && r.error));
  const p = r.value;
  let l4: Uint8Array;
  if (p.tcp) l4 = emitTcp(p.tcp, p.srcBytes, p.dstBytes, { checksum: verify });
  else l4 = p.payload.slice();
  if (p.version === 4) {
    const ip = p.ip as IPv4Header;
    return emitIPv4(
      { dscp: ip.dscp, ecn: ip.ecn, id: ip.id, flags: ip.flags, ttl: ip.ttl, protocol: ip.protocol, src: ip.src, dst: ip.dst, options: ip.options },
      l4,
    );
  }
  const ip = p.ip as IPv6Header;
  return emitIPv6({ trafficClass: ip.trafficClass, flowLabel: ip.flowLabel, nextHeader: ip.nextHeader, hopLimit: ip.hopLimit, src: ip.src, dst: ip.dst }, l4);
}

const veth = CAPTURED.filter((c) => !c.offloaded);
const lo = CAPTURED.filter((c) => c.offloaded);

test('captured veth packets: all checksums verify and re-emission is byte-identical', () => {
  assert.ok(veth.length >= 20);
  for (const c of veth) {
    const bytes = hexBytes(c.hex);
    const r = parsePacket(bytes);
    assert.ok(r.ok, `${c.desc}: ${JSON.stringify(!r.ok && r.error)}`);
    assert.deepEqual(reemit(bytes, true), bytes, c.desc);
  }
});

test('captured packets: parsed fields match tcpdump\'s decoding', () => {
  for (const c of CAPTURED) {
    const bytes = hexBytes(c.hex);
    const r = parsePacket(bytes, { verifyChecksums: !c.offloaded });
    assert.ok(r.ok);
    const p = r.value;
    const m = /(\S+)\.(\d+) > (\S+)\.(\d+): Flags \[([^\]]+)\], cksum (0x[0-9a-f]+)/.exec(c.desc);
    if (!m) {
      assert.ok(p.icmp, c.desc);
      continue;
    }
    const t = p.tcp!;
    assert.equal(p.src, m[1]);
    assert.equal(t.srcPort, Number(m[2]));
    assert.equal(p.dst, m[3]);
    assert.equal(t.dstPort, Number(m[4]));
    assert.equal(t.checksum, Number(m[6]));
    const opt = /options \[([^\]]+)\]/.exec(c.desc);
    assert.equal(formatOptions(t.options), opt ? opt[1] : '');
    const win = /win (\d+)/.exec(c.desc)!;
    assert.equal(t.window, Number(win[1]));
    const d = describePacket(bytes)!;
    assert.equal(d.flags, m[5] === 'R.' ? 'R.' : d.flags);
    assert.equal(d.win, t.window);
    const len = /length (\d+)(: \w+)?$/.exec(c.desc)!;
    assert.equal(d.len, Number(len[1]));
    const v = new TcpView(p.payload);
    assert.equal(v.check(), null);
    assert.equal(v.seq, t.seq);
    assert.equal(v.ack, t.ack);
    assert.equal(v.payloadLength, t.payload.length);
  }
});

test('captured SYN: fields, options and IPv4 header checksum', () => {
  const bytes = hexBytes(veth[0].hex);
  const p = parsePacket(bytes);
  assert.ok(p.ok);
  const t = p.value.tcp!;
  assert.equal(t.flags, SYN);
  assert.equal(t.seq, 2900851089);
  assert.equal(t.dataOffset, 10);
  assert.deepEqual(toSegment(t).options, { mss: 1460, sackPermitted: true, timestamp: { val: 611389274, ecr: 0 }, wscale: 10 });
  assert.equal(internetChecksum(bytes.slice(0, 20).fill(0, 10, 12), 0, 20), 0x13ce);
  assert.equal(p.value.ttl, 64);
  // Built from the Segment with the linux layout, byte-identical to the kernel's SYN.
  const rebuilt = buildTcpPacket(p.value.srcBytes, p.value.dstBytes, toSegment(t), { id: 4690, layout: 'linux' });
  assert.deepEqual(rebuilt, bytes);
});

test('captured RST+ACK to a closed port parses (RFC 9293 3.10.7.1)', () => {
  const c = veth.find((x) => x.desc.includes('Flags [R.]'))!;
  const p = parsePacket(hexBytes(c.hex));
  assert.ok(p.ok);
  assert.equal(p.value.tcp!.flags, RST | ACK);
  assert.equal(p.value.tcp!.dataOffset, 5);
  assert.deepEqual(p.value.tcp!.options, []);
});

test('captured lo packets: offloaded checksum fails verification, tcpdump\'s value is ours', () => {
  assert.ok(lo.length >= 3);
  for (const c of lo) {
    const bytes = hexBytes(c.hex);
    const bad = parsePacket(bytes);
    assert.ok(!bad.ok);
    assert.deepEqual(bad.error, { layer: 'tcp', field: 'checksum', reason: 'bad-checksum' });
    const r = parsePacket(bytes, { verifyChecksums: false });
    assert.ok(r.ok);
    const p = r.value;
    const seg = p.payload.slice();
    seg[16] = seg[17] = 0;
    assert.equal(transportChecksum(p.srcBytes, p.dstBytes, 6, seg), c.loCorrectChecksum);
    assert.deepEqual(reemit(bytes, false), bytes);
  }
});

test('captured ICMP echo request/reply (v4 and v6) parse and rebuild identically', () => {
  const icmps = veth.filter((c) => c.desc.includes('ICMP'));
  assert.equal(icmps.length, 4);
  for (const c of icmps) {
    const bytes = hexBytes(c.hex);
    const r = parsePacket(bytes);
    assert.ok(r.ok, c.desc);
    const m = r.value.icmp!;
    assert.equal(m.id, 4660);
    assert.equal(m.seq, 1);
    assert.equal(new TextDecoder().decode(m.body), 'synack');
    assert.equal(m.kind, c.desc.includes('request') ? 'echoRequest' : 'echoReply');
    const ip = r.value.ip;
    const built =
      ip.version === 4
        ? buildIcmpPacket(ip.src, ip.dst, { type: m.type, code: m.code, id: m.id, seq: m.seq, body: m.body }, { id: ip.id, ipFlags: ip.flags, ttl: ip.ttl })
        : buildIcmpPacket(ip.src, ip.dst, { type: m.type, code: m.code, id: m.id, seq: m.seq, body: m.body }, { flowLabel: ip.flowLabel, ttl: ip.hopLimit });
    assert.deepEqual(built, bytes, c.desc);
  }
});

// RFC 1071 3: the worked example: bytes 00 01 f2 03 f4 f5 f6 f7 sum to ddf2 (checksum 220d).
test('RFC 1071 numerical example', () => {
  const b = new Uint8Array([0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7]);
  assert.equal(internetChecksum(b), ~0xddf2 & 0xffff);
  const out = new Uint8Array(20);
  writeIPv4Header({ protocol: 6, src: new Uint8Array([192, 0, 2, 1]), dst: new Uint8Array([192, 0, 2, 2]), id: 0x1c46, ttl: 64 }, 0, out);
  assert.equal(internetChecksum(out), 0);
});
