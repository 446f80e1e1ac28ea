// Parser for packetdrill scripts, written from the script grammar (packetdrill's README and the
// scripts themselves), not from packetdrill's C sources.
//
// A script is: `--option[=value]` lines, then events. An event is a time spec followed by
//   - a packet:      `< S 0:0(0) win 32792 <mss 1000,sackOK,nop,nop>` (inbound) or `>` (outbound)
//   - an ICMP packet: `< icmp unreachable frag_needed mtu 1234 [0:0(0)]`
//   - a system call: `connect(3, ..., ...) = -1 EINPROGRESS (Operation now in progress)`
//   - a shell command in backquotes: `` `sysctl -w net.inet.tcp.insecure_rst=0` ``
//   - a python block: `%{ assert tcpi_snd_cwnd == 10 }%`
// Time specs: `0.100` (absolute), `+0.1` (relative to the previous event), `*` (any time),
// `a~b` (a range), `a...b` (a blocking system call that starts at a and returns at b).
// Comments: `// ...`, `/* ... */`. C preprocessor conditionals `#ifdef X` / `#ifndef X` /
// `#else` / `#endif` are honoured against a set of defined names (default: STANDARD, i.e. the
// RFC behaviour rather than one implementation's).
// Every error names file:line. The parser is pure (no node: imports) so the lab could use it.

export class ParseError extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
    readonly detail: string,
  ) {
    super(`${file}:${line}: ${detail}`);
    this.name = 'ParseError';
  }
}

/** Times are integers in microseconds, as packetdrill's are. */
export interface TimeSpec {
  kind: 'absolute' | 'relative' | 'any';
  usecs: number;
  /** `a~b`: the event may happen anywhere in [a, b]; end is relative when the start is. */
  rangeEnd?: number;
  /** `a...b`: blocking call returning at b (same base as the start). */
  blockEnd?: number;
}

export type PacketOption =
  | { kind: 'mss'; value: number }
  | { kind: 'wscale'; value: number }
  | { kind: 'sackOK' }
  | { kind: 'sack'; blocks: Array<[number, number]> }
  | { kind: 'ts'; val: number | null; ecr: number | null } // null = `...` (anything)
  | { kind: 'nop' }
  | { kind: 'eol' }
  | { kind: 'md5'; text: string }
  | { kind: 'fastopen'; text: string }
  | { kind: 'unknown'; text: string };

export interface TcpPacketSpec {
  kind: 'tcp';
  dir: 'in' | 'out';
  /** The flag characters as written: "S", "S.", "F.", "SEW", "." ... */
  flags: string;
  /** null: `...(len)` (any sequence number). */
  seq: { start: number; end: number; len: number } | null;
  /** Payload length (also given for `...(len)`). */
  len: number;
  /** `0:0(0)!`: the sequence number is absolute, not relative to the ISN. */
  absoluteSeq: boolean;
  ack?: number;
  win?: number;
  urg?: number;
  /** undefined: the script gave no option list (outbound: not checked; inbound: none). */
  options?: PacketOption[];
  /** `<...>`: any options (outbound only). */
  anyOptions?: boolean;
  /** `[ect0]`, `[ce]`, `[noecn]` ... */
  ecn?: string;
  /** `(tos 0x28)`, `(ttl 3)`, `(class 0x20)`, `(hlim 3)` IP header attributes. */
  ipAttrs?: Record<string, number>;
  /** `/udp(1 > 9811)`: UDP encapsulation. */
  udp?: { src: number; dst: number };
}

export interface IcmpPacketSpec {
  kind: 'icmp';
  dir: 'in' | 'out';
  /** "unreachable", "packet_too_big", "time_exceeded", "source_quench", "redirect", ... */
  type: string;
  code?: string;
  mtu?: number;
  /** The quoted TCP segment: `[start:end(len)]`, relative like a packet's. */
  quoted?: { start: number; end: number; len: number };
  /** Everything inside the brackets as written. */
  quotedText?: string;
  ipAttrs?: Record<string, number>;
}

export type Expr =
  | { t: 'int'; v: number }
  | { t: 'str'; v: string }
  | { t: 'ellipsis' }
  | { t: 'ident'; name: string }
  | { t: 'array'; items: Expr[] }
  | { t: 'struct'; items: Expr[] }
  | { t: 'call'; name: string; args: Expr[] }
  | { t: 'binop'; op: string; l: Expr; r: Expr }
  | { t: 'assign'; l: Expr; r: Expr }
  | { t: 'neg'; e: Expr };

export interface SyscallSpec {
  kind: 'syscall';
  name: string;
  args: Expr[];
  result: Expr;
  /** `-1 EINPROGRESS (Operation now in progress)`: "EINPROGRESS". */
  errno?: string;
  /** The parenthesised note after the result (errno text, or `(flags O_RDWR)`). */
  note?: string;
}

export interface CommandSpec {
  kind: 'command';
  text: string;
}

export interface PythonSpec {
  kind: 'python';
  code: string;
}

export type Action = TcpPacketSpec | IcmpPacketSpec | SyscallSpec | CommandSpec | PythonSpec;

export interface ScriptEvent {
  line: number;
  time: TimeSpec;
  action: Action;
}

export interface Script {
  file: string;
  /** `--name=value` options (value `true` when given without `=`). */
  options: Record<string, string | true>;
  events: ScriptEvent[];
}

export interface ParseOptions {
  /** Names defined for `#ifdef` (default ['STANDARD']). */
  defines?: string[];
}

// ---------------------------------------------------------------------------------------------
// Preprocessing: #ifdef / #ifndef / #else / #endif. Excluded lines become empty (line numbers
// are kept). Other `#` lines at top level are comments only inside python blocks, so they are
// left alone here and rejected later if they are outside one.

function preprocess(file: string, text: string, defines: Set<string>): string {
  const lines = text.split('\n');
  const stack: Array<{ active: boolean; parentActive: boolean; line: number }> = [];
  let active = true;
  for (let i = 0; i < lines.length; i++) {
    const m = /^\s*#\s*(ifdef|ifndef|else|endif|if|elif|define|undef)\b\s*(.*)$/.exec(lines[i]);
    if (m) {
      const dir = m[1];
      const arg = m[2].replace(/\/\/.*$/, '').trim();
      if (dir === 'ifdef' || dir === 'ifndef') {
        const cond = defines.has(arg) === (dir === 'ifdef');
        stack.push({ active, parentActive: active, line: i + 1 });
        active = active && cond;
      } else if (dir === 'else') {
        const top = stack[stack.length - 1];
        if (!top) throw new ParseError(file, i + 1, '#else without #ifdef');
        active = top.parentActive && !active;
      } else if (dir === 'endif') {
        const top = stack.pop();
        if (!top) throw new ParseError(file, i + 1, '#endif without #ifdef');
        active = top.parentActive;
      } else if (dir === 'define') {
        if (active) defines.add(arg.split(/\s+/)[0]);
      } else if (dir === 'undef') {
        if (active) defines.delete(arg);
      } else {
        throw new ParseError(file, i + 1, `unsupported preprocessor directive #${dir}`);
      }
      lines[i] = '';
      continue;
    }
    if (!active) lines[i] = '';
  }
  if (stack.length) throw new ParseError(file, stack[stack.length - 1].line, '#ifdef without #endif');
  return lines.join('\n');
}

// ---------------------------------------------------------------------------------------------

const NUM_RE = /^(?:\d+(?:\.\d+)?|\.\d+)/;

class Cursor {
  pos = 0;
  line = 1;
  constructor(
    readonly file: string,
    readonly s: string,
  ) {}
  get eof(): boolean {
    return this.pos >= this.s.length;
  }
  peek(n = 0): string {
    return this.s[this.pos + n] ?? '';
  }
  startsWith(t: string): boolean {
    return this.s.startsWith(t, this.pos);
  }
  advance(n: number): string {
    const out = this.s.slice(this.pos, this.pos + n);
    for (const ch of out) if (ch === '\n') this.line++;
    this.pos += n;
    return out;
  }
  error(msg: string, line = this.line): never {
    throw new ParseError(this.file, line, msg);
  }
  /** Skips spaces, tabs, newlines (when `newlines`), comments. */
  skip(newlines: boolean): void {
    for (;;) {
      const c = this.peek();
      if (c === ' ' || c === '\t' || c === '\r' || (newlines && c === '\n')) {
        this.advance(1);
      } else if (this.startsWith('//')) {
        while (!this.eof && this.peek() !== '\n') this.advance(1);
      } else if (this.startsWith('/*')) {
        const end = this.s.indexOf('*/', this.pos + 2);
        if (end < 0) this.error('unterminated /* comment');
        this.advance(end + 2 - this.pos);
      } else if (newlines && c === '\\' && this.peek(1) === '\n') {
        this.advance(2);
      } else {
        return;
      }
    }
  }
  /** The rest of the current line (without the newline), consumed. */
  restOfLine(): string {
    let end = this.s.indexOf('\n', this.pos);
    if (end < 0) end = this.s.length;
    return this.advance(end - this.pos);
  }
  match(re: RegExp): string | null {
    const m = re.exec(this.s.slice(this.pos, this.pos + 400));
    if (!m || m.index !== 0) return null;
    return this.advance(m[0].length);
  }
}

function secondsToUsecs(text: string): number {
  return Math.round(parseFloat(text) * 1_000_000);
}

function parseTime(c: Cursor): TimeSpec {
  if (c.peek() === '*') {
    c.advance(1);
    return { kind: 'any', usecs: 0 };
  }
  const one = (): { rel: boolean; usecs: number } | null => {
    const rel = c.peek() === '+';
    if (rel) {
      c.advance(1);
      c.skip(false);
    }
    const neg = c.peek() === '-';
    if (neg) c.advance(1);
    const n = c.match(NUM_RE);
    if (n === null) return null;
    return { rel, usecs: (neg ? -1 : 1) * secondsToUsecs(n) };
  };
  const start = one();
  if (!start) c.error(`expected a time (e.g. 0.100, +0.1, *), got '${c.s.slice(c.pos, c.pos + 20).split('\n')[0]}'`);
  const spec: TimeSpec = { kind: start.rel ? 'relative' : 'absolute', usecs: start.usecs };
  c.skip(false);
  if (c.peek() === '~') {
    c.advance(1);
    c.skip(false);
    const end = one();
    if (!end) c.error('expected the end of a time range after ~');
    spec.rangeEnd = end.usecs;
  } else if (c.startsWith('...')) {
    c.advance(3);
    c.skip(false);
    const end = one();
    if (!end) c.error('expected the end time of a blocking call after ...');
    spec.blockEnd = end.usecs;
  }
  return spec;
}

// ---- packets ---------------------------------------------------------------------------------

function parseInt0(text: string, c: Cursor, what: string): number {
  const t = text.trim();
  const v = /^-?0x[0-9a-f]+$/i.test(t) ? parseInt(t, 16) : /^-?\d+$/.test(t) ? parseInt(t, 10) : NaN;
  if (!Number.isFinite(v)) c.error(`bad ${what} '${text}'`);
  return v;
}

function parseSeqSpec(text: string, c: Cursor): { start: number; end: number; len: number } {
  const m = /^(\d+):(\d+)\((\d+)\)$/.exec(text);
  if (!m) c.error(`bad sequence range '${text}' (expected start:end(len))`);
  const start = Number(m[1]);
  const end = Number(m[2]);
  const len = Number(m[3]);
  if (((end - start) >>> 0) !== len >>> 0) c.error(`sequence range '${text}': end - start != len`);
  return { start, end, len };
}

function parseOptions(text: string, c: Cursor): PacketOption[] {
  const out: PacketOption[] = [];
  // `<>`: an empty list, "no options at all" (checked strictly on outbound packets).
  if (text.trim() === '') return out;
  for (const raw of text.split(',')) {
    const o = raw.trim();
    if (o === '') c.error('empty TCP option in option list');
    const w = o.split(/\s+/);
    switch (w[0]) {
      case 'nop':
        out.push({ kind: 'nop' });
        break;
      case 'eol':
        out.push({ kind: 'eol' });
        break;
      case 'sackOK':
        out.push({ kind: 'sackOK' });
        break;
      case 'mss':
        if (w.length !== 2) c.error(`bad mss option '${o}'`);
        out.push({ kind: 'mss', value: parseInt0(w[1], c, 'mss') });
        break;
      case 'wscale':
        if (w.length !== 2) c.error(`bad wscale option '${o}'`);
        out.push({ kind: 'wscale', value: parseInt0(w[1], c, 'wscale') });
        break;
      case 'sack': {
        const blocks: Array<[number, number]> = [];
        for (const b of w.slice(1)) {
          const m = /^(\d+):(\d+)$/.exec(b);
          if (!m) c.error(`bad SACK block '${b}'`);
          blocks.push([Number(m[1]), Number(m[2])]);
        }
        out.push({ kind: 'sack', blocks });
        break;
      }
      case 'TS': {
        const m = /^TS\s+val\s+(\d+|\.\.\.)\s+ecr\s+(\d+|\.\.\.)$/.exec(o);
        if (!m) c.error(`bad TS option '${o}' (expected 'TS val X ecr Y')`);
        out.push({
          kind: 'ts',
          val: m[1] === '...' ? null : Number(m[1]),
          ecr: m[2] === '...' ? null : Number(m[2]),
        });
        break;
      }
      case 'md5':
        out.push({ kind: 'md5', text: o });
        break;
      case 'FO':
      case 'FOEXP':
        out.push({ kind: 'fastopen', text: o });
        break;
      default:
        // Numbered/unknown options ("exp", "FOEXP", "tfo" ...): kept as text; the executor
        // decides whether it can honour them.
        if (/^[A-Za-z0-9_-]+/.test(o)) out.push({ kind: 'unknown', text: o });
        else c.error(`unknown TCP option '${o}'`);
    }
  }
  return out;
}

/** Splits `<...>` option lists etc. out of a packet line, returning tokens. */
function parsePacket(c: Cursor, dir: 'in' | 'out', line: number): TcpPacketSpec | IcmpPacketSpec {
  let text = c.restOfLine();
  // Strip a trailing comment.
  const cm = text.indexOf('//');
  if (cm >= 0) text = text.slice(0, cm);
  text = text.trim();
  const err: (msg: string) => never = (msg) => c.error(msg, line);
  let ipAttrs: Record<string, number> | undefined;
  const takeIpAttrs = (): void => {
    const m = /^\(([^)]*)\)\s*/.exec(text);
    if (!m) return;
    ipAttrs = {};
    for (const part of m[1].split(',')) {
      const kv = part.trim().split(/\s+/);
      if (kv.length !== 2) err(`bad IP attribute '${part.trim()}'`);
      ipAttrs[kv[0]] = parseInt0(kv[1], c, `IP attribute ${kv[0]}`);
    }
    text = text.slice(m[0].length);
  };
  takeIpAttrs();
  if (/^icmp\b/.test(text)) {
    text = text.slice(4).trim();
    const spec: IcmpPacketSpec = { kind: 'icmp', dir, type: '' };
    if (ipAttrs) spec.ipAttrs = ipAttrs;
    const br = text.indexOf('[');
    let head = text;
    if (br >= 0) {
      if (!text.endsWith(']')) err(`ICMP quoted segment must end with ']': '${text}'`);
      spec.quotedText = text.slice(br + 1, -1).trim();
      head = text.slice(0, br).trim();
      const sm = /^(\d+:\d+\(\d+\))/.exec(spec.quotedText);
      if (sm) spec.quoted = parseSeqSpec(sm[1], c);
    }
    const words = head.split(/\s+/).filter(Boolean);
    if (words.length === 0) err('ICMP packet without a type');
    spec.type = words[0];
    let i = 1;
    if (i < words.length && words[i] !== 'mtu') spec.code = words[i++];
    if (words[i] === 'mtu') {
      if (i + 1 >= words.length) err('ICMP mtu without a value');
      spec.mtu = parseInt0(words[i + 1], c, 'mtu');
      i += 2;
    }
    if (i !== words.length) err(`unexpected '${words.slice(i).join(' ')}' in ICMP packet`);
    return spec;
  }
  const spec: TcpPacketSpec = { kind: 'tcp', dir, flags: '', seq: null, len: 0, absoluteSeq: false };
  if (ipAttrs) spec.ipAttrs = ipAttrs;
  // Flags, possibly preceded by an ECN codepoint in brackets.
  const ecn = /^\[([a-z0-9]+)\]\s*/.exec(text);
  if (ecn) {
    spec.ecn = ecn[1];
    text = text.slice(ecn[0].length);
  }
  const fl = /^([SFRPEWU.]+)(?=\s)/.exec(text);
  if (!fl) err(`expected TCP flags (S F R P E W U .) in packet, got '${text.split(/\s/)[0]}'`);
  spec.flags = fl[1];
  text = text.slice(fl[0].length).trim();
  // UDP encapsulation suffix.
  const udp = /\/udp\((\d+)\s*>\s*(\d+)\)\s*$/.exec(text);
  if (udp) {
    spec.udp = { src: Number(udp[1]), dst: Number(udp[2]) };
    text = text.slice(0, udp.index).trim();
  }
  // Option list.
  const lt = text.indexOf('<');
  if (lt >= 0) {
    if (!text.endsWith('>')) err(`TCP option list must end with '>': '${text.slice(lt)}'`);
    const inner = text.slice(lt + 1, -1).trim();
    if (inner === '...') spec.anyOptions = true;
    else spec.options = parseOptions(inner, c);
    text = text.slice(0, lt).trim();
  }
  const words = text.split(/\s+/).filter(Boolean);
  let i = 0;
  if (i >= words.length) err('packet without a sequence range');
  let seqWord = words[i++];
  if (seqWord.endsWith('!')) {
    spec.absoluteSeq = true;
    seqWord = seqWord.slice(0, -1);
  }
  const anySeq = /^\.\.\.\((\d+)\)$/.exec(seqWord);
  if (anySeq) {
    spec.seq = null;
    spec.len = Number(anySeq[1]);
  } else {
    spec.seq = parseSeqSpec(seqWord, c);
    spec.len = spec.seq.len;
  }
  while (i < words.length) {
    const k = words[i++];
    if (k === 'ack' || k === 'win' || k === 'urg') {
      if (i >= words.length) err(`'${k}' without a value`);
      spec[k] = parseInt0(words[i++], c, k);
    } else {
      err(`unexpected '${k}' in TCP packet`);
    }
  }
  return spec;
}

// ---- system calls ----------------------------------------------------------------------------

function parseExpr(c: Cursor): Expr {
  return parseAssign(c);
}

function parseAssign(c: Cursor): Expr {
  const l = parseBinary(c);
  c.skip(true);
  if (c.peek() === '=' && c.peek(1) !== '=') {
    c.advance(1);
    c.skip(true);
    const r = parseBinary(c);
    return { t: 'assign', l, r };
  }
  return l;
}

const BINOPS = ['<<', '>>', '|', '&', '+', '-', '*', '^'];

function parseBinary(c: Cursor, newlines = true): Expr {
  let l = parseTerm(c);
  for (;;) {
    c.skip(newlines);
    const op = BINOPS.find((o) => c.startsWith(o));
    if (!op) return l;
    c.advance(op.length);
    c.skip(true);
    const r = parseTerm(c);
    l = { t: 'binop', op, l, r };
  }
}

function parseList(c: Cursor, close: string): Expr[] {
  const items: Expr[] = [];
  c.skip(true);
  if (c.peek() === close) {
    c.advance(1);
    return items;
  }
  for (;;) {
    c.skip(true);
    items.push(parseExpr(c));
    c.skip(true);
    const ch = c.peek();
    if (ch === ',') {
      c.advance(1);
      continue;
    }
    if (ch === close) {
      c.advance(1);
      return items;
    }
    c.error(`expected ',' or '${close}' in argument list, got '${ch === '\n' ? '\\n' : ch}'`);
  }
}

function parseTerm(c: Cursor): Expr {
  c.skip(true);
  const ch = c.peek();
  if (c.startsWith('...')) {
    c.advance(3);
    return { t: 'ellipsis' };
  }
  if (ch === '-') {
    c.advance(1);
    return { t: 'neg', e: parseTerm(c) };
  }
  if (ch === '~') {
    c.advance(1);
    return { t: 'call', name: '~', args: [parseTerm(c)] };
  }
  if (ch === '"') {
    let s = '';
    c.advance(1);
    for (;;) {
      if (c.eof) c.error('unterminated string');
      const d = c.advance(1);
      if (d === '"') break;
      if (d === '\\') {
        const e = c.advance(1);
        s += e === 'n' ? '\n' : e === 't' ? '\t' : e === '0' ? '\0' : e;
      } else s += d;
    }
    return { t: 'str', v: s };
  }
  if (ch === '[') {
    c.advance(1);
    return { t: 'array', items: parseList(c, ']') };
  }
  if (ch === '{') {
    c.advance(1);
    return { t: 'struct', items: parseList(c, '}') };
  }
  if (ch === '(') {
    c.advance(1);
    const e = parseExpr(c);
    c.skip(true);
    if (c.peek() !== ')') c.error("expected ')'");
    c.advance(1);
    return e;
  }
  const hex = c.match(/^0x[0-9a-fA-F]+/);
  if (hex) return { t: 'int', v: parseInt(hex, 16) };
  const num = c.match(/^\d+/);
  if (num) return { t: 'int', v: Number(num) };
  const id = c.match(/^[A-Za-z_][A-Za-z0-9_.]*/);
  if (id) {
    if (c.peek() === '(') {
      c.advance(1);
      return { t: 'call', name: id, args: parseList(c, ')') };
    }
    return { t: 'ident', name: id };
  }
  c.error(`unexpected '${ch === '\n' ? '\\n' : ch}' in system call arguments`);
}

function parseSyscall(c: Cursor, name: string): SyscallSpec {
  // c is just past the '('.
  const args = parseList(c, ')');
  c.skip(false);
  if (c.peek() !== '=') c.error(`expected '= result' after ${name}(...)`);
  c.advance(1);
  c.skip(false);
  const result = parseBinary(c, false);
  const spec: SyscallSpec = { kind: 'syscall', name, args, result };
  c.skip(false);
  const errno = c.match(/^E[A-Z0-9]+\b/);
  if (errno) spec.errno = errno;
  c.skip(false);
  if (c.peek() === '(') {
    // A note: balanced parentheses, on this line.
    let depth = 0;
    let note = '';
    for (;;) {
      if (c.eof || c.peek() === '\n') c.error('unterminated ( note after system call result');
      const d = c.advance(1);
      if (d === '(') depth++;
      else if (d === ')') depth--;
      note += d;
      if (depth === 0) break;
    }
    spec.note = note.slice(1, -1);
  }
  return spec;
}

// ---- the script ------------------------------------------------------------------------------

export function parseScript(text: string, file = '<script>', opts: ParseOptions = {}): Script {
  const defines = new Set(opts.defines ?? ['STANDARD']);
  const c = new Cursor(file, preprocess(file, text, defines));
  const script: Script = { file, options: {}, events: [] };
  for (;;) {
    c.skip(true);
    if (c.eof) break;
    const line = c.line;
    if (c.startsWith('--')) {
      const opt = c.match(/^--[A-Za-z0-9_-]+/)!;
      if (opt === '--') c.error('bad option line');
      let value: string | true = true;
      if (c.peek() === '=') {
        c.advance(1);
        value = c.match(/^[^\s]*/) ?? '';
      }
      script.options[opt.slice(2)] = value;
      const rest = c.restOfLine().replace(/\/\/.*$/, '').trim();
      if (rest) c.error(`unexpected '${rest}' after option ${opt}`, line);
      continue;
    }
    if (c.peek() === '`' && script.events.length === 0) {
      // A command before any time spec runs at time 0 (google scripts: `../common/defaults.sh`).
    }
    let time: TimeSpec;
    if (c.peek() === '`' || c.startsWith('%{')) time = { kind: 'relative', usecs: 0 };
    else {
      time = parseTime(c);
      c.skip(false);
    }
    const aline = c.line;
    let action: Action;
    const ch = c.peek();
    if (ch === '<' || ch === '>') {
      c.advance(1);
      action = parsePacket(c, ch === '<' ? 'in' : 'out', aline);
    } else if (ch === '`') {
      const end = c.s.indexOf('`', c.pos + 1);
      if (end < 0) c.error('unterminated ` command');
      c.advance(1);
      action = { kind: 'command', text: c.advance(end - c.pos).trim() };
      c.advance(1);
    } else if (c.startsWith('%{')) {
      const end = c.s.indexOf('}%', c.pos + 2);
      if (end < 0) c.error('unterminated %{ python block');
      c.advance(2);
      action = { kind: 'python', code: c.advance(end - c.pos) };
      c.advance(2);
    } else {
      const name = c.match(/^[A-Za-z_][A-Za-z0-9_]*/);
      if (name === null || c.peek() !== '(') {
        return c.error(`expected a packet (< or >), a system call, a \`command\` or %{ python }%, got '${c.s.slice(c.pos, c.pos + 30).split('\n')[0]}'`);
      }
      c.advance(1);
      action = parseSyscall(c, name);
    }
    c.skip(false);
    if (!c.eof && c.peek() !== '\n') {
      c.error(`unexpected '${c.s.slice(c.pos, c.pos + 30).split('\n')[0]}' after event`);
    }
    script.events.push({ line, time, action });
  }
  return script;
}

/** Formats a packet spec back into script syntax (for messages). */
export function formatPacketSpec(p: TcpPacketSpec): string {
  let s = `${p.dir === 'in' ? '<' : '>'} `;
  if (p.ipAttrs) s += `(${Object.entries(p.ipAttrs).map(([k, v]) => `${k} ${k === 'tos' || k === 'class' ? `0x${v.toString(16)}` : v}`).join(', ')}) `;
  s += `${p.flags} `;
  s += p.seq ? `${p.seq.start}:${p.seq.end}(${p.seq.len})` : `...(${p.len})`;
  if (p.absoluteSeq) s += '!';
  if (p.ack !== undefined) s += ` ack ${p.ack}`;
  if (p.win !== undefined) s += ` win ${p.win}`;
  if (p.options) s += ` <${p.options.map(formatPacketOption).join(',')}>`;
  return s;
}

export function formatPacketOption(o: PacketOption): string {
  switch (o.kind) {
    case 'mss':
      return `mss ${o.value}`;
    case 'wscale':
      return `wscale ${o.value}`;
    case 'sackOK':
      return 'sackOK';
    case 'sack':
      return `sack ${o.blocks.map(([a, b]) => `${a}:${b}`).join(' ')}`;
    case 'ts':
      return `TS val ${o.val ?? '...'} ecr ${o.ecr ?? '...'}`;
    case 'nop':
      return 'nop';
    case 'eol':
      return 'eol';
    default:
      return o.text;
  }
}
