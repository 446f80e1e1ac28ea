// The RFC 9293 Figure 5 state diagram as SVG, hand laid out to resemble the figure: CLOSED at
// the top, LISTEN below it, SYN-RCVD left and SYN-SENT right, ESTAB in the middle, the closing
// states below, and CLOSED drawn a second time at the bottom right, as the RFC does.
import type { TcpState } from '../../src/tcp/types.js';

const SVG = 'http://www.w3.org/2000/svg';
export const W = 150; // state box
export const H = 46;

export interface NodeDef {
  id: string; // 'CLOSED' | 'CLOSED-END' | other state names
  state: TcpState;
  label: string;
  x: number; // centre
  y: number;
}

export const NODES: NodeDef[] = [
  { id: 'CLOSED', state: 'CLOSED', label: 'CLOSED', x: 500, y: 50 },
  { id: 'LISTEN', state: 'LISTEN', label: 'LISTEN', x: 500, y: 200 },
  { id: 'SYN-RECEIVED', state: 'SYN-RECEIVED', label: 'SYN RCVD', x: 110, y: 370 },
  { id: 'SYN-SENT', state: 'SYN-SENT', label: 'SYN SENT', x: 890, y: 370 },
  { id: 'ESTABLISHED', state: 'ESTABLISHED', label: 'ESTAB', x: 500, y: 530 },
  { id: 'FIN-WAIT-1', state: 'FIN-WAIT-1', label: 'FIN WAIT-1', x: 110, y: 660 },
  { id: 'CLOSE-WAIT', state: 'CLOSE-WAIT', label: 'CLOSE WAIT', x: 890, y: 660 },
  { id: 'FIN-WAIT-2', state: 'FIN-WAIT-2', label: 'FINWAIT-2', x: 110, y: 810 },
  { id: 'CLOSING', state: 'CLOSING', label: 'CLOSING', x: 470, y: 810 },
  { id: 'LAST-ACK', state: 'LAST-ACK', label: 'LAST-ACK', x: 890, y: 810 },
  { id: 'TIME-WAIT', state: 'TIME-WAIT', label: 'TIME-WAIT', x: 470, y: 950 },
  { id: 'CLOSED-END', state: 'CLOSED', label: 'CLOSED', x: 890, y: 950 },
];

export interface ArcDef {
  id: string;
  from: TcpState;
  to: TcpState;
  /** Node ids when a state is drawn twice (CLOSED). */
  fromNode: string;
  toNode: string;
  event: string;
  action: string;
  d: string;
  /** Label position (centre of the event/action fraction) and text anchor. */
  lx: number;
  ly: number;
  anchor?: 'start' | 'middle' | 'end';
  /** Not drawn in Figure 5 (the notes): dashed. */
  note?: boolean;
}

const arc = (id: string, fromNode: string, toNode: string, event: string, action: string, d: string, lx: number, ly: number, anchor: ArcDef['anchor'] = 'middle', note = false): ArcDef => {
  const st = (n: string): TcpState => NODES.find((x) => x.id === n)!.state;
  return { id, from: st(fromNode), to: st(toNode), fromNode, toNode, event, action, d, lx, ly, anchor, note };
};

/** Every arc of Figure 5, with its event over its action as the RFC prints them. */
export const ARCS: ArcDef[] = [
  arc('closed-listen', 'CLOSED', 'LISTEN', 'passive OPEN', 'create TCB', 'M 470 73 L 470 177', 462, 125, 'end'),
  arc('listen-closed', 'LISTEN', 'CLOSED', 'CLOSE', 'delete TCB', 'M 530 177 L 530 73', 538, 125, 'start'),
  arc('closed-synsent', 'CLOSED', 'SYN-SENT', 'active OPEN', 'create TCB; snd SYN', 'M 575 40 C 760 40, 930 150, 930 347', 790, 62, 'middle'),
  arc('synsent-closed', 'SYN-SENT', 'CLOSED', 'CLOSE', 'delete TCB', 'M 880 347 C 870 200, 760 90, 575 62', 780, 168, 'middle'),
  arc('listen-synrcvd', 'LISTEN', 'SYN-RECEIVED', 'rcv SYN', 'snd SYN,ACK', 'M 455 223 C 400 300, 260 340, 185 355', 300, 265, 'middle'),
  arc('listen-synsent', 'LISTEN', 'SYN-SENT', 'SEND', 'snd SYN', 'M 545 223 C 600 300, 740 340, 815 355', 700, 265, 'middle'),
  arc('synrcvd-listen', 'SYN-RECEIVED', 'LISTEN', 'rcv RST (note 1)', '', 'M 90 347 C 90 240, 260 195, 425 195', 170, 215, 'middle'),
  arc('synsent-synrcvd', 'SYN-SENT', 'SYN-RECEIVED', 'rcv SYN', 'snd SYN,ACK', 'M 815 375 L 185 375', 500, 398, 'middle'),
  arc('synrcvd-estab', 'SYN-RECEIVED', 'ESTABLISHED', 'rcv ACK of SYN', 'x', 'M 185 390 C 300 430, 420 460, 465 507', 300, 468, 'middle'),
  arc('synsent-estab', 'SYN-SENT', 'ESTABLISHED', 'rcv SYN,ACK', 'snd ACK', 'M 815 390 C 700 430, 580 460, 535 507', 700, 468, 'middle'),
  arc('synrcvd-finwait1', 'SYN-RECEIVED', 'FIN-WAIT-1', 'CLOSE', 'snd FIN', 'M 70 393 L 70 637', 78, 520, 'start'),
  arc('estab-finwait1', 'ESTABLISHED', 'FIN-WAIT-1', 'CLOSE', 'snd FIN', 'M 455 553 C 400 620, 260 650, 185 655', 320, 585, 'middle'),
  arc('estab-closewait', 'ESTABLISHED', 'CLOSE-WAIT', 'rcv FIN', 'snd ACK', 'M 545 553 C 600 620, 740 650, 815 655', 680, 585, 'middle'),
  arc('finwait1-finwait2', 'FIN-WAIT-1', 'FIN-WAIT-2', 'rcv ACK of FIN', 'x', 'M 90 683 L 90 787', 98, 735, 'start'),
  arc('finwait1-closing', 'FIN-WAIT-1', 'CLOSING', 'rcv FIN', 'snd ACK', 'M 185 670 C 330 680, 440 720, 460 787', 360, 690, 'start'),
  arc('closewait-lastack', 'CLOSE-WAIT', 'LAST-ACK', 'CLOSE', 'snd FIN', 'M 890 683 L 890 787', 882, 735, 'end'),
  arc('finwait2-timewait', 'FIN-WAIT-2', 'TIME-WAIT', 'rcv FIN', 'snd ACK', 'M 110 833 C 110 900, 250 950, 395 950', 200, 890, 'middle'),
  arc('closing-timewait', 'CLOSING', 'TIME-WAIT', 'rcv ACK of FIN', 'x', 'M 470 833 L 470 927', 478, 880, 'start'),
  arc('lastack-closed', 'LAST-ACK', 'CLOSED-END', 'rcv ACK of FIN', 'x', 'M 890 833 L 890 927', 882, 880, 'end'),
  arc('timewait-closed', 'TIME-WAIT', 'CLOSED-END', 'Timeout=2MSL', 'delete TCB', 'M 545 950 L 815 950', 680, 985, 'middle'),
  // Note 2: FIN-WAIT-1 -> TIME-WAIT when the FIN arrives with the ACK of ours.
  arc('finwait1-timewait', 'FIN-WAIT-1', 'TIME-WAIT', 'rcv FIN,ACK of FIN', 'snd ACK (note 2)', 'M 150 683 C 200 760, 300 900, 400 930', 260, 790, 'middle', true),
];

/** The Figure 5 arc between two states, if the figure draws one. */
export function findArc(from: TcpState, to: TcpState): ArcDef | undefined {
  return ARCS.find((a) => a.from === from && a.to === to);
}

type CauseKind = 'rst' | 'abort' | 'timeout' | 'other';

/** What kind of event a trace's `cause` names (the wording is the stack's, so loosely). */
export function causeKind(cause: string): CauseKind {
  const c = cause.toLowerCase();
  if (/abort/.test(c)) return 'abort';
  if (/\brst\b|reset|refused/.test(c)) return 'rst';
  if (/time.?out|timed out|2msl|expire|retries|retransmission|time-wait timer|user timeout|\bfire/.test(c)) return 'timeout';
  return 'other';
}

/** The Figure 5 arc a transition took, or undefined when it took one the figure leaves out
 *  (note 3: resets and aborts; timeouts other than 2MSL) even between the same two states,
 *  e.g. SYN-SENT -> CLOSED on a RST rather than on CLOSE. */
export function arcFor(from: TcpState, to: TcpState, cause: string): ArcDef | undefined {
  const a = findArc(from, to);
  if (!a) return undefined;
  const kind = causeKind(cause);
  if (kind === 'other') return a;
  const drawn: CauseKind = /RST/.test(a.event) ? 'rst' : /Timeout/.test(a.event) ? 'timeout' : 'other';
  return kind === drawn ? a : undefined;
}

export type HostSlot = 0 | 1;

function el<K extends keyof SVGElementTagNameMap>(name: K, attrs: Record<string, string | number>, parent?: Element): SVGElementTagNameMap[K] {
  const e = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  parent?.appendChild(e);
  return e;
}

export interface DiagramView {
  svg: SVGSVGElement;
  /** Highlight where each host is; `arcs` are the last arc taken per host; `current` is animated. */
  update(states: [TcpState, TcpState], nodes: [string, string], arcs: [ArcRef | null, ArcRef | null], current: HostSlot | null): void;
  onSelect(cb: (kind: 'state' | 'arc', id: string) => void): void;
}

/** An arc taken: a Figure 5 arc id, or an ad-hoc one (note 3: RST, abort, timeouts). */
export interface ArcRef {
  id: string;
  from: TcpState;
  to: TcpState;
  cause: string;
}

function label(g: Element, a: { lx: number; ly: number; anchor?: string; event: string; action: string }): void {
  const t = el('text', { x: a.lx, y: a.ly - 5, 'text-anchor': a.anchor ?? 'middle', class: 'arc-label' }, g);
  t.textContent = a.event;
  if (a.action) {
    const w = Math.max(a.event.length, a.action.length) * 8.4;
    const x0 = a.anchor === 'start' ? a.lx : a.anchor === 'end' ? a.lx - w : a.lx - w / 2;
    el('line', { x1: x0, y1: a.ly, x2: x0 + w, y2: a.ly, class: 'arc-rule' }, g);
    const t2 = el('text', { x: a.lx, y: a.ly + 15, 'text-anchor': a.anchor ?? 'middle', class: 'arc-label' }, g);
    t2.textContent = a.action;
  }
}

export function createDiagram(container: HTMLElement): DiagramView {
  const svg = el('svg', { viewBox: '0 0 1000 1010', role: 'img', 'aria-label': 'RFC 9293 Figure 5: TCP connection state diagram', class: 'state-diagram' });
  const defs = el('defs', {}, svg);
  for (const [id, cls] of [['arrow', 'arrowhead'], ['arrow-c0', 'arrowhead c0'], ['arrow-c1', 'arrowhead c1']]) {
    const m = el('marker', { id, viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 13, markerHeight: 13, markerUnits: 'userSpaceOnUse', orient: 'auto-start-reverse' }, defs);
    el('path', { d: 'M 0 0 L 10 5 L 0 10 z', class: cls }, m);
  }
  const grad = el('linearGradient', { id: 'both-hosts', x1: 0, x2: 1, y1: 0, y2: 0 }, defs);
  el('stop', { offset: '50%', class: 'stop-c0' }, grad);
  el('stop', { offset: '50%', class: 'stop-c1' }, grad);

  const arcLayer = el('g', { class: 'arcs' }, svg);
  const extraLayer = el('g', { class: 'extra-arcs' }, svg);
  const nodeLayer = el('g', { class: 'nodes' }, svg);
  const arcEls = new Map<string, SVGGElement>();
  for (const a of ARCS) {
    const g = el('g', { class: `arc${a.note ? ' note' : ''}`, 'data-arc': a.id, 'data-from': a.from, 'data-to': a.to, tabindex: 0, role: 'button', 'aria-label': `${a.from} to ${a.to}: ${a.event}${a.action ? ', ' + a.action : ''}` }, arcLayer);
    el('path', { d: a.d, class: 'arc-hit' }, g);
    el('path', { d: a.d, class: 'arc-path', 'marker-end': 'url(#arrow)' }, g);
    label(g, a);
    const title = el('title', {}, g);
    title.textContent = `${a.from} -> ${a.to}: ${a.event}${a.action ? ' / ' + a.action : ''}`;
    arcEls.set(a.id, g);
  }
  const nodeEls = new Map<string, SVGGElement>();
  for (const n of NODES) {
    const g = el('g', { class: 'node', 'data-node': n.id, 'data-state': n.state, 'data-hosts': '', tabindex: 0, role: 'button', 'aria-label': `state ${n.state}` }, nodeLayer);
    el('rect', { x: n.x - W / 2, y: n.y - H / 2, width: W, height: H, rx: 6 }, g);
    const t = el('text', { x: n.x, y: n.y + 6, 'text-anchor': 'middle', class: 'node-label' }, g);
    t.textContent = n.label;
    el('circle', { cx: n.x - W / 2 + 2, cy: n.y - H / 2 + 2, r: 11, class: 'badge c0' }, g);
    el('circle', { cx: n.x + W / 2 - 2, cy: n.y - H / 2 + 2, r: 11, class: 'badge c1' }, g);
    const b0 = el('text', { x: n.x - W / 2 + 2, y: n.y - H / 2 + 6.5, 'text-anchor': 'middle', class: 'badge-text c0' }, g);
    b0.textContent = 'C';
    const b1 = el('text', { x: n.x + W / 2 - 2, y: n.y - H / 2 + 6.5, 'text-anchor': 'middle', class: 'badge-text c1' }, g);
    b1.textContent = 'S';
    const title = el('title', {}, g);
    title.textContent = n.state;
    nodeEls.set(n.id, g);
  }
  container.appendChild(svg);

  let selectCb: ((kind: 'state' | 'arc', id: string) => void) | null = null;
  // Enter on a focused state or arc explains it, like a click.
  svg.addEventListener('keydown', (ev) => {
    if (ev.key !== 'Enter') return;
    ev.preventDefault();
    (ev.target as Element).dispatchEvent(new MouseEvent('click', { bubbles: true }));
  });
  svg.addEventListener('click', (ev) => {
    const target = ev.target as Element;
    const node = target.closest('[data-node]');
    if (node) return selectCb?.('state', node.getAttribute('data-state')!);
    const a = target.closest('[data-arc]');
    if (a) selectCb?.('arc', a.getAttribute('data-arc')!);
  });

  const nodeById = (id: string): NodeDef => NODES.find((n) => n.id === id)!;
  /** A dashed ad-hoc arc between two nodes (RST and abort arcs are not in Figure 5). */
  const extraArc = (slot: HostSlot, ref: ArcRef, fromNode: string, toNode: string, animate: boolean): void => {
    const a = nodeById(fromNode), b = nodeById(toNode);
    const mx = (a.x + b.x) / 2, my = (a.y + b.y) / 2;
    // Bend to the side so it does not sit on Figure 5's arcs.
    const dx = b.x - a.x, dy = b.y - a.y;
    const len = Math.hypot(dx, dy) || 1;
    const bend = slot === 0 ? 90 : -90;
    const cx = mx - (dy / len) * bend, cy = my + (dx / len) * bend;
    const g = el('g', { class: `arc extra taken c${slot}${animate ? ' current' : ''}`, 'data-arc': ref.id }, extraLayer);
    // Start and end at the box edges.
    const edge = (n: NodeDef, tx: number, ty: number): [number, number] => {
      const ux = tx - n.x, uy = ty - n.y;
      const s = Math.min(W / 2 / Math.abs(ux || 1e-9), H / 2 / Math.abs(uy || 1e-9));
      return [n.x + ux * s, n.y + uy * s];
    };
    const [x1, y1] = edge(a, cx, cy);
    const [x2, y2] = edge(b, cx, cy);
    const d = `M ${x1.toFixed(1)} ${y1.toFixed(1)} Q ${cx.toFixed(1)} ${cy.toFixed(1)} ${x2.toFixed(1)} ${y2.toFixed(1)}`;
    el('path', { d, class: 'arc-path', 'marker-end': `url(#arrow-c${slot})` }, g);
    // Label at the curve's midpoint (a quadratic Bezier at t = 1/2).
    const lx = 0.25 * x1 + 0.5 * cx + 0.25 * x2, ly = 0.25 * y1 + 0.5 * cy + 0.25 * y2;
    const t = el('text', { x: lx, y: ly + 5, 'text-anchor': 'middle', class: 'arc-label extra-label' }, g);
    t.textContent = ref.cause;
  };

  return {
    svg,
    onSelect(cb) {
      selectCb = cb;
    },
    update(states, nodes, arcs, current) {
      for (const [id, g] of nodeEls) {
        const hosts: string[] = [];
        if (nodes[0] === id) hosts.push('client');
        if (nodes[1] === id) hosts.push('server');
        g.setAttribute('data-hosts', hosts.join(' '));
        g.classList.toggle('hl-c0', hosts.includes('client'));
        g.classList.toggle('hl-c1', hosts.includes('server'));
      }
      svg.setAttribute('data-client-state', states[0]);
      svg.setAttribute('data-server-state', states[1]);
      for (const g of arcEls.values()) {
        g.classList.remove('taken', 'c0', 'c1', 'current');
        g.querySelector('.arc-path')!.setAttribute('marker-end', 'url(#arrow)');
      }
      extraLayer.replaceChildren();
      // The host that just moved is drawn last, so an arc both hosts took shows its colour.
      const order: HostSlot[] = current === 0 ? [1, 0] : [0, 1];
      for (const slot of order) {
        const ref = arcs[slot];
        if (!ref) continue;
        const g = arcEls.get(ref.id);
        const animate = current === slot;
        if (g) {
          g.classList.remove('c0', 'c1', 'current');
          g.classList.add('taken', `c${slot}`);
          g.querySelector('.arc-path')!.setAttribute('marker-end', `url(#arrow-c${slot})`);
          if (animate) {
            g.classList.add('current');
            // Restart the CSS animation.
            const p = g.querySelector('.arc-path') as SVGPathElement;
            p.style.animation = 'none';
            void p.getBoundingClientRect();
            p.style.animation = '';
          }
          arcLayer.appendChild(g); // on top
        } else {
          const fromNode = ref.from === 'CLOSED' ? 'CLOSED' : ref.from;
          const toNode = ref.to === 'CLOSED' ? 'CLOSED' : ref.to;
          if (fromNode !== toNode) extraArc(slot, ref, fromNode, toNode, animate);
        }
      }
    },
  };
}

/** Which node shows a host in `state`: the bottom CLOSED when it got there through the end of
 *  Figure 5 (TIME-WAIT or LAST-ACK), the top one otherwise. */
export function nodeFor(state: TcpState, arcTaken: ArcRef | null): string {
  if (state !== 'CLOSED') return state;
  if (arcTaken && (arcTaken.id === 'timewait-closed' || arcTaken.id === 'lastack-closed')) return 'CLOSED-END';
  return 'CLOSED';
}
