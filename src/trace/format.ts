// Human-readable renderings of a trace: a two-host ladder diagram for the terminal and JSON
// lines. Browser-safe (plain strings; ANSI colour only when asked).
import type { LinkTrace, SegmentTrace, TraceEvent } from './trace.js';

export interface LadderOptions {
  /** Host drawn on the left (e.g. "client") and on the right (e.g. "server"). */
  left: string;
  right: string;
  /** ANSI colours (default false). */
  color?: boolean;
  /** Include timer set/cancel lines (default: only timer fires). */
  timers?: boolean;
  /** Include data read/write lines (default true). */
  data?: boolean;
  /** Abbreviate a long ladder: keep the first `head` and last `tail` rows and, in between, only
   *  state changes, user calls and errors; each run of rows left out becomes one line
   *  "… N events elided<hint> …". Default: every row. */
  abbreviate?: { head: number; tail: number; hint?: string };
}

const ANSI = {
  reset: '\x1b[0m',
  bold: '\x1b[1m',
  dim: '\x1b[2m',
  red: '\x1b[31m',
  green: '\x1b[32m',
  yellow: '\x1b[33m',
  blue: '\x1b[34m',
  magenta: '\x1b[35m',
  cyan: '\x1b[36m',
} as const;
type Color = keyof typeof ANSI;

const TIME_W = 10;
const STATE_W = 12; // 'SYN-RECEIVED'
const MIN_ARROW_W = 44;

function fmtTime(t: number): string {
  const s = Number.isFinite(t) ? String(Math.round(t * 1000) / 1000) : '?';
  return s.padStart(TIME_W);
}

function segLabel(s: { flags?: string; seq?: number; ack?: number; len?: number; win?: number }): string {
  let l = `${s.flags ?? '?'} seq ${s.seq ?? '?'}`;
  if (s.ack !== undefined && (s.flags ?? '').includes('.')) l += ` ack ${s.ack}`;
  l += ` len ${s.len ?? '?'}`;
  if (s.win !== undefined) l += ` win ${s.win}`;
  return l;
}

function sameSegment(l: LinkTrace, s: SegmentTrace): boolean {
  return l.flags === s.flags && l.seq === s.seq && l.ack === s.ack && l.len === s.len && (l.src === undefined || l.src === s.src);
}

function sameFields(a: SegmentTrace, b: SegmentTrace): boolean {
  return a.flags === b.flags && a.seq === b.seq && a.ack === b.ack && a.len === b.len && a.src === b.src;
}

/** Two-column ladder diagram of the events of hosts `left` and `right`: one arrow per segment
 *  (flags seq ack len win), each side's state beside every line, state changes, drops, timers
 *  and user calls as notes on their side, packets the link lost drawn as '--x'. */
export function formatLadder(events: TraceEvent[], opts: LadderOptions): string {
  const { left, right } = opts;
  const color = opts.color ?? false;
  const paint = (s: string, c: Color | null, bold = false): string =>
    color && c ? `${bold ? ANSI.bold : ''}${ANSI[c]}${s}${ANSI.reset}` : color && bold ? `${ANSI.bold}${s}${ANSI.reset}` : s;
  const sideOf = (host: string): 'L' | 'R' | null => (host === left ? 'L' : host === right ? 'R' : null);

  // Which hosts emit their own outbound segments? Inbound segments are drawn only when the
  // sender's trace is missing (a one-sided trace, e.g. against a packetdrill script).
  const sendsOut = new Set<string>();
  for (const e of events) if (e.type === 'segment' && e.dir === 'out') sendsOut.add(e.host);

  // Initial states: the `from` of each host's first state change.
  const state: Record<'L' | 'R', string> = { L: '', R: '' };
  for (const side of ['L', 'R'] as const) {
    const first = events.find((e) => e.type === 'state' && sideOf(e.host) === side);
    if (first && first.type === 'state') state[side] = first.from;
  }

  // Pair link events (lost/duplicated/...) with the outbound segment they happened to: the
  // first unused matching link event after the segment and before its next retransmission.
  // Indexed by (host, flags, seq, ack, len) so a long bulk trace pairs in linear time.
  const attached = new Map<SegmentTrace, LinkTrace[]>();
  const used = new Set<LinkTrace>();
  const keyOf = (host: string, x: { flags?: string; seq?: number; ack?: number; len?: number }): string => `${host}|${x.flags}|${x.seq}|${x.ack}|${x.len}`;
  const linksBy = new Map<string, number[]>();
  const outsBy = new Map<string, number[]>();
  events.forEach((e, i) => {
    let k: string;
    let m: Map<string, number[]>;
    if (e.type === 'link' && e.action !== 'delivered') (k = keyOf(e.host, e)), (m = linksBy);
    else if (e.type === 'segment' && e.dir === 'out' && sideOf(e.host)) (k = keyOf(e.host, e) + '|' + e.src), (m = outsBy);
    else return;
    const list = m.get(k);
    if (list) list.push(i);
    else m.set(k, [i]);
  });
  for (const [k, outs] of outsBy) {
    const links = linksBy.get(k.slice(0, k.lastIndexOf('|')));
    if (!links) continue;
    let li = 0;
    for (let n = 0; n < outs.length; n++) {
      const i = outs[n];
      const e = events[i] as SegmentTrace;
      const next = n + 1 < outs.length ? outs[n + 1] : Infinity; // a retransmission
      while (li < links.length && links[li] <= i) li++;
      for (let j = li; j < links.length && links[j] < next; j++) {
        const f = events[links[j]] as LinkTrace;
        if (used.has(f) || !sameSegment(f, e)) continue;
        used.add(f);
        const list = attached.get(e) ?? [];
        list.push(f);
        attached.set(e, list);
        if (f.action === 'lost') break;
      }
    }
  }

  // Arrow width from the longest label.
  let arrowW = MIN_ARROW_W;
  for (const e of events) {
    if (e.type === 'segment' || (e.type === 'link' && e.action === 'lost')) arrowW = Math.max(arrowW, segLabel(e as SegmentTrace).length + 24);
  }

  const lines: string[] = [];
  /** Per line: kept when the ladder is abbreviated (state changes, user calls, errors). */
  const keep: boolean[] = [];
  let important = false;
  const stateCell = (side: 'L' | 'R', highlight = false): string => {
    const s = state[side];
    return side === 'L' ? paint(s.padEnd(STATE_W), highlight ? 'cyan' : null, highlight) : paint(s, highlight ? 'cyan' : null, highlight);
  };
  const row = (t: number, middle: string, hl: { L?: boolean; R?: boolean } = {}): void => {
    lines.push(`${paint(fmtTime(t), 'dim')} ${stateCell('L', hl.L)} |${middle}| ${stateCell('R', hl.R)}`.trimEnd());
    keep.push(important);
  };
  /** A note on one side of the ladder (plain text, coloured after padding). */
  const note = (t: number, side: 'L' | 'R', text: string, c: Color | null, hl: { L?: boolean; R?: boolean } = {}): void => {
    const max = arrowW - 2;
    const txt = text.length > max ? text.slice(0, max - 1) + '…' : text;
    const padded = side === 'L' ? ` ${txt}`.padEnd(arrowW) : `${txt} `.padStart(arrowW);
    const lead = padded.length - padded.trimStart().length;
    const body = padded.trim();
    row(t, ' '.repeat(lead) + paint(body, c) + ' '.repeat(arrowW - lead - body.length), hl);
  };
  const arrow = (dir: 'LR' | 'RL', label: string, lost: boolean, marks: string[], c: Color | null): string => {
    const text = ` ${label}${marks.length ? ' (' + marks.join(', ') + ')' : ''} `;
    const w = arrowW;
    let s: string;
    if (!lost) {
      const dashes = Math.max(2, w - text.length - 1);
      const pre = Math.floor(dashes / 2);
      s = dir === 'LR' ? '-'.repeat(pre) + text + '-'.repeat(dashes - pre) + '>' : '<' + '-'.repeat(dashes - pre) + text + '-'.repeat(pre);
    } else {
      // Lost on the way: the arrow stops short of the other side with an 'x'.
      const gap = 6;
      const dashes = Math.max(2, w - text.length - 1 - gap);
      const pre = Math.floor(dashes / 2);
      s = dir === 'LR' ? '-'.repeat(pre) + text + '-'.repeat(dashes - pre) + 'x' + ' '.repeat(gap) : ' '.repeat(gap) + 'x' + '-'.repeat(dashes - pre) + text + '-'.repeat(pre);
    }
    s = s.slice(0, w).padEnd(w);
    if (!color) return s;
    return lost ? paint(s, 'red') : paint(s, c);
  };
  const flagColor = (flags: string | undefined): Color | null => {
    if (!flags) return null;
    if (flags.includes('R')) return 'red';
    if (flags.includes('S')) return 'green';
    if (flags.includes('F')) return 'yellow';
    return null;
  };

  const header = `${'t (ms)'.padStart(TIME_W)} ${left.padEnd(STATE_W)} ${' '.repeat(arrowW + 2)} ${right}`.trimEnd();
  lines.push(paint(header, null, true));
  lines.push(`${' '.repeat(TIME_W)} ${'-'.repeat(STATE_W)} ${' '.repeat(arrowW + 2)} ${'-'.repeat(Math.max(right.length, 6))}`);
  keep.push(true, true);

  for (const e of events) {
    const side = sideOf(e.host);
    if (!side) continue;
    const other: 'L' | 'R' = side === 'L' ? 'R' : 'L';
    important = e.type === 'state' || e.type === 'user' || e.type === 'error';
    switch (e.type) {
      case 'segment': {
        let dir: 'LR' | 'RL';
        if (e.dir === 'out') dir = side === 'L' ? 'LR' : 'RL';
        else {
          const sender = other === 'L' ? left : right;
          if (sendsOut.has(sender)) continue; // already drawn from the sender's side
          dir = side === 'L' ? 'RL' : 'LR';
        }
        const links = attached.get(e) ?? [];
        const lost = links.some((l) => l.action === 'lost');
        const marks: string[] = links.filter((l) => l.action !== 'lost').map((l) => l.action);
        const why = links.find((l) => l.action === 'lost')?.summary?.match(/\[(.*)\]$/)?.[1];
        if (lost) marks.push(why ? `lost: ${why}` : 'lost');
        row(e.t, arrow(dir, segLabel(e), lost, marks, flagColor(e.flags)));
        break;
      }
      case 'link': {
        if (used.has(e) || e.action === 'delivered') continue;
        const dir = side === 'L' ? 'LR' : 'RL';
        if (e.action === 'lost') {
          const label = e.flags !== undefined ? segLabel(e) : (e.summary ?? 'packet');
          row(e.t, arrow(dir, label, true, [], null));
        } else {
          note(e.t, side, `link ${e.action}: ${e.summary ?? ''}`.trim(), 'magenta');
        }
        break;
      }
      case 'state':
        state[side] = e.to;
        note(e.t, side, `${e.from} -> ${e.to}${e.cause ? ` (${e.cause})` : ''}`, 'cyan', { [side]: true });
        break;
      case 'drop':
        note(e.t, side, `x drop (${e.layer}): ${e.reason}`, 'red');
        break;
      case 'error':
        note(e.t, side, `! ${e.code}: ${e.message}`, 'red');
        break;
      case 'retransmit':
        note(e.t, side, `retransmit seq ${e.seq} len ${e.len} (${e.cause})`, 'yellow');
        break;
      case 'timer':
        if (e.action === 'fire' || opts.timers) note(e.t, side, `timer ${e.timer} ${e.action}${e.action === 'set' && e.deadline !== undefined ? ` @${fmtTime(e.deadline).trim()}` : ''}`, 'blue');
        break;
      case 'user':
        note(e.t, side, `${e.call}()${e.detail ? ' ' + e.detail : ''}`, null);
        break;
      case 'data':
        if (opts.data ?? true) note(e.t, side, `${e.dir} ${e.bytes} bytes`, 'dim');
        break;
      case 'note':
        note(e.t, side, `# ${e.text}`, 'dim');
        break;
    }
  }
  const ab = opts.abbreviate;
  if (!ab) return lines.join('\n') + '\n';
  return abbreviateLines(lines, keep, 2 + Math.max(0, ab.head), Math.max(0, ab.tail), ab.hint ?? '', paint) + '\n';
}

/** Lines [0, head) and the last `tail` as they are; in between only the `keep` ones, each run
 *  of others replaced by one "… N events elided …" line (a run of one is simply printed). */
function abbreviateLines(lines: string[], keep: boolean[], head: number, tail: number, hint: string, paint: (s: string, c: Color | null) => string): string {
  const tailFrom = Math.max(head, lines.length - tail);
  const out = lines.slice(0, Math.min(head, lines.length));
  let skipped: string[] = [];
  const flush = (): void => {
    if (skipped.length === 1) out.push(skipped[0]);
    else if (skipped.length > 1) out.push(paint(`${' '.repeat(TIME_W)} … ${skipped.length} events elided${hint} …`, 'dim'));
    skipped = [];
  };
  for (let i = head; i < tailFrom; i++) {
    if (keep[i]) {
      flush();
      out.push(lines[i]);
    } else skipped.push(lines[i]);
  }
  flush();
  for (let i = tailFrom; i < lines.length; i++) out.push(lines[i]);
  return out.join('\n');
}

/** One JSON object per line, exactly the trace events (trailing newline when non-empty). */
export function formatJsonLines(events: TraceEvent[]): string {
  return events.map((e) => JSON.stringify(e)).join('\n') + (events.length ? '\n' : '');
}
