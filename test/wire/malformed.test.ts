import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  parseTcp,
  parseIPv4Header,
  parseIPv6Header,
  parseIcmp,
  parseIcmpv6,
  parsePacket,
  emitTcp,
  emitIPv4,
  emitIPv6,
  buildTcpPacket,
  TcpView,
  internetChecksum,
  SYN,
  ACK,
  type WireError,
  type WireResult,
  type TcpOption,
} from '../../src/wire/index.js';

const A4 = new Uint8Array([192, 0, 2, 1]);
const B4 = new Uint8Array([192, 0, 2, 2]);
const A6 = new Uint8Array(16).fill(0x20, 0, 1).fill(1, 15);
const B6 = new Uint8Array(16).fill(0x20, 0, 1).fill(2, 15);

function expectError<T>(r: WireResult<T>, e: WireError): void {
  assert.ok(!r.ok, `expected ${e.layer}.${e.field}: ${e.reason}, got ok`);
  assert.deepEqual(r.error, e);
}

/** A TCP header (no checksum check) whose option bytes are `opt`, data offset covering them. */
function tcpWithOptionBytes(opt: number[]): Uint8Array {
  const padded = opt.concat(new Array((4 - (opt.length % 4)) % 4).fill(0));
  const b = new Uint8Array(20 + padded.length);
  b[12] = ((20 + padded.length) / 4) << 4;
  b.set(padded, 20);
  return b;
}

const tcp = (field: string, reason: string): WireError => ({ layer: 'tcp', field, reason });

test('TCP malformed: header shorter than 20 bytes -> header truncated', () => {
  expectError(parseTcp(new Uint8Array(19)), tcp('header', 'truncated'));
});

test('TCP malformed: data offset < 5 -> dataOffset bad-data-offset', () => {
  const b = new Uint8Array(20);
  b[12] = 4 << 4;
  expectError(parseTcp(b), tcp('dataOffset', 'bad-data-offset'));
  expectError(TcpView.from(b), tcp('dataOffset', 'bad-data-offset'));
});

test('TCP malformed: data offset past the segment -> dataOffset bad-data-offset', () => {
  const b = new Uint8Array(40);
  b[12] = 15 << 4;
  expectError(parseTcp(b), tcp('dataOffset', 'bad-data-offset'));
});

test('TCP malformed: option length zero names the option', () => {
  expectError(parseTcp(tcpWithOptionBytes([2, 0, 5, 0xb4])), tcp('options.mss', 'option-length-zero'));
  expectError(parseTcp(tcpWithOptionBytes([30, 0])), tcp('options.kind30', 'option-length-zero'));
});

test('TCP malformed: option length one -> option-length-too-short', () => {
  expectError(parseTcp(tcpWithOptionBytes([1, 8, 1])), tcp('options.timestamp', 'option-length-too-short'));
});

test('TCP malformed: option running past the header -> option-past-header', () => {
  expectError(parseTcp(tcpWithOptionBytes([1, 1, 8, 10, 0, 0, 0, 0])), tcp('options.timestamp', 'option-past-header'));
  // A kind byte in the last header byte with no room for its length.
  expectError(parseTcp(tcpWithOptionBytes([1, 1, 1, 3])), tcp('options.wscale', 'option-past-header'));
  expectError(parseTcp(tcpWithOptionBytes([77, 6, 1, 2])), tcp('options.kind77', 'option-past-header'));
});

test('TCP malformed: known options with the wrong length -> bad-option-length', () => {
  expectError(parseTcp(tcpWithOptionBytes([2, 3, 5])), tcp('options.mss', 'bad-option-length'));
  expectError(parseTcp(tcpWithOptionBytes([3, 4, 1, 1])), tcp('options.wscale', 'bad-option-length'));
  expectError(parseTcp(tcpWithOptionBytes([4, 3, 0])), tcp('options.sackPermitted', 'bad-option-length'));
  expectError(parseTcp(tcpWithOptionBytes([5, 2])), tcp('options.sack', 'bad-option-length'));
  expectError(parseTcp(tcpWithOptionBytes([5, 11, 0, 0, 0, 0, 0, 0, 0, 0, 0])), tcp('options.sack', 'bad-option-length'));
  expectError(parseTcp(tcpWithOptionBytes([8, 8, 0, 0, 0, 0, 0, 0])), tcp('options.timestamp', 'bad-option-length'));
});

test('TCP: unknown options are preserved and skipped by length; bytes after EOL are padding', () => {
  const r = parseTcp(tcpWithOptionBytes([1, 99, 4, 0xaa, 0xbb, 0, 0xff, 0xff]));
  assert.ok(r.ok);
  const want: TcpOption[] = [{ kind: 'nop' }, { kind: 'unknown', type: 99, data: new Uint8Array([0xaa, 0xbb]) }, { kind: 'eol' }];
  assert.deepEqual(r.value.options, want);
});

test('TCP: bad checksum -> checksum bad-checksum; without addresses it is not checked', () => {
  const b = emitTcp({ srcPort: 1, dstPort: 2, seq: 3, ack: 4, flags: SYN, window: 5, urgent: 0, options: [], payload: new Uint8Array([1]) }, A4, B4);
  assert.ok(parseTcp(b, { src: A4, dst: B4 }).ok);
  expectError(parseTcp(b, { src: A4, dst: A4 }), tcp('checksum', 'bad-checksum'));
  b[16] ^= 0xff;
  expectError(parseTcp(b, { src: A4, dst: B4 }), tcp('checksum', 'bad-checksum'));
  assert.ok(parseTcp(b).ok);
});

const v4 = (field: string, reason: string): WireError => ({ layer: 'ipv4', field, reason });
const ipv4Bytes = (): Uint8Array => emitIPv4({ protocol: 6, src: A4, dst: B4, ttl: 64 }, new Uint8Array(8));

function refreshV4Checksum(b: Uint8Array): void {
  const hl = (b[0] & 0xf) * 4;
  b[10] = b[11] = 0;
  const c = internetChecksum(b, 0, Math.min(hl, b.length));
  b[10] = c >> 8;
  b[11] = c & 0xff;
}

test('IPv4 malformed: short, wrong version, bad IHL, bad total length', () => {
  expectError(parseIPv4Header(new Uint8Array(19)), v4('header', 'truncated'));
  let b = ipv4Bytes();
  b[0] = 0x65;
  expectError(parseIPv4Header(b), v4('version', 'wrong-version'));
  b = ipv4Bytes();
  b[0] = 0x44;
  expectError(parseIPv4Header(b), v4('ihl', 'bad-header-length'));
  b = ipv4Bytes();
  b[0] = 0x4f;
  expectError(parseIPv4Header(b), v4('ihl', 'truncated'));
  b = ipv4Bytes();
  b[2] = 0;
  b[3] = 19;
  refreshV4Checksum(b);
  expectError(parseIPv4Header(b), v4('totalLength', 'bad-total-length'));
  b = ipv4Bytes();
  b[3] += 1;
  refreshV4Checksum(b);
  expectError(parseIPv4Header(b), v4('totalLength', 'truncated'));
});

test('IPv4 malformed: header checksum -> checksum bad-checksum (unless told not to verify)', () => {
  const b = ipv4Bytes();
  b[8] = 63; // TTL changed without fixing the checksum
  expectError(parseIPv4Header(b), v4('checksum', 'bad-checksum'));
  assert.ok(parseIPv4Header(b, { verifyChecksum: false }).ok);
});

test('IPv4: fragments are dropped with reason fragment (MF set, or offset != 0)', () => {
  const mf = emitIPv4({ protocol: 6, src: A4, dst: B4, flags: 1 }, new Uint8Array(8));
  expectError(parseIPv4Header(mf), v4('flags', 'fragment'));
  const off = emitIPv4({ protocol: 6, src: A4, dst: B4, flags: 0, fragmentOffset: 185 }, new Uint8Array(8));
  expectError(parseIPv4Header(off), v4('fragmentOffset', 'fragment'));
  expectError(parsePacket(off), v4('fragmentOffset', 'fragment'));
  assert.ok(parseIPv4Header(off, { allowFragments: true }).ok);
});

test('IPv4: link padding beyond totalLength is cut from the payload; options are skipped', () => {
  const opts = new Uint8Array([0x94, 0x04, 0, 0]); // RFC 2113 router alert
  const b = emitIPv4({ protocol: 6, src: A4, dst: B4, options: opts }, new Uint8Array([1, 2, 3]));
  const padded = new Uint8Array(b.length + 10);
  padded.set(b);
  const r = parseIPv4Header(padded);
  assert.ok(r.ok);
  assert.equal(r.value.headerLength, 24);
  assert.deepEqual(r.value.payload, new Uint8Array([1, 2, 3]));
});

const v6 = (field: string, reason: string): WireError => ({ layer: 'ipv6', field, reason });

/** IPv6 packet whose payload starts with extension headers: [type, bytes] chain, then TCP. */
function v6WithExt(chain: Array<[number, number[]]>, upper: number, upperBytes: Uint8Array): Uint8Array {
  const parts: number[] = [];
  for (let i = 0; i < chain.length; i++) {
    const next = i + 1 < chain.length ? chain[i + 1][0] : upper;
    const body = chain[i][1];
    parts.push(next, (body.length + 2) / 8 - 1, ...body);
  }
  const payload = new Uint8Array(parts.length + upperBytes.length);
  payload.set(parts);
  payload.set(upperBytes, parts.length);
  return emitIPv6({ nextHeader: chain.length ? chain[0][0] : upper, src: A6, dst: B6 }, payload);
}

const seg6 = (): Uint8Array =>
  emitTcp({ srcPort: 80, dstPort: 1234, seq: 1, ack: 2, flags: SYN | ACK, window: 100, urgent: 0, options: [{ kind: 'mss', value: 1440 }], payload: new Uint8Array(0) }, A6, B6);

test('IPv6 malformed: short, wrong version, payload length past the packet', () => {
  expectError(parseIPv6Header(new Uint8Array(39)), v6('header', 'truncated'));
  const b = emitIPv6({ nextHeader: 6, src: A6, dst: B6 }, seg6());
  const w = b.slice();
  w[0] = 0x45;
  expectError(parseIPv6Header(w), v6('version', 'wrong-version'));
  expectError(parseIPv6Header(b.subarray(0, b.length - 1)), v6('payloadLength', 'truncated'));
});

test('IPv6: hop-by-hop, destination options and routing (segments left 0) are walked to TCP', () => {
  const pad6 = [1, 4, 0, 0, 0, 0]; // PadN option filling the 8-byte header
  const rt = [0, 0, 0, 0, 0, 0]; // routing type 0... segments left 0
  const b = v6WithExt([[0, pad6], [60, pad6], [43, rt], [60, pad6]], 6, seg6());
  const r = parsePacket(b);
  assert.ok(r.ok, JSON.stringify(!r.ok && r.error));
  assert.deepEqual(r.value.ip.version === 6 && r.value.ip.extensionHeaders, [0, 60, 43, 60]);
  assert.equal(r.value.protocol, 6);
  assert.equal(r.value.tcp!.srcPort, 80);
});

test('IPv6: fragment header -> fragmentHeader fragment', () => {
  const frag = v6WithExt([[44, [0, 0, 0, 0, 0, 1]]], 6, seg6());
  expectError(parseIPv6Header(frag), v6('fragmentHeader', 'fragment'));
  expectError(parsePacket(frag), v6('fragmentHeader', 'fragment'));
  const viaHbh = v6WithExt([[0, [1, 4, 0, 0, 0, 0]], [44, [0, 0, 0, 0, 0, 1]]], 6, seg6());
  expectError(parsePacket(viaHbh), v6('fragmentHeader', 'fragment'));
});

test('IPv6: unknown/unsupported extension headers -> unsupported-extension-header', () => {
  for (const t of [50, 51, 135, 139, 140, 253, 254]) {
    const b = emitIPv6({ nextHeader: t, src: A6, dst: B6 }, new Uint8Array(16));
    expectError(parseIPv6Header(b), v6('nextHeader', 'unsupported-extension-header'));
  }
  const rt = v6WithExt([[43, [4, 1, 0, 0, 0, 0]]], 6, seg6()); // segments left 1
  expectError(parsePacket(rt), v6('routingHeader', 'unsupported-extension-header'));
});

test('IPv6 malformed: hop-by-hop not first, extension header truncated', () => {
  const late = v6WithExt([[60, [1, 4, 0, 0, 0, 0]], [0, [1, 4, 0, 0, 0, 0]]], 6, seg6());
  expectError(parseIPv6Header(late), v6('hopByHop', 'bad-extension-order'));
  const b = emitIPv6({ nextHeader: 60, src: A6, dst: B6 }, new Uint8Array([6, 1, 0, 0, 0, 0, 0, 0]));
  expectError(parseIPv6Header(b), v6('extensionHeader', 'truncated'));
  const tiny = emitIPv6({ nextHeader: 0, src: A6, dst: B6 }, new Uint8Array([6, 0, 0]));
  expectError(parseIPv6Header(tiny), v6('extensionHeader', 'truncated'));
});

test('ICMP malformed: short message and bad checksum', () => {
  expectError(parseIcmp(new Uint8Array(7)), { layer: 'icmp', field: 'header', reason: 'truncated' });
  expectError(parseIcmp(new Uint8Array([8, 0, 0, 0, 0, 0, 0, 0])), { layer: 'icmp', field: 'checksum', reason: 'bad-checksum' });
  expectError(parseIcmpv6(new Uint8Array(4)), { layer: 'icmpv6', field: 'header', reason: 'truncated' });
  expectError(parseIcmpv6(new Uint8Array([128, 0, 0, 0, 0, 0, 0, 0]), { src: A6, dst: B6 }), {
    layer: 'icmpv6',
    field: 'checksum',
    reason: 'bad-checksum',
  });
});

test('packet malformed: TCP errors surface through parsePacket; bad versions; empty input', () => {
  const pkt = buildTcpPacket(A4, B4, { srcPort: 1, dstPort: 2, seq: 0, ack: 0, flags: SYN, window: 0, urgent: 0, options: {}, payload: new Uint8Array(0) });
  pkt[20 + 12] = 0x40; // data offset 4
  expectError(parsePacket(pkt, { verifyChecksums: false }), tcp('dataOffset', 'bad-data-offset'));
  expectError(parsePacket(new Uint8Array([0x50, 0, 0, 0])), v4('version', 'wrong-version'));
  expectError(parsePacket(new Uint8Array(0)), v4('header', 'truncated'));
});
