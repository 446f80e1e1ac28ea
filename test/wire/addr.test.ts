import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseIPv4, parseIPv6, formatIPv4, formatIPv6, parseAddr, formatAddr, isIPv4, isIPv6, parseCidr, inPrefix } from '../../src/wire/index.js';

const hex = (b: Uint8Array | null): string | null => (b ? Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('') : null);

test('IPv4 text: dotted quads parse; short forms, octal-looking and out-of-range octets do not', () => {
  assert.deepEqual(parseIPv4('192.0.2.255'), new Uint8Array([192, 0, 2, 255]));
  assert.deepEqual(parseIPv4('0.0.0.0'), new Uint8Array(4));
  for (const bad of ['', '1.2.3', '1.2.3.4.5', '256.0.0.1', '01.2.3.4', '1..2.3', '1.2.3.4 ', 'a.b.c.d', '1.2.3.-4', '1.2.3.4/8']) {
    assert.equal(parseIPv4(bad), null, bad);
  }
  assert.equal(formatIPv4(new Uint8Array([10, 0, 0, 1])), '10.0.0.1');
});

test('IPv6 text (RFC 4291 2.2): full, compressed, embedded IPv4 forms', () => {
  assert.equal(hex(parseIPv6('2001:DB8:0:0:8:800:200C:417A')), '20010db80000000000080800200c417a');
  assert.equal(hex(parseIPv6('2001:DB8::8:800:200C:417A')), '20010db80000000000080800200c417a');
  assert.equal(hex(parseIPv6('FF01::101')), 'ff010000000000000000000000000101');
  assert.equal(hex(parseIPv6('::1')), '00000000000000000000000000000001');
  assert.equal(hex(parseIPv6('::')), '00000000000000000000000000000000');
  assert.equal(hex(parseIPv6('1::')), '00010000000000000000000000000000');
  assert.equal(hex(parseIPv6('0:0:0:0:0:0:13.1.68.3')), '0000000000000000000000000d014403');
  assert.equal(hex(parseIPv6('::FFFF:129.144.52.38')), '00000000000000000000ffff81903426');
  assert.equal(hex(parseIPv6('1:2:3:4:5:6:7::')), '00010002000300040005000600070000');
  assert.equal(hex(parseIPv6('::2:3:4:5:6:7:8')), '00000002000300040005000600070008');
  for (const bad of [
    '', ':', ':::', '1:2:3:4:5:6:7', '1:2:3:4:5:6:7:8:9', '1::2::3', '12345::', ':1::', '1:2:3:4:5:6:7:8::', '::1:2:3:4:5:6:7:8',
    '1.2.3.4::', '::1.2.3', '::256.1.1.1', 'g::', '1:2:3:4:5:6:7:1.2.3.4', 'fe80::1%eth0', '::ffff:01.2.3.4',
  ]) {
    assert.equal(parseIPv6(bad), null, bad);
  }
});

test('IPv6 formatting is RFC 5952 canonical', () => {
  const canon = (s: string): string => formatIPv6(parseIPv6(s)!);
  assert.equal(canon('2001:0db8:0000:0000:0000:0000:0000:0001'), '2001:db8::1'); // 4.1, 4.2.1
  assert.equal(canon('2001:db8:0:1:1:1:1:1'), '2001:db8:0:1:1:1:1:1'); // 4.2.2: no '::' for one group
  assert.equal(canon('2001:db8:0:0:1:0:0:1'), '2001:db8::1:0:0:1'); // 4.2.3: first of equal runs
  assert.equal(canon('2001:0:0:1:0:0:0:1'), '2001:0:0:1::1'); // 4.2.3: the longest run
  assert.equal(canon('2001:DB8::A'), '2001:db8::a'); // 4.3 lowercase
  assert.equal(canon('::'), '::');
  assert.equal(canon('::1'), '::1');
  assert.equal(canon('fe80::'), 'fe80::');
  assert.equal(canon('::ffff:c000:0201'), '::ffff:192.0.2.1'); // 5: IPv4-mapped
});

test('parseAddr / formatAddr / isIPv4 / isIPv6 pick the family', () => {
  assert.deepEqual(parseAddr('10.1.2.3'), { family: 4, bytes: new Uint8Array([10, 1, 2, 3]) });
  assert.equal(parseAddr('fd00::1')!.family, 6);
  assert.equal(parseAddr('nope'), null);
  assert.equal(formatAddr(new Uint8Array([127, 0, 0, 1])), '127.0.0.1');
  assert.equal(formatAddr(parseIPv6('fd00:77::2')!), 'fd00:77::2');
  assert.equal(formatAddr(new Uint8Array(5)), '?');
  assert.ok(isIPv4('1.2.3.4') && !isIPv4('::1'));
  assert.ok(isIPv6('::1') && !isIPv6('1.2.3.4'));
});

test('CIDR prefixes: parse and membership', () => {
  const c = parseCidr('10.0.0.1/24')!;
  assert.deepEqual(c, { family: 4, bytes: new Uint8Array([10, 0, 0, 1]), prefix: 24 });
  assert.ok(inPrefix(parseIPv4('10.0.0.200')!, c.bytes, c.prefix));
  assert.ok(!inPrefix(parseIPv4('10.0.1.1')!, c.bytes, c.prefix));
  assert.ok(inPrefix(parseIPv4('10.0.0.127')!, parseIPv4('10.0.0.0')!, 25));
  assert.ok(!inPrefix(parseIPv4('10.0.0.128')!, parseIPv4('10.0.0.0')!, 25));
  assert.ok(inPrefix(parseIPv4('8.8.8.8')!, parseIPv4('0.0.0.0')!, 0));
  const v6 = parseCidr('2001:db8::/32')!;
  assert.equal(v6.prefix, 32);
  assert.ok(inPrefix(parseIPv6('2001:db8:ffff::1')!, v6.bytes, 32));
  assert.ok(!inPrefix(parseIPv6('2001:db9::1')!, v6.bytes, 32));
  assert.ok(!inPrefix(parseIPv4('10.0.0.1')!, v6.bytes, 0)); // families never match
  for (const bad of ['10.0.0.1', '10.0.0.1/33', '10.0.0.1/', '10.0.0.1/08', '::/129', 'x/1', '10.0.0.1/-1']) assert.equal(parseCidr(bad), null, bad);
});
