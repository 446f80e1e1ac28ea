// TCP options (RFC 9293 3.2, RFC 7323, RFC 2018): parse, write, flatten, lay out, format.
import { fail, ok, type WireResult } from './result.js';
import type { SegmentOptions, TcpOption } from './types.js';

export const OPT_EOL = 0;
export const OPT_NOP = 1;
export const OPT_MSS = 2;
export const OPT_WSCALE = 3;
export const OPT_SACK_PERMITTED = 4;
export const OPT_SACK = 5;
export const OPT_TIMESTAMP = 8;
/** RFC 9293 3.1: data offset is 4 bits, so at most 40 bytes of options. */
export const MAX_OPTIONS_LENGTH = 40;

export type OptionLayout = 'linux' | 'freebsd';

const NAMES: Record<number, string> = {
  [OPT_MSS]: 'mss',
  [OPT_WSCALE]: 'wscale',
  [OPT_SACK_PERMITTED]: 'sackPermitted',
  [OPT_SACK]: 'sack',
  [OPT_TIMESTAMP]: 'timestamp',
};

function optField(kind: number): string {
  return `options.${NAMES[kind] ?? `kind${kind}`}`;
}

function u32(b: Uint8Array, i: number): number {
  return ((b[i] << 24) | (b[i + 1] << 16) | (b[i + 2] << 8) | b[i + 3]) >>> 0;
}

function put32(b: Uint8Array, i: number, v: number): void {
  b[i] = (v >>> 24) & 0xff;
  b[i + 1] = (v >>> 16) & 0xff;
  b[i + 2] = (v >>> 8) & 0xff;
  b[i + 3] = v & 0xff;
}

/**
 * Parses option bytes bytes[start, end) (RFC 9293 3.2). Stops after EOL (the rest is padding).
 * Unknown kinds are kept as 'unknown' and skipped by their length (RFC 9293 3.2, MUST-6/MUST-68).
 */
export function parseTcpOptions(bytes: Uint8Array, start: number, end: number): WireResult<TcpOption[]> {
  const list: TcpOption[] = [];
  let i = start;
  while (i < end) {
    const kind = bytes[i];
    if (kind === OPT_EOL) {
      list.push({ kind: 'eol' });
      break;
    }
    if (kind === OPT_NOP) {
      list.push({ kind: 'nop' });
      i++;
      continue;
    }
    // Every other kind has a length octet counting kind and length (RFC 9293 3.2).
    if (i + 1 >= end) return fail('tcp', optField(kind), 'option-past-header');
    const len = bytes[i + 1];
    if (len === 0) return fail('tcp', optField(kind), 'option-length-zero');
    if (len === 1) return fail('tcp', optField(kind), 'option-length-too-short');
    if (i + len > end) return fail('tcp', optField(kind), 'option-past-header');
    switch (kind) {
      case OPT_MSS:
        if (len !== 4) return fail('tcp', optField(kind), 'bad-option-length');
        list.push({ kind: 'mss', value: (bytes[i + 2] << 8) | bytes[i + 3] });
        break;
      case OPT_WSCALE:
        if (len !== 3) return fail('tcp', optField(kind), 'bad-option-length');
        list.push({ kind: 'wscale', shift: bytes[i + 2] });
        break;
      case OPT_SACK_PERMITTED:
        if (len !== 2) return fail('tcp', optField(kind), 'bad-option-length');
        list.push({ kind: 'sackPermitted' });
        break;
      case OPT_SACK: {
        // RFC 2018 3: length 2 + 8n, n >= 1.
        if (len < 10 || (len - 2) % 8 !== 0) return fail('tcp', optField(kind), 'bad-option-length');
        const blocks: Array<[number, number]> = [];
        for (let j = i + 2; j < i + len; j += 8) blocks.push([u32(bytes, j), u32(bytes, j + 4)]);
        list.push({ kind: 'sack', blocks });
        break;
      }
      case OPT_TIMESTAMP:
        if (len !== 10) return fail('tcp', optField(kind), 'bad-option-length');
        list.push({ kind: 'timestamp', val: u32(bytes, i + 2), ecr: u32(bytes, i + 6) });
        break;
      default:
        list.push({ kind: 'unknown', type: kind, data: bytes.subarray(i + 2, i + len) });
    }
    i += len;
  }
  return ok(list);
}

/** Encoded size of one option. */
export function optionLength(o: TcpOption): number {
  switch (o.kind) {
    case 'eol':
    case 'nop':
      return 1;
    case 'mss':
      return 4;
    case 'wscale':
      return 3;
    case 'sackPermitted':
      return 2;
    case 'sack':
      return 2 + 8 * o.blocks.length;
    case 'timestamp':
      return 10;
    case 'unknown':
      return 2 + o.data.length;
  }
}

/** Encoded size of a list, unpadded. */
export function optionListLength(list: TcpOption[]): number {
  let n = 0;
  for (let k = 0; k < list.length; k++) n += optionLength(list[k]);
  return n;
}

/** Writes the list at out[offset..]; returns bytes written (no padding). */
export function writeOptionList(list: TcpOption[], out: Uint8Array, offset: number): number {
  let i = offset;
  for (let k = 0; k < list.length; k++) {
    const o = list[k];
    switch (o.kind) {
      case 'eol':
        out[i++] = OPT_EOL;
        break;
      case 'nop':
        out[i++] = OPT_NOP;
        break;
      case 'mss':
        out[i] = OPT_MSS;
        out[i + 1] = 4;
        out[i + 2] = (o.value >> 8) & 0xff;
        out[i + 3] = o.value & 0xff;
        i += 4;
        break;
      case 'wscale':
        out[i] = OPT_WSCALE;
        out[i + 1] = 3;
        out[i + 2] = o.shift & 0xff;
        i += 3;
        break;
      case 'sackPermitted':
        out[i] = OPT_SACK_PERMITTED;
        out[i + 1] = 2;
        i += 2;
        break;
      case 'sack':
        out[i] = OPT_SACK;
        out[i + 1] = 2 + 8 * o.blocks.length;
        i += 2;
        for (const [l, r] of o.blocks) {
          put32(out, i, l);
          put32(out, i + 4, r);
          i += 8;
        }
        break;
      case 'timestamp':
        out[i] = OPT_TIMESTAMP;
        out[i + 1] = 10;
        put32(out, i + 2, o.val);
        put32(out, i + 6, o.ecr);
        i += 10;
        break;
      case 'unknown':
        out[i] = o.type & 0xff;
        out[i + 1] = (2 + o.data.length) & 0xff;
        out.set(o.data, i + 2);
        i += 2 + o.data.length;
        break;
    }
  }
  return i - offset;
}

/** Flattens a parsed list into the fields the core uses (a later duplicate wins, as in Linux). */
export function segmentOptions(list: TcpOption[]): SegmentOptions {
  const s: SegmentOptions = {};
  for (let k = 0; k < list.length; k++) {
    const o = list[k];
    switch (o.kind) {
      case 'mss':
        s.mss = o.value;
        break;
      case 'wscale':
        s.wscale = o.shift;
        break;
      case 'sackPermitted':
        s.sackPermitted = true;
        break;
      case 'sack':
        s.sack = o.blocks.map((b): [number, number] => [b[0], b[1]]);
        break;
      case 'timestamp':
        s.timestamp = { val: o.val, ecr: o.ecr };
        break;
      default:
        break;
    }
  }
  return s;
}

/** Scratch space for measuring a layout (options never exceed 40 bytes + padding). */
const SCRATCH = new Uint8Array(64);

/** How many SACK blocks fit after `used` bytes, with `overhead` bytes before the blocks. */
function sackFit(o: SegmentOptions, used: number, overhead: number): number {
  if (!o.sack || o.sack.length === 0) return 0;
  const room = Math.floor((MAX_OPTIONS_LENGTH - used - overhead) / 8);
  return Math.max(0, Math.min(4, room, o.sack.length));
}

function writeSackBlocks(o: SegmentOptions, count: number, out: Uint8Array, i: number): number {
  out[i] = OPT_SACK;
  out[i + 1] = 2 + 8 * count;
  i += 2;
  const blocks = o.sack!;
  for (let k = 0; k < count; k++) {
    put32(out, i, blocks[k][0]);
    put32(out, i + 4, blocks[k][1]);
    i += 8;
  }
  return i;
}

/**
 * Lays out SegmentOptions as a sender would, writing to `out` at `offset` (or only measuring when
 * out is null). Returns the length, padded to 4 bytes. SACK blocks beyond the 40-byte limit are
 * dropped (RFC 2018 3: at most 4, or 3 alongside timestamps).
 */
export function encodeSegmentOptions(
  o: SegmentOptions,
  layout: OptionLayout,
  out: Uint8Array | null,
  offset = 0,
): number {
  const buf = out ?? SCRATCH;
  const base = out ? offset : 0;
  let i = base;
  const ts = o.timestamp;
  if (o.mss !== undefined) {
    buf[i] = OPT_MSS;
    buf[i + 1] = 4;
    buf[i + 2] = (o.mss >> 8) & 0xff;
    buf[i + 3] = o.mss & 0xff;
    i += 4;
  }
  if (layout === 'linux') {
    // Linux tcp_options_write(): MSS; SACK-permitted folded into the TS word; wscale after NOP;
    // SACK blocks after NOP,NOP. Always 4-byte aligned.
    if (ts) {
      if (o.sackPermitted) {
        buf[i] = OPT_SACK_PERMITTED;
        buf[i + 1] = 2;
      } else {
        buf[i] = OPT_NOP;
        buf[i + 1] = OPT_NOP;
      }
      buf[i + 2] = OPT_TIMESTAMP;
      buf[i + 3] = 10;
      put32(buf, i + 4, ts.val);
      put32(buf, i + 8, ts.ecr);
      i += 12;
    } else if (o.sackPermitted) {
      buf[i] = OPT_NOP;
      buf[i + 1] = OPT_NOP;
      buf[i + 2] = OPT_SACK_PERMITTED;
      buf[i + 3] = 2;
      i += 4;
    }
    if (o.wscale !== undefined) {
      buf[i] = OPT_NOP;
      buf[i + 1] = OPT_WSCALE;
      buf[i + 2] = 3;
      buf[i + 3] = o.wscale & 0xff;
      i += 4;
    }
    const count = sackFit(o, i - base, 4);
    if (count > 0) {
      buf[i] = OPT_NOP;
      buf[i + 1] = OPT_NOP;
      i = writeSackBlocks(o, count, buf, i + 2);
    }
    return i - base;
  }
  // FreeBSD tcp_addoptions(): MSS, wscale, SACK-permitted, timestamps, SACK, each preceded by
  // NOPs to its preferred alignment, then EOL and zero padding to 4 bytes.
  if (o.wscale !== undefined) {
    while (i === base || (i - base) % 2 !== 1) buf[i++] = OPT_NOP;
    buf[i] = OPT_WSCALE;
    buf[i + 1] = 3;
    buf[i + 2] = o.wscale & 0xff;
    i += 3;
  }
  if (o.sackPermitted) {
    while ((i - base) % 2 !== 0) buf[i++] = OPT_NOP;
    buf[i] = OPT_SACK_PERMITTED;
    buf[i + 1] = 2;
    i += 2;
  }
  if (ts) {
    while (i === base || (i - base) % 4 !== 2) buf[i++] = OPT_NOP;
    buf[i] = OPT_TIMESTAMP;
    buf[i + 1] = 10;
    put32(buf, i + 2, ts.val);
    put32(buf, i + 6, ts.ecr);
    i += 10;
  }
  if (o.sack && o.sack.length > 0) {
    let pad = 0;
    while (i + pad === base || (i + pad - base) % 4 !== 2) pad++;
    const count = sackFit(o, i + pad - base, 2);
    if (count > 0) {
      for (let k = 0; k < pad; k++) buf[i++] = OPT_NOP;
      i = writeSackBlocks(o, count, buf, i);
    }
  }
  if ((i - base) % 4 !== 0) {
    buf[i++] = OPT_EOL;
    while ((i - base) % 4 !== 0) buf[i++] = 0;
  }
  return i - base;
}

/**
 * The option list a sender with this layout puts on the wire for `opts`. Linux SYN:
 * "mss,sackOK,TS,nop,wscale"; non-SYN: "nop,nop,TS" then "nop,nop,sack".
 * (`syn` is accepted for clarity; the layout follows from which options are present.)
 */
export function optionList(opts: SegmentOptions, layout: OptionLayout, _syn?: boolean): TcpOption[] {
  const n = encodeSegmentOptions(opts, layout, null);
  const buf = new Uint8Array(n);
  encodeSegmentOptions(opts, layout, buf, 0);
  const r = parseTcpOptions(buf, 0, n);
  return r.ok ? r.value : [];
}

/** packetdrill syntax: "mss 1460,sackOK,TS val 1 ecr 0,nop,wscale 7", "sack 1:2 3:4", "eol". */
export function formatOptions(list: TcpOption[]): string {
  const parts: string[] = [];
  for (const o of list) {
    switch (o.kind) {
      case 'eol':
        parts.push('eol');
        break;
      case 'nop':
        parts.push('nop');
        break;
      case 'mss':
        parts.push(`mss ${o.value}`);
        break;
      case 'wscale':
        parts.push(`wscale ${o.shift}`);
        break;
      case 'sackPermitted':
        parts.push('sackOK');
        break;
      case 'sack':
        parts.push(`sack ${o.blocks.map(([l, r]) => `${l}:${r}`).join(' ')}`);
        break;
      case 'timestamp':
        parts.push(`TS val ${o.val} ecr ${o.ecr}`);
        break;
      case 'unknown': {
        let hex = '';
        for (let i = 0; i < o.data.length; i++) hex += o.data[i].toString(16).padStart(2, '0');
        parts.push(hex ? `unknown-${o.type} 0x${hex}` : `unknown-${o.type}`);
        break;
      }
    }
  }
  return parts.join(',');
}
