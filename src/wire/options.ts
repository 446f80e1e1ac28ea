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
  let n = 0;
  const b = (v: number): void => {
    if (out) out[offset + n] = v;
    n++;
  };
  const w16 = (v: number): void => {
    b((v >> 8) & 0xff);
    b(v & 0xff);
  };
  const w32 = (v: number): void => {
    if (out) put32(out, offset + n, v);
    n += 4;
  };
  const ts = o.timestamp;
  const sackRoom = (overhead: number): number => {
    if (!o.sack || o.sack.length === 0) return 0;
    const room = Math.floor((MAX_OPTIONS_LENGTH - n - overhead) / 8);
    return Math.max(0, Math.min(4, room, o.sack.length));
  };
  const writeSack = (count: number): void => {
    b(OPT_SACK);
    b(2 + 8 * count);
    for (let k = 0; k < count; k++) {
      w32(o.sack![k][0]);
      w32(o.sack![k][1]);
    }
  };
  if (layout === 'linux') {
    // Linux tcp_options_write(): MSS; SACK-permitted folded into the TS word; wscale after NOP;
    // SACK blocks after NOP,NOP. Always 4-byte aligned.
    if (o.mss !== undefined) {
      b(OPT_MSS);
      b(4);
      w16(o.mss);
    }
    if (ts) {
      if (o.sackPermitted) {
        b(OPT_SACK_PERMITTED);
        b(2);
      } else {
        b(OPT_NOP);
        b(OPT_NOP);
      }
      b(OPT_TIMESTAMP);
      b(10);
      w32(ts.val);
      w32(ts.ecr);
    } else if (o.sackPermitted) {
      b(OPT_NOP);
      b(OPT_NOP);
      b(OPT_SACK_PERMITTED);
      b(2);
    }
    if (o.wscale !== undefined) {
      b(OPT_NOP);
      b(OPT_WSCALE);
      b(3);
      b(o.wscale);
    }
    const count = sackRoom(4);
    if (count > 0) {
      b(OPT_NOP);
      b(OPT_NOP);
      writeSack(count);
    }
  } else {
    // FreeBSD tcp_addoptions(): MSS, wscale, SACK-permitted, timestamps, SACK, each preceded by
    // NOPs to its preferred alignment, then EOL and zero padding to 4 bytes.
    if (o.mss !== undefined) {
      b(OPT_MSS);
      b(4);
      w16(o.mss);
    }
    if (o.wscale !== undefined) {
      while (n === 0 || n % 2 !== 1) b(OPT_NOP);
      b(OPT_WSCALE);
      b(3);
      b(o.wscale);
    }
    if (o.sackPermitted) {
      while (n % 2 !== 0) b(OPT_NOP);
      b(OPT_SACK_PERMITTED);
      b(2);
    }
    if (ts) {
      while (n === 0 || n % 4 !== 2) b(OPT_NOP);
      b(OPT_TIMESTAMP);
      b(10);
      w32(ts.val);
      w32(ts.ecr);
    }
    if (o.sack && o.sack.length > 0) {
      const save = n;
      while (n === 0 || n % 4 !== 2) b(OPT_NOP);
      const count = sackRoom(2);
      if (count > 0) writeSack(count);
      else n = save;
    }
    if (n % 4 !== 0) {
      b(OPT_EOL);
      while (n % 4 !== 0) b(0);
    }
  }
  return n;
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
