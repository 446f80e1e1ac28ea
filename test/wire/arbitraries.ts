// fast-check generators shared by the wire property tests.
import fc from 'fast-check';
import type { SegmentOptions, TcpOption, Segment } from '../../src/wire/types.js';
import { optionListLength, type TcpHeaderInit } from '../../src/wire/index.js';

export const SEED = 0x5eed;
export const u32 = fc.integer({ min: 0, max: 0xffffffff });
export const u16 = fc.integer({ min: 0, max: 0xffff });
export const u8 = fc.integer({ min: 0, max: 0xff });
export const v4addr = fc.uint8Array({ minLength: 4, maxLength: 4 });
export const v6addr = fc.uint8Array({ minLength: 16, maxLength: 16 });

const KNOWN = new Set([0, 1, 2, 3, 4, 5, 8]);
const block = fc.tuple(u32, u32).map(([a, b]): [number, number] => [a, b]);

/** Any option but EOL, with valid lengths. */
export const option: fc.Arbitrary<TcpOption> = fc.oneof(
  fc.constant<TcpOption>({ kind: 'nop' }),
  u16.map((value): TcpOption => ({ kind: 'mss', value })),
  u8.map((shift): TcpOption => ({ kind: 'wscale', shift })),
  fc.constant<TcpOption>({ kind: 'sackPermitted' }),
  fc.array(block, { minLength: 1, maxLength: 4 }).map((blocks): TcpOption => ({ kind: 'sack', blocks })),
  fc.tuple(u32, u32).map(([val, ecr]): TcpOption => ({ kind: 'timestamp', val, ecr })),
  fc
    .tuple(u8.filter((t) => !KNOWN.has(t)), fc.uint8Array({ maxLength: 8 }))
    .map(([type, data]): TcpOption => ({ kind: 'unknown', type, data })),
);

/** A list that parses back to itself: fits in 40 bytes; aligned, or ends with EOL. */
export const optionListArb: fc.Arbitrary<TcpOption[]> = fc
  .tuple(fc.array(option, { maxLength: 10 }), fc.boolean())
  .map(([list, eol]) => {
    const out = list.slice();
    while (optionListLength(out) > 40) out.pop();
    if (eol || optionListLength(out) % 4 !== 0) {
      if (optionListLength(out) >= 40) out.pop();
      out.push({ kind: 'eol' });
    }
    return out;
  })
  .filter((l) => optionListLength(l) <= 40);

export const tcpHeaderArb: fc.Arbitrary<TcpHeaderInit> = fc.record({
  srcPort: u16,
  dstPort: u16,
  seq: u32,
  ack: u32,
  flags: u8,
  window: u16,
  urgent: u16,
  options: optionListArb,
  payload: fc.uint8Array({ maxLength: 64 }),
}).map((r) => ({ ...r }));

export const segmentOptionsArb: fc.Arbitrary<SegmentOptions> = fc.record(
  {
    mss: u16,
    wscale: fc.integer({ min: 0, max: 14 }),
    sackPermitted: fc.constant(true),
    sack: fc.array(block, { minLength: 1, maxLength: 4 }),
    timestamp: fc.record({ val: u32, ecr: u32 }).map((r) => ({ ...r })),
  },
  { requiredKeys: [] },
).map((r) => ({ ...r }));

export const segmentArb: fc.Arbitrary<Segment> = fc.record({
  srcPort: u16,
  dstPort: u16,
  seq: u32,
  ack: u32,
  flags: u8,
  window: u16,
  urgent: u16,
  options: segmentOptionsArb,
  payload: fc.uint8Array({ maxLength: 64 }),
}).map((r) => ({ ...r }));

/** RFC 2018 3: a data segment carries up to 4 SACK blocks, 3 alongside timestamps. */
export function sackLimit(o: SegmentOptions): number {
  return o.timestamp ? 3 : 4;
}
