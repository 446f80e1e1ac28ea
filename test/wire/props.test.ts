import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { CAPTURED, hexBytes } from './fixtures.js';
import { SEED, tcpHeaderArb, segmentArb, segmentOptionsArb, sackLimit, v4addr, v6addr, u8, u16 } from './arbitraries.js';
import {
  emitTcp,
  parseTcp,
  TcpView,
  parsePacket,
  parseIPv4Header,
  parseIPv6Header,
  parseIcmp,
  parseIcmpv6,
  parseQuote,
  parseTcpOptions,
  describePacket,
  emitIPv4,
  emitIPv6,
  buildTcpPacket,
  toSegment,
  fromSegment,
  optionList,
  segmentOptions,
  optionListLength,
  encodeSegmentOptions,
  sum16,
  fold,
  internetChecksum,
  checksumValid,
  checksumAdjust,
  checksumAdjust32,
  transportChecksum,
  parseIPv4,
  parseIPv6,
  parseAddr,
  parseCidr,
  formatIPv4,
  formatIPv6,
  type SegmentOptions,
} from '../../src/wire/index.js';

const params = { seed: SEED, numRuns: 500 };

test('TCP: any valid header with any valid option list emits and parses back to itself', () => {
  fc.assert(
    fc.property(tcpHeaderArb, fc.boolean(), v4addr, v6addr, (h, v6, a4, a6) => {
      const src = v6 ? a6 : a4;
      const dst = v6 ? a6.slice().reverse() : a4.slice().reverse();
      const bytes = emitTcp(h, src, dst);
      const r = parseTcp(bytes, { src, dst });
      assert.ok(r.ok, JSON.stringify(!r.ok && r.error));
      const { dataOffset, checksum, ...rest } = r.value;
      assert.deepEqual(rest, h);
      assert.equal(dataOffset * 4, 20 + ((optionListLength(h.options) + 3) & ~3));
      assert.equal(checksum, transportChecksum(src, dst, 6, bytes.slice().fill(0, 16, 18)));
      // Re-emitting the parsed header is byte-identical.
      assert.deepEqual(emitTcp(r.value, src, dst), bytes);
      // The zero-copy view agrees with the parsed form.
      const v = new TcpView(bytes);
      assert.equal(v.check(), null);
      assert.equal(v.verifyChecksum(src, dst), true);
      assert.deepEqual(
        [v.srcPort, v.dstPort, v.seq, v.ack, v.dataOffset, v.flags, v.window, v.checksum, v.urgent],
        [h.srcPort, h.dstPort, h.seq, h.ack, dataOffset, h.flags, h.window, checksum, h.urgent],
      );
      assert.deepEqual(v.payload, h.payload);
    }),
    params,
  );
});

test('TCP: a flipped bit anywhere in the segment fails the checksum', () => {
  fc.assert(
    fc.property(tcpHeaderArb, v4addr, v4addr, fc.nat(), fc.integer({ min: 0, max: 7 }), (h, src, dst, pos, bit) => {
      const bytes = emitTcp(h, src, dst);
      bytes[pos % bytes.length] ^= 1 << bit;
      const r = parseTcp(bytes, { src, dst });
      if (r.ok) assert.fail('corrupted segment accepted');
    }),
    params,
  );
});

test('Segment: buildTcpPacket -> parsePacket -> toSegment gives the segment back (both layouts, both families)', () => {
  fc.assert(
    fc.property(segmentArb, fc.constantFrom('linux' as const, 'freebsd' as const), fc.boolean(), v4addr, v6addr, u8, (seg, layout, v6, a4, a6, ttl) => {
      const src = v6 ? a6 : a4;
      const dst = v6 ? a6.slice().reverse() : a4.slice().reverse();
      const pkt = buildTcpPacket(src, dst, seg, { layout, ttl });
      const r = parsePacket(pkt);
      assert.ok(r.ok, JSON.stringify(!r.ok && r.error));
      assert.equal(r.value.ttl, ttl);
      assert.deepEqual(r.value.srcBytes, src);
      const got = toSegment(r.value.tcp!);
      const { sack: gotSack, ...gotRest } = got.options;
      const { sack: wantSack, ...wantRest } = seg.options;
      // The IP ECN codepoint is the caller's to give (RFC 3168 5); none was given here.
      assert.deepEqual({ ...got, options: gotRest }, { ...seg, ecn: undefined, options: wantRest });
      assert.equal(toSegment(r.value.tcp!, 2).ecn, 2);
      // SACK blocks: a prefix, cut only by the 40-byte limit (RFC 2018 3).
      const want = wantSack ?? [];
      const have = gotSack ?? [];
      assert.deepEqual(have, want.slice(0, have.length));
      const synLike = seg.options.mss !== undefined || seg.options.wscale !== undefined || seg.options.sackPermitted;
      if (!synLike) assert.equal(have.length, Math.min(want.length, sackLimit(seg.options)));
      // fromSegment builds the same header; emitting it gives the same TCP bytes.
      const h = fromSegment(seg, layout);
      assert.deepEqual(emitTcp(h, src, dst), r.value.payload);
      assert.equal(r.value.tcp!.dataOffset, h.dataOffset);
    }),
    params,
  );
});

test('options: segmentOptions(optionList(o)) keeps every option; the list is aligned and fits', () => {
  fc.assert(
    fc.property(segmentOptionsArb, fc.constantFrom('linux' as const, 'freebsd' as const), (o, layout) => {
      const list = optionList(o, layout);
      const len = encodeSegmentOptions(o, layout, null);
      assert.ok(len <= 40 && len % 4 === 0, `len ${len}`);
      // The list stops at an EOL; what follows it is zero padding.
      assert.ok(optionListLength(list) <= len && len - optionListLength(list) < 4);
      const back: SegmentOptions = segmentOptions(list);
      const { sack, ...rest } = back;
      const { sack: s0, ...rest0 } = o;
      assert.deepEqual(rest, rest0);
      assert.deepEqual(sack ?? [], (s0 ?? []).slice(0, (sack ?? []).length));
    }),
    params,
  );
});

test('IPv4: any header emits and parses back; checksum verifies', () => {
  fc.assert(
    fc.property(
      fc.record({
        dscp: fc.integer({ min: 0, max: 63 }),
        ecn: fc.integer({ min: 0, max: 3 }),
        id: u16,
        flags: fc.constantFrom(0, 2, 4, 6),
        ttl: u8,
        protocol: u8,
        src: v4addr,
        dst: v4addr,
        options: fc.integer({ min: 0, max: 10 }).chain((n) => fc.uint8Array({ minLength: n * 4, maxLength: n * 4 })),
      }),
      fc.uint8Array({ maxLength: 64 }),
      (f, payload) => {
        const bytes = emitIPv4(f, payload);
        assert.equal(internetChecksum(bytes, 0, 20 + f.options.length), 0);
        const r = parseIPv4Header(bytes);
        assert.ok(r.ok, JSON.stringify(!r.ok && r.error));
        const h = r.value;
        assert.deepEqual(
          { dscp: h.dscp, ecn: h.ecn, id: h.id, flags: h.flags, ttl: h.ttl, protocol: h.protocol, src: h.src, dst: h.dst, options: h.options },
          { ...f },
        );
        assert.deepEqual(h.payload, payload);
        assert.equal(h.totalLength, bytes.length);
        assert.deepEqual(emitIPv4({ ...h, checksum: h.checksum }, h.payload), bytes);
      },
    ),
    params,
  );
});

test('IPv6: any fixed header emits and parses back', () => {
  fc.assert(
    fc.property(
      fc.record({
        trafficClass: u8,
        flowLabel: fc.integer({ min: 0, max: 0xfffff }),
        nextHeader: u8.filter((n) => ![0, 43, 44, 50, 51, 60, 135, 139, 140, 253, 254].includes(n)),
        hopLimit: u8,
        src: v6addr,
        dst: v6addr,
      }),
      fc.uint8Array({ maxLength: 64 }),
      (f, payload) => {
        const bytes = emitIPv6(f, payload);
        const r = parseIPv6Header(bytes);
        assert.ok(r.ok, JSON.stringify(!r.ok && r.error));
        const h = r.value;
        assert.deepEqual(
          { trafficClass: h.trafficClass, flowLabel: h.flowLabel, nextHeader: h.nextHeader, hopLimit: h.hopLimit, src: h.src, dst: h.dst },
          { ...f },
        );
        assert.equal(h.protocol, f.nextHeader);
        assert.deepEqual(h.payload, payload);
        assert.deepEqual(emitIPv6(h, h.payload), bytes);
      },
    ),
    params,
  );
});

function everyParser(bytes: Uint8Array): void {
  for (const verifyChecksums of [true, false]) {
    const r = parsePacket(bytes, { verifyChecksums });
    if (!r.ok) {
      assert.equal(typeof r.error.field, 'string');
      assert.equal(typeof r.error.reason, 'string');
    }
  }
  parseIPv4Header(bytes);
  parseIPv4Header(bytes, { allowFragments: true, verifyChecksum: false });
  parseIPv6Header(bytes);
  parseIPv6Header(bytes, { allowFragments: true });
  parseTcp(bytes);
  parseTcp(bytes, { src: new Uint8Array(4), dst: new Uint8Array(4) });
  parseTcpOptions(bytes, 0, bytes.length);
  parseIcmp(bytes);
  parseIcmpv6(bytes, { src: new Uint8Array(16), dst: new Uint8Array(16) });
  parseQuote(bytes);
  describePacket(bytes);
  const v = TcpView.from(bytes);
  if (v.ok) {
    void [v.value.srcPort, v.value.seq, v.value.ack, v.value.flags, v.value.window, v.value.payloadOffset, v.value.payload];
    v.value.options();
  }
}

test('fuzz: random byte strings never throw in any parser', () => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 120 }), (b) => everyParser(b)), { seed: SEED, numRuns: 3000 });
  // With a plausible first byte, so the IP parsers get further.
  fc.assert(
    fc.property(fc.constantFrom(0x45, 0x46, 0x4f, 0x60), fc.uint8Array({ maxLength: 120 }), (first, rest) => {
      const b = new Uint8Array(rest.length + 1);
      b[0] = first;
      b.set(rest, 1);
      everyParser(b);
    }),
    { seed: SEED, numRuns: 3000 },
  );
});

test('fuzz: random mutations and truncations of valid packets never throw', () => {
  const seeds = CAPTURED.map((c) => hexBytes(c.hex));
  fc.assert(
    fc.property(
      fc.constantFrom(...seeds),
      fc.array(fc.tuple(fc.nat(), u8), { minLength: 1, maxLength: 6 }),
      fc.nat(),
      (orig, muts, cut) => {
        const b = orig.slice();
        for (const [pos, val] of muts) b[pos % b.length] = val;
        everyParser(b);
        everyParser(b.subarray(0, cut % (b.length + 1)));
      },
    ),
    { seed: SEED, numRuns: 3000 },
  );
});

test('fuzz: address parsers never throw and formatted addresses parse back', () => {
  fc.assert(
    fc.property(fc.string({ maxLength: 50, unit: fc.constantFrom(...'0123456789abcdefABCDEF:./%x '.split('')) }), (s) => {
      parseIPv4(s);
      parseIPv6(s);
      parseAddr(s);
      parseCidr(s);
    }),
    { seed: SEED, numRuns: 3000 },
  );
  fc.assert(
    fc.property(v6addr, fc.integer({ min: 0, max: 7 }), (b, zeros) => {
      b.fill(0, zeros * 2, zeros * 2 + ((b[0] & 7) * 2)); // runs of zeros, of random length
      assert.deepEqual(parseIPv6(formatIPv6(b)), b);
    }),
    params,
  );
  fc.assert(fc.property(v4addr, (b) => assert.deepEqual(parseIPv4(formatIPv4(b)), b)), params);
});

test('checksum: 4-byte loop equals the plain 16-bit word sum at any offset and length', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }), fc.nat(), fc.nat(), (b, x, y) => {
      const start = b.length ? x % b.length : 0;
      const end = start + (b.length - start ? y % (b.length - start + 1) : 0);
      let ref = 0;
      for (let i = start; i < end; i += 2) ref += (b[i] << 8) | (i + 1 < end ? b[i + 1] : 0);
      assert.equal(fold(sum16(b, start, end)), fold(ref));
    }),
    params,
  );
});

test('checksum: RFC 1624 incremental update keeps the packet valid and equals recomputation', () => {
  fc.assert(
    fc.property(segmentArb, v4addr, v4addr, fc.nat(), u16, fc.integer({ min: 0, max: 0xffffffff }), (seg, src, dst, w, nw, nseq) => {
      const pkt = buildTcpPacket(src, dst, seg);
      const t = pkt.subarray(20);
      // A 16-bit word (window) changes.
      const old = (t[14] << 8) | t[15];
      let c = (t[16] << 8) | t[17];
      c = checksumAdjust(c, old, nw);
      t[14] = nw >> 8;
      t[15] = nw & 0xff;
      t[16] = c >> 8;
      t[17] = c & 0xff;
      assert.ok(parsePacket(pkt).ok);
      // A 32-bit word (seq) changes.
      const oldSeq = ((t[4] << 24) | (t[5] << 16) | (t[6] << 8) | t[7]) >>> 0;
      c = checksumAdjust32(c, oldSeq, nseq);
      t[4] = nseq >>> 24;
      t[5] = (nseq >>> 16) & 0xff;
      t[6] = (nseq >>> 8) & 0xff;
      t[7] = nseq & 0xff;
      t[16] = c >> 8;
      t[17] = c & 0xff;
      assert.ok(checksumValid(t, 0, t.length, 0) || parsePacket(pkt).ok);
      assert.ok(parsePacket(pkt).ok);
      void w;
    }),
    params,
  );
});
