import { test } from 'node:test';
import assert from 'node:assert/strict';
import { optionList, formatOptions, segmentOptions, encodeSegmentOptions, type SegmentOptions } from '../../src/wire/index.js';

const fmt = (o: SegmentOptions, layout: 'linux' | 'freebsd' = 'linux'): string => formatOptions(optionList(o, layout));

test('linux layout: SYN is mss,sackOK,TS,nop,wscale', () => {
  assert.equal(fmt({ mss: 1460, sackPermitted: true, timestamp: { val: 1, ecr: 0 }, wscale: 7 }), 'mss 1460,sackOK,TS val 1 ecr 0,nop,wscale 7');
  assert.equal(fmt({ mss: 1460, sackPermitted: true, wscale: 7 }), 'mss 1460,nop,nop,sackOK,nop,wscale 7');
  assert.equal(fmt({ mss: 1460, timestamp: { val: 1, ecr: 0 } }), 'mss 1460,nop,nop,TS val 1 ecr 0');
  assert.equal(fmt({ mss: 536 }), 'mss 536');
});

test('linux layout: data segments are nop,nop,TS then nop,nop,sack', () => {
  assert.equal(fmt({ timestamp: { val: 5, ecr: 6 } }), 'nop,nop,TS val 5 ecr 6');
  assert.equal(fmt({ timestamp: { val: 5, ecr: 6 }, sack: [[1, 2], [3, 4]] }), 'nop,nop,TS val 5 ecr 6,nop,nop,sack 1:2 3:4');
  assert.equal(fmt({ sack: [[1, 2]] }), 'nop,nop,sack 1:2');
  assert.equal(fmt({}), '');
});

test('RFC 2018 3: at most 3 SACK blocks beside timestamps, 4 without', () => {
  const five: Array<[number, number]> = [[1, 2], [3, 4], [5, 6], [7, 8], [9, 10]];
  for (const layout of ['linux', 'freebsd'] as const) {
    assert.equal(segmentOptions(optionList({ timestamp: { val: 1, ecr: 2 }, sack: five }, layout)).sack!.length, 3);
    assert.equal(segmentOptions(optionList({ sack: five }, layout)).sack!.length, 4);
    assert.equal(encodeSegmentOptions({ timestamp: { val: 1, ecr: 2 }, sack: five }, layout, null), 40);
  }
});

test('freebsd layout: tcp_addoptions() alignment, EOL then zero padding', () => {
  assert.equal(fmt({ mss: 1460, wscale: 6, sackPermitted: true, timestamp: { val: 1, ecr: 0 } }, 'freebsd'), 'mss 1460,nop,wscale 6,sackOK,TS val 1 ecr 0');
  assert.equal(fmt({ mss: 1460, wscale: 6 }, 'freebsd'), 'mss 1460,nop,wscale 6');
  assert.equal(fmt({ mss: 1460, sackPermitted: true }, 'freebsd'), 'mss 1460,sackOK,eol');
  assert.equal(fmt({ timestamp: { val: 5, ecr: 6 } }, 'freebsd'), 'nop,nop,TS val 5 ecr 6');
  assert.equal(fmt({ timestamp: { val: 5, ecr: 6 }, sack: [[1, 2]] }, 'freebsd'), 'nop,nop,TS val 5 ecr 6,nop,nop,sack 1:2');
  assert.equal(encodeSegmentOptions({ mss: 1460, sackPermitted: true }, 'freebsd', null), 8);
});

test('formatOptions: packetdrill syntax for every kind', () => {
  assert.equal(
    formatOptions([
      { kind: 'mss', value: 1460 },
      { kind: 'sackPermitted' },
      { kind: 'timestamp', val: 1, ecr: 0 },
      { kind: 'nop' },
      { kind: 'wscale', shift: 7 },
      { kind: 'sack', blocks: [[1, 2], [3, 4]] },
      { kind: 'unknown', type: 254, data: new Uint8Array([0xf9, 0x89]) },
      { kind: 'unknown', type: 30, data: new Uint8Array(0) },
      { kind: 'eol' },
    ]),
    'mss 1460,sackOK,TS val 1 ecr 0,nop,wscale 7,sack 1:2 3:4,unknown-254 0xf989,unknown-30,eol',
  );
});

test('segmentOptions: flattens; a later duplicate wins (as Linux tcp_parse_options)', () => {
  assert.deepEqual(segmentOptions([{ kind: 'mss', value: 1000 }, { kind: 'nop' }, { kind: 'mss', value: 1200 }, { kind: 'eol' }]), { mss: 1200 });
  assert.deepEqual(segmentOptions([{ kind: 'unknown', type: 99, data: new Uint8Array(1) }]), {});
});
