// State inference for the lab: given the segments seen between two endpoints (a capture, or a
// trace without state events), work out each side's RFC 9293 state transitions (Figure 5).
// Browser-safe: no node: imports. The rules follow RFC 9293 3.10.7 loosely, from the outside:
// we see segments, not user calls, so a transition is placed where its segment shows it.
import type { TcpState } from '../../src/tcp/types.js';
import type { TraceEvent } from '../../src/trace/trace.js';

/** One segment as a capture or a trace shows it. `flags` is tcpdump style ("S", "S.", "F.", "R"). */
export interface InferSegment {
  kind?: 'segment';
  t: number;
  src: string; // "addr:port"
  dst: string;
  flags: string;
  seq: number;
  ack: number;
  len: number;
  win?: number;
  options?: string;
  /** Lost on the way: the sender's side changes state, the receiver never sees it. */
  lost?: boolean;
}

/** A transition known from elsewhere (a user call without a segment, e.g. CLOSE in LISTEN). */
export interface InferForce {
  kind: 'force';
  t: number;
  host: string;
  to: TcpState;
  cause: string;
}

export type InferItem = InferSegment | InferForce;

export interface InferredTransition {
  t: number;
  host: string;
  from: TcpState;
  to: TcpState;
  cause: string;
  /** Index into the input of the item that shows the transition (-1: before the first). */
  item: number;
  /** Placed before the segment is sent ('send'), after it arrives ('recv'), or neither. */
  at: 'send' | 'recv' | 'start' | 'end' | 'force';
}

export interface InferStep {
  at: 'start' | 'send' | 'recv' | 'force' | 'end';
  item: number;
  transitions: InferredTransition[];
}

export interface InferOptions {
  /** Host names for the two ends: [active opener, other]. Default ['client', 'server']. */
  names?: [string, string];
  /** Add TIME-WAIT -> CLOSED (2MSL) at the end for sides left in TIME-WAIT. Default true. */
  closeTimeWait?: boolean;
}

export interface InferResult {
  /** Host names, in the order of `endpoints`. */
  hosts: [string, string];
  /** "addr:port" of each host ('' when no segment names it). */
  endpoints: [string, string];
  transitions: InferredTransition[];
  /** What happened in order: each send and arrival of a segment (by input index), forced
   *  transitions, and the transitions each one caused. */
  steps: InferStep[];
  /** Input indexes of segments a capture shows sent but the peer evidently never got (it
   *  retransmitted what they acknowledged). */
  inferredLost: number[];
  /** The state of each host after the last item. */
  final: Record<string, TcpState>;
}

export interface Flags {
  syn: boolean;
  ack: boolean;
  fin: boolean;
  rst: boolean;
}

export function parseFlags(f: string): Flags {
  return { syn: f.includes('S'), ack: f.includes('.'), fin: f.includes('F'), rst: f.includes('R') };
}

/** 32-bit sequence comparison (RFC 9293 3.4): a - b as a signed number. */
function sdiff(a: number, b: number): number {
  return ((a - b) | 0);
}
const u32 = (n: number): number => n >>> 0;

const SYNCHRONIZED: ReadonlySet<TcpState> = new Set<TcpState>([
  'ESTABLISHED', 'FIN-WAIT-1', 'FIN-WAIT-2', 'CLOSE-WAIT', 'CLOSING', 'LAST-ACK', 'TIME-WAIT',
]);

interface Side {
  name: string;
  state: TcpState;
  passive: boolean;
  iss?: number;
  /** Sequence number of our FIN (its ACK is finSeq + 1). */
  finSeq?: number;
  rcvNxt?: number;
  /** Out-of-order ranges received [start, end) and a FIN beyond a gap. */
  ooo: Array<[number, number]>;
  pendingFin?: number;
  finReceived: boolean;
}

/** Choose which endpoint is the active opener: the sender of the first SYN without ACK,
 *  else the sender of the first segment. */
function chooseEndpoints(items: InferItem[]): [string, string] {
  const segs = items.filter((i): i is InferSegment => i.kind !== 'force');
  const firstSyn = segs.find((s) => parseFlags(s.flags).syn && !parseFlags(s.flags).ack);
  const first = firstSyn ?? segs.find((s) => parseFlags(s.flags).syn) ?? segs[0];
  if (!first) return ['', ''];
  if (firstSyn || !parseFlags(first.flags).syn) return [first.src, first.dst];
  // First seen is a SYN,ACK: its sender is the passive side.
  return [first.dst, first.src];
}

export function inferStates(items: InferItem[], opts: InferOptions = {}): InferResult {
  const names = opts.names ?? ['client', 'server'];
  const endpoints = chooseEndpoints(items);
  const side = (name: string): Side => ({ name, state: 'CLOSED', passive: false, ooo: [], finReceived: false });
  const sides: [Side, Side] = [side(names[0]), side(names[1])];
  const out: InferredTransition[] = [];
  const segs = items.filter((i): i is InferSegment => i.kind !== 'force');
  const t0 = items.length ? items[0].t : 0;

  const steps: InferStep[] = [];
  let cur: InferStep | undefined;
  const begin = (at: InferStep['at'], item: number): void => {
    cur = { at, item, transitions: [] };
    steps.push(cur);
  };
  begin('start', -1);
  const go = (s: Side, to: TcpState, cause: string, t: number, item: number, at: InferredTransition['at']): void => {
    if (s.state === to) return;
    const tr: InferredTransition = { t, host: s.name, from: s.state, to, cause, item, at };
    out.push(tr);
    cur?.transitions.push(tr);
    s.state = to;
  };
  const sideOf = (addr: string): number => (addr === endpoints[0] ? 0 : addr === endpoints[1] ? 1 : -1);

  // A capture starting mid-connection (no SYN at all): both ends are already synchronized.
  const anySyn = segs.some((s) => parseFlags(s.flags).syn);
  if (segs.length && !anySyn) {
    for (const s of sides) {
      out.push({ t: t0, host: s.name, from: 'CLOSED', to: 'ESTABLISHED', cause: 'capture starts mid-connection (assumed)', item: -1, at: 'start' });
      s.state = 'ESTABLISHED';
    }
  }

  // The passive side: it answers a SYN with SYN,ACK before sending a SYN of its own.
  for (let i = 0; i < 2; i++) {
    const first = segs.find((s) => sideOf(s.src) === i && parseFlags(s.flags).syn);
    if (first && parseFlags(first.flags).ack && sides[i].state === 'CLOSED') {
      sides[i].passive = true;
      go(sides[i], 'LISTEN', 'passive OPEN / create TCB', t0, -1, 'start');
    }
  }

  // The peer's FIN is in sequence at `s`: RFC 9293 3.10.7.4 eighth, check the FIN bit.
  const finArrives = (s: Side, peer: Side, t: number, item: number, ackedOurFin: boolean, at: InferredTransition['at']): void => {
    s.finReceived = true;
    switch (s.state) {
      case 'SYN-RECEIVED':
      case 'ESTABLISHED':
        go(s, 'CLOSE-WAIT', 'rcv FIN / snd ACK', t, item, at);
        break;
      case 'FIN-WAIT-1':
        if (ackedOurFin) go(s, 'TIME-WAIT', 'rcv FIN,ACK of FIN / snd ACK', t, item, at);
        else go(s, 'CLOSING', 'rcv FIN / snd ACK', t, item, at);
        break;
      case 'FIN-WAIT-2':
        go(s, 'TIME-WAIT', 'rcv FIN / snd ACK', t, item, at);
        break;
      default:
        break;
    }
    void peer;
  };

  // Advance rcvNxt over in-order data, pulling in buffered out-of-order ranges.
  const advance = (s: Side): void => {
    if (s.rcvNxt === undefined) return;
    let moved = true;
    while (moved) {
      moved = false;
      for (let k = 0; k < s.ooo.length; k++) {
        const [a, b] = s.ooo[k];
        if (sdiff(a, s.rcvNxt) <= 0 && sdiff(b, s.rcvNxt) > 0) {
          s.rcvNxt = b;
          s.ooo.splice(k, 1);
          moved = true;
          break;
        }
        if (sdiff(b, s.rcvNxt) <= 0) {
          s.ooo.splice(k, 1);
          moved = true;
          break;
        }
      }
    }
  };

  // The order in which things happened. A capture shows one timestamp per segment, and a
  // segment's arrival may come after the receiver's own next send (simultaneous close): an
  // arrival is applied just before the receiver's next segment whose ACK covers it, before its
  // next arrival, or at the end.
  const pendingTo: [number[], number[]] = [[], []];
  const inferredLost = new Set<number>();
  const segEnd = (it: InferSegment): number => {
    const f = parseFlags(it.flags);
    return u32(it.seq + it.len + (f.syn ? 1 : 0) + (f.fin ? 1 : 0));
  };
  // `by`: the segment the receiver is about to send. If it retransmits something a pending
  // segment acknowledged (a FIN sent again after our ACK of it), that ACK never arrived: a
  // capture taken at the sender shows packets that the network then lost.
  const deliverPending = (ri: number, coveredBy?: number, by?: InferSegment): void => {
    const q = pendingTo[ri];
    // Data or FIN only: a SYN,ACK repeating a SYN is how a simultaneous open goes.
    const byConsumes = by !== undefined && !parseFlags(by.flags).syn && segEnd(by) !== u32(by.seq);
    while (q.length) {
      const k = q[0];
      const p = items[k] as InferSegment;
      if (byConsumes && parseFlags(p.flags).ack && sdiff(u32(p.ack), segEnd(by!)) >= 0 && !parseFlags(p.flags).rst) {
        q.shift();
        inferredLost.add(k);
        continue;
      }
      if (coveredBy !== undefined && sdiff(coveredBy, segEnd(p)) < 0) break;
      q.shift();
      begin('recv', k);
      receive(p, k);
    }
  };

  const send = (it: InferSegment, idx: number): void => {
    const si = sideOf(it.src);
    const snd = sides[si];
    const rcv = sides[1 - si];
    const f = parseFlags(it.flags);
    const seq = u32(it.seq);
    const ack = u32(it.ack);
    // The sender: what sending this segment tells us about its state.
    // A side sending an ACK that covers the peer's FIN has processed that FIN, seen or not.
    if (f.ack && !snd.finReceived && rcv.finSeq !== undefined && sdiff(ack, u32(rcv.finSeq + 1)) >= 0) {
      finArrives(snd, rcv, it.t, idx, false, 'send');
    }
    if (f.rst) {
      // RFC 9293 3.10.5 ABORT (or a reset we generate): a synchronized side that sends RST is gone.
      if (SYNCHRONIZED.has(snd.state) || snd.state === 'SYN-SENT') go(snd, 'CLOSED', 'ABORT / snd RST', it.t, idx, 'send');
    } else if (f.syn && !f.ack) {
      snd.iss = seq;
      if (snd.state === 'CLOSED') go(snd, 'SYN-SENT', 'active OPEN / create TCB, snd SYN', it.t, idx, 'send');
      else if (snd.state === 'LISTEN') go(snd, 'SYN-SENT', 'SEND / snd SYN', it.t, idx, 'send');
    } else if (f.syn && f.ack) {
      snd.iss = seq;
      if (snd.state === 'LISTEN' || snd.state === 'SYN-SENT') go(snd, 'SYN-RECEIVED', 'rcv SYN / snd SYN,ACK', it.t, idx, 'send');
    }
    if (f.fin && !f.rst) {
      const finSeq = u32(seq + it.len + (f.syn ? 1 : 0));
      if (snd.finSeq === undefined) snd.finSeq = finSeq;
      if (snd.state === 'ESTABLISHED' || snd.state === 'SYN-RECEIVED') go(snd, 'FIN-WAIT-1', 'CLOSE / snd FIN', it.t, idx, 'send');
      else if (snd.state === 'CLOSE-WAIT') go(snd, 'LAST-ACK', 'CLOSE / snd FIN', it.t, idx, 'send');
    }

  };

  const receive = (it: InferSegment, idx: number): void => {
    const si = sideOf(it.src);
    const snd = sides[si];
    const rcv = sides[1 - si];
    const f = parseFlags(it.flags);
    const seq = u32(it.seq);
    const ack = u32(it.ack);

    // The receiver: RFC 9293 3.10.7, in its order (RST, SYN, ACK, data, FIN).
    if (f.rst) {
      if (rcv.state === 'SYN-SENT') {
        // 3.10.7.3: acceptable only if it acknowledges our SYN.
        if (f.ack && rcv.iss !== undefined && ack === u32(rcv.iss + 1)) go(rcv, 'CLOSED', 'rcv RST / connection refused', it.t, idx, 'recv');
      } else if (rcv.state === 'SYN-RECEIVED') {
        go(rcv, rcv.passive ? 'LISTEN' : 'CLOSED', 'rcv RST', it.t, idx, 'recv');
      } else if (SYNCHRONIZED.has(rcv.state)) {
        // RFC 5961 3.2: only an exact match resets; others draw a challenge ACK.
        if (rcv.rcvNxt === undefined || seq === rcv.rcvNxt) go(rcv, 'CLOSED', 'rcv RST / delete TCB', it.t, idx, 'recv');
      }
      return;
    }
    if (f.syn) {
      if (!f.ack) {
        if (rcv.state === 'LISTEN') {
          rcv.rcvNxt = u32(seq + 1);
          go(rcv, 'SYN-RECEIVED', 'rcv SYN / snd SYN,ACK', it.t, idx, 'recv');
        } else if (rcv.state === 'SYN-SENT') {
          rcv.rcvNxt = u32(seq + 1);
          go(rcv, 'SYN-RECEIVED', 'rcv SYN / snd SYN,ACK', it.t, idx, 'recv'); // simultaneous open
        }
        return;
      }
      if (rcv.state === 'SYN-SENT') {
        if (rcv.iss !== undefined && ack === u32(rcv.iss + 1)) {
          rcv.rcvNxt = u32(seq + 1);
          go(rcv, 'ESTABLISHED', 'rcv SYN,ACK / snd ACK', it.t, idx, 'recv');
        }
        return;
      }
      if (rcv.rcvNxt === undefined) rcv.rcvNxt = u32(seq + 1);
    }
    // Fifth, the ACK field.
    let ackedOurFin = false;
    if (f.ack) {
      if (rcv.state === 'SYN-RECEIVED' && rcv.iss !== undefined && sdiff(ack, u32(rcv.iss + 1)) >= 0) {
        go(rcv, 'ESTABLISHED', 'rcv ACK of SYN / x', it.t, idx, 'recv');
      }
      if (rcv.finSeq !== undefined && sdiff(ack, u32(rcv.finSeq + 1)) >= 0) {
        ackedOurFin = true;
        if (rcv.state === 'FIN-WAIT-1' && !f.fin) go(rcv, 'FIN-WAIT-2', 'rcv ACK of FIN / x', it.t, idx, 'recv');
        else if (rcv.state === 'CLOSING') go(rcv, 'TIME-WAIT', 'rcv ACK of FIN / x', it.t, idx, 'recv');
        else if (rcv.state === 'LAST-ACK') go(rcv, 'CLOSED', 'rcv ACK of FIN / x', it.t, idx, 'recv');
      }
    }
    // Seventh and eighth: data and FIN, in sequence only.
    if (rcv.rcvNxt === undefined) {
      if (f.fin) finArrives(rcv, snd, it.t, idx, ackedOurFin, 'recv');
      return;
    }
    const start = u32(seq + (f.syn ? 1 : 0));
    const end = u32(start + it.len);
    if (it.len > 0) {
      if (sdiff(start, rcv.rcvNxt) <= 0) {
        if (sdiff(end, rcv.rcvNxt) > 0) rcv.rcvNxt = end;
      } else {
        rcv.ooo.push([start, end]);
      }
      advance(rcv);
    }
    if (f.fin) {
      if (sdiff(end, rcv.rcvNxt) <= 0 && !rcv.finReceived) {
        if (end === rcv.rcvNxt) rcv.rcvNxt = u32(end + 1);
        finArrives(rcv, snd, it.t, idx, ackedOurFin, 'recv');
      } else if (!rcv.finReceived) {
        rcv.pendingFin = end;
      }
    }
    if (rcv.pendingFin !== undefined && !rcv.finReceived && rcv.rcvNxt === rcv.pendingFin) {
      rcv.rcvNxt = u32(rcv.pendingFin + 1);
      rcv.pendingFin = undefined;
      finArrives(rcv, snd, it.t, idx, false, 'recv');
    }
  };

  items.forEach((it, idx) => {
    if (it.kind === 'force') {
      const s = sides.find((x) => x.name === it.host);
      begin('force', idx);
      if (s) go(s, it.to, it.cause, it.t, idx, 'force');
      return;
    }
    const si = sideOf(it.src);
    const ri = sideOf(it.dst);
    if (si < 0 || ri < 0) return; // another connection
    const f = parseFlags(it.flags);
    // What the sender had received when it sent this: everything its ACK covers. A RST without
    // ACK answers something, so whatever was on its way to the sender got there first.
    if (f.ack) deliverPending(si, u32(it.ack), it);
    else if (f.rst) deliverPending(si, undefined, it);
    begin('send', idx);
    send(it, idx);
    if (!it.lost) {
      deliverPending(ri); // in-order arrival: earlier segments to the receiver land first
      pendingTo[ri].push(idx);
    }
  });
  deliverPending(0);
  deliverPending(1);

  if (opts.closeTimeWait !== false) {
    const tEnd = items.length ? items[items.length - 1].t : 0;
    begin('end', items.length);
    for (const s of sides) {
      if (s.state === 'TIME-WAIT') go(s, 'CLOSED', 'Timeout=2MSL / delete TCB', tEnd, items.length, 'end');
    }
  }
  return {
    hosts: [names[0], names[1]],
    endpoints,
    transitions: out,
    inferredLost: [...inferredLost].sort((a, b) => a - b),
    steps: steps.filter((st) => st.at === 'send' || st.at === 'recv' || st.transitions.length > 0),
    final: { [sides[0].name]: sides[0].state, [sides[1].name]: sides[1].state },
  };
}

/** Turn a segment sequence into a lab trace: for each segment an 'out' event at the sender and
 *  an 'in' event at the receiver (or a link 'lost'), with the inferred state events placed
 *  around them. `inDelay` shifts arrivals (a capture has one timestamp per packet). */
export function segmentsToTrace(items: InferItem[], opts: InferOptions & { inDelay?: number } = {}): {
  events: TraceEvent[];
  result: InferResult;
} {
  const result = inferStates(items, opts);
  const [e0, e1] = result.endpoints;
  const [h0, h1] = result.hosts;
  const hostOf = (addr: string): string => (addr === e0 ? h0 : addr === e1 ? h1 : addr);
  const events: TraceEvent[] = [];
  const stateEv = (tr: InferredTransition, t: number): TraceEvent => ({
    type: 'state', t, host: tr.host, from: tr.from, to: tr.to, cause: tr.cause,
  });
  // Times never run backwards in the trace, even when an arrival is placed late.
  let last = -Infinity;
  const at = (t: number): number => (last = Math.max(last, t));
  for (const st of result.steps) {
    const it = items[st.item];
    if (st.at === 'start' || st.at === 'end' || st.at === 'force' || !it || it.kind === 'force') {
      for (const tr of st.transitions) events.push(stateEv(tr, at(tr.t)));
      continue;
    }
    const common = { src: it.src, dst: it.dst, flags: it.flags, seq: u32(it.seq), ack: u32(it.ack), len: it.len, win: it.win ?? 0, ...(it.options ? { options: it.options } : {}) };
    if (st.at === 'send') {
      const t = at(it.t);
      for (const tr of st.transitions) events.push(stateEv(tr, t));
      events.push({ type: 'segment', t, host: hostOf(it.src), dir: 'out', ...common });
      if (it.lost || result.inferredLost.includes(st.item)) {
        const { win: _w, options: _o, ...rest } = common as typeof common & { options?: string };
        const why = it.lost ? '' : ' (inferred: the peer retransmitted what it acknowledges)';
        events.push({ type: 'link', t, host: hostOf(it.src), action: 'lost', summary: `${it.flags} seq ${common.seq} ack ${common.ack} len ${it.len}${why}`, ...rest });
      }
    } else {
      const t = at(it.t + (opts.inDelay ?? 0));
      events.push({ type: 'segment', t, host: hostOf(it.dst), dir: 'in', ...common });
      for (const tr of st.transitions) events.push(stateEv(tr, t));
    }
  }
  return { events, result };
}
