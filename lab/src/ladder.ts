// The ladder (sequence) diagram: one vertical line per host, one arrow per segment from its
// 'out' event at the sender to its 'in' event at the receiver; lost segments end in a cross
// half way. State changes are written beside each host's line. Elements appear as the replay
// cursor reaches the event that shows them.
import type { SegmentTrace, TraceEvent } from '../../src/trace/trace.js';
import type { Run } from './model.js';

const SVG = 'http://www.w3.org/2000/svg';
const X = [178, 425] as const;
const WIDTH = 560;
const TOP = 50;
const ROW = 30;

function el<K extends keyof SVGElementTagNameMap>(name: K, attrs: Record<string, string | number>, parent?: Element): SVGElementTagNameMap[K] {
  const e = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  parent?.appendChild(e);
  return e;
}

interface Shown {
  el: SVGElement;
  from: number;
  /** For in-flight arrows: the event index at which the arrow completes. */
  done?: number;
  idxs: number[];
}

export interface LadderView {
  svg: SVGSVGElement;
  /** `quiet(i)`: event i is a state event that changes nothing shown (a forked TCB). */
  render(run: Run, relative: boolean, quiet?: (i: number) => boolean): void;
  show(cursor: number): void;
}

const same = (a: SegmentTrace, b: { src?: string; dst?: string; flags?: string; seq?: number; ack?: number; len?: number }): boolean =>
  a.src === b.src && a.dst === b.dst && a.flags === b.flags && a.seq === b.seq && a.ack === b.ack && a.len === b.len;

export function createLadder(container: HTMLElement): LadderView {
  const svg = el('svg', { class: 'ladder', viewBox: `0 0 ${WIDTH} 200`, role: 'img', 'aria-label': 'Ladder diagram of segments' });
  container.appendChild(svg);
  let shown: Shown[] = [];
  let rowOf: number[] = [];

  function render(run: Run, relative: boolean, quiet: (i: number) => boolean = () => false): void {
    svg.replaceChildren();
    shown = [];
    const evs = run.events;
    const slotOf = (h: string): number => (h === run.hosts[0] ? 0 : h === run.hosts[1] ? 1 : -1);
    // Rows: one per distinct time among drawn events.
    rowOf = [];
    let row = -1;
    let lastT = NaN;
    const drawn = (e: TraceEvent): boolean => e.type === 'segment' || e.type === 'state' || e.type === 'link' || e.type === 'retransmit' || e.type === 'user' || e.type === 'error';
    evs.forEach((e, i) => {
      if (drawn(e) && e.t !== lastT) {
        row++;
        lastT = e.t;
      }
      rowOf[i] = Math.max(row, 0);
    });
    const rows = row + 2;
    const height = TOP + rows * ROW + 20;
    svg.setAttribute('viewBox', `0 0 ${WIDTH} ${height}`);
    svg.style.aspectRatio = `${WIDTH} / ${height}`;
    const y = (i: number): number => TOP + rowOf[i] * ROW + ROW / 2;

    // Relative sequence numbers: subtract each sender's ISN (its SYN's seq), as Wireshark does.
    const isn = new Map<string, number>();
    for (const e of evs) if (e.type === 'segment' && e.flags.includes('S') && !isn.has(e.src)) isn.set(e.src, e.seq);
    const rel = (src: string, dst: string, seq: number, ack: number): [number, number] => {
      if (!relative) return [seq, ack];
      const a = isn.get(src), b = isn.get(dst);
      return [a !== undefined ? (seq - a) >>> 0 : seq, b !== undefined && ack ? (ack - b) >>> 0 : ack];
    };

    // Host lines.
    for (const s of [0, 1]) {
      const t = el('text', { x: X[s], y: 22, 'text-anchor': 'middle', class: `host-name c${s}` }, svg);
      t.textContent = run.hosts[s];
      el('line', { x1: X[s], y1: 32, x2: X[s], y2: height - 10, class: `host-line c${s}` }, svg);
    }
    const timeLayer = el('g', { class: 'times' }, svg);
    const arrowLayer = el('g', { class: 'arrows' }, svg);
    const labelLayer = el('g', { class: 'states' }, svg);
    const defs = el('defs', {}, svg);
    const m = el('marker', { id: 'ladder-arrow', viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto' }, defs);
    el('path', { d: 'M 0 0 L 10 5 L 0 10 z', class: 'ladder-head' }, m);

    // Time labels, once per row.
    // Rows are evenly spaced whatever the time between them, so long quiet spells (an RTO,
    // 2MSL in TIME-WAIT) get a marker saying how long.
    const seenRow = new Set<number>();
    let prevT = NaN;
    evs.forEach((e, i) => {
      if (!drawn(e) || seenRow.has(rowOf[i])) return;
      seenRow.add(rowOf[i]);
      const gap = e.t - prevT;
      if (gap >= 1000) {
        const g = el('g', { class: 'gap' }, timeLayer);
        const yy = y(i) - ROW / 2;
        const txt = el('text', { x: 8, y: yy + 4, class: 'gap-label' }, g);
        txt.textContent = `⋮ ${gap >= 10_000 ? (gap / 1000).toFixed(0) : (gap / 1000).toFixed(1)} s later`;
        shown.push({ el: g, from: i, idxs: [] });
      }
      prevT = e.t;
      const t = el('text', { x: 8, y: y(i) + 4, class: 'time' }, timeLayer);
      t.textContent = e.t >= 10_000 ? `${+(e.t / 1000).toFixed(3)} s` : `${+e.t.toFixed(3)} ms`;
      shown.push({ el: t, from: i, idxs: [i] });
    });

    // Pair each 'out' with its 'in' (or its link 'lost').
    const usedIn = new Set<number>();
    const usedLost = new Set<number>();
    const stackAt = new Map<string, number>();
    const stackN = new Map<string, number>();
    evs.forEach((e, i) => {
      if (quiet(i)) return;
      if (e.type === 'state' || e.type === 'retransmit' || e.type === 'error' || e.type === 'user') {
        const key = `${rowOf[i]}:${slotOf(e.host)}`;
        stackN.set(key, (stackN.get(key) ?? 0) + 1);
      }
    });
    evs.forEach((e, i) => {
      if (e.type === 'segment' && e.dir === 'out') {
        const s = slotOf(e.host);
        if (s < 0) return;
        let inIdx = -1;
        let lostIdx = -1;
        for (let j = i + 1; j < evs.length; j++) {
          const f = evs[j];
          if (f.type === 'segment' && f.dir === 'in' && !usedIn.has(j) && slotOf(f.host) === 1 - s && same(f, e)) {
            inIdx = j;
            break;
          }
          if (f.type === 'link' && f.action === 'lost' && !usedLost.has(j) && f.host === e.host && (f.seq === undefined || same(e, f))) {
            lostIdx = j;
            break;
          }
        }
        if (inIdx >= 0) usedIn.add(inIdx);
        if (lostIdx >= 0) usedLost.add(lostIdx);
        const x1 = X[s], x2 = X[1 - s];
        const y1 = y(i);
        let y2 = inIdx >= 0 ? y(inIdx) : y1 + ROW;
        if (y2 - y1 < ROW * 0.6) y2 = y1 + ROW * 0.6;
        const [sq, ak] = rel(e.src, e.dst, e.seq, e.ack);
        const g = el('g', { class: `seg c${s}`, 'data-idx': i }, arrowLayer);
        const text = `${e.flags} seq ${sq}${e.flags.includes('.') ? ` ack ${ak}` : ''} len ${e.len}`;
        const title = el('title', {}, g);
        title.textContent = `${e.src} > ${e.dst} ${e.flags} seq ${e.seq} ack ${e.ack} len ${e.len} win ${e.win}${e.options ? ' ' + e.options : ''}`;
        if (lostIdx >= 0 || inIdx < 0) {
          // Dropped (or never seen to arrive): stop half way with a cross.
          const xm = (x1 + x2) / 2, ym = (y1 + y2) / 2;
          el('line', { x1, y1, x2: xm, y2: ym, class: 'seg-line lost' }, g);
          const c = 7;
          el('path', { d: `M ${xm - c} ${ym - c} L ${xm + c} ${ym + c} M ${xm - c} ${ym + c} L ${xm + c} ${ym - c}`, class: 'lost-x' }, g);
          const t = el('text', { x: xm, y: ym - 10, 'text-anchor': 'middle', class: 'seg-label' }, g);
          t.textContent = lostIdx >= 0 ? `${text} (lost)` : `${text} (?)`;
          shown.push({ el: g, from: i, idxs: lostIdx >= 0 ? [i, lostIdx] : [i] });
        } else {
          el('line', { x1, y1, x2, y2, class: 'seg-line', 'marker-end': 'url(#ladder-arrow)' }, g);
          const ang = (Math.atan2(y2 - y1, x2 - x1) * 180) / Math.PI;
          const mx = (x1 + x2) / 2, my = (y1 + y2) / 2;
          const flip = ang > 90 || ang < -90 ? ang - 180 : ang;
          const t = el('text', { x: mx, y: my - 5, 'text-anchor': 'middle', class: 'seg-label', transform: `rotate(${flip.toFixed(1)} ${mx} ${my})` }, g);
          t.textContent = text;
          shown.push({ el: g, from: i, done: inIdx, idxs: [i, inIdx] });
        }
      } else if (e.type === 'segment' && e.dir === 'in' && !usedIn.has(i)) {
        // An arrival with no matching send in the trace (e.g. a trace from one host only).
        const s = slotOf(e.host);
        if (s < 0) return;
        const g = el('g', { class: `seg c${1 - s}`, 'data-idx': i }, arrowLayer);
        const x1 = X[1 - s], x2 = X[s];
        el('line', { x1, y1: y(i) - ROW * 0.6, x2, y2: y(i), class: 'seg-line', 'marker-end': 'url(#ladder-arrow)' }, g);
        const [sq, ak] = rel(e.src, e.dst, e.seq, e.ack);
        const t = el('text', { x: (x1 + x2) / 2, y: y(i) - ROW * 0.3 - 6, 'text-anchor': 'middle', class: 'seg-label' }, g);
        t.textContent = `${e.flags} seq ${sq}${e.flags.includes('.') ? ` ack ${ak}` : ''} len ${e.len}`;
        shown.push({ el: g, from: i, idxs: [i] });
      } else if ((e.type === 'state' || e.type === 'retransmit' || e.type === 'error' || e.type === 'user') && !quiet(i)) {
        const s = slotOf(e.host);
        if (s < 0) return;
        const key = `${rowOf[i]}:${s}`;
        const k = stackAt.get(key) ?? 0;
        stackAt.set(key, k + 1);
        const t = el('text', {
          x: s === 0 ? X[0] - 10 : X[1] + 10,
          y: y(i) + 4 + (k - ((stackN.get(key) ?? 1) - 1) / 2) * 13,
          'text-anchor': s === 0 ? 'end' : 'start',
          class: `${e.type === 'state' ? 'state-label' : 'event-label'} c${s}`,
          'data-idx': i,
        }, labelLayer);
        t.textContent =
          e.type === 'state' ? e.to : e.type === 'retransmit' ? `rtx ${e.cause}` : e.type === 'error' ? e.code : e.call;
        shown.push({ el: t, from: i, idxs: [i] });
      }
    });
  }

  function show(cursor: number): void {
    for (const s of shown) {
      const vis = cursor >= s.from;
      s.el.classList.toggle('future', !vis);
      s.el.classList.toggle('flight', vis && s.done !== undefined && cursor < s.done);
      s.el.classList.toggle('now', s.idxs.includes(cursor));
    }
    // Keep the current row in view inside the scrolling container.
    if (cursor >= 0 && rowOf[cursor] !== undefined) {
      const box = svg.getBoundingClientRect();
      const vb = svg.viewBox.baseVal;
      const scale = box.height / (vb.height || 1);
      const yPx = (TOP + rowOf[cursor] * ROW) * scale;
      const c = container;
      if (yPx < c.scrollTop + 20 || yPx > c.scrollTop + c.clientHeight - 40) c.scrollTop = Math.max(0, yPx - c.clientHeight / 2);
    } else container.scrollTop = 0;
  }

  return { svg, render, show };
}
