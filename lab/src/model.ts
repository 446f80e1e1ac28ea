// The replay model: a trace and, after each of its events, where both hosts are in Figure 5.
// Precomputed so that stepping back is as cheap as stepping forward.
import type { TcpState } from '../../src/tcp/types.js';
import type { TraceEvent } from '../../src/trace/trace.js';
import { arcFor, nodeFor, type ArcRef, type HostSlot } from './diagram.js';

export interface Snapshot {
  states: [TcpState, TcpState];
  nodes: [string, string];
  arcs: [ArcRef | null, ArcRef | null];
  /** The host whose state the event changed, if any. */
  current: HostSlot | null;
}

export interface Run {
  /** Where it came from, for the title line: "scenario simultaneous-close", "file x.pcapng". */
  source: string;
  events: TraceEvent[];
  hosts: [string, string];
  pcapng?: Uint8Array;
  ok?: boolean;
  summary?: string;
  /** Captures: the TCP connections found, and the one shown (a key of `connections`). */
  connections?: Array<{ key: string; label: string }>;
  connection?: string;
}

export class Replay {
  readonly snapshots: Snapshot[];
  /** Snapshot before any event. */
  readonly initial: Snapshot;

  constructor(readonly run: Run) {
    const slotOf = (h: string): HostSlot | -1 => (h === run.hosts[0] ? 0 : h === run.hosts[1] ? 1 : -1);
    const first: [TcpState, TcpState] = ['CLOSED', 'CLOSED'];
    for (const slot of [0, 1] as HostSlot[]) {
      const e = run.events.find((x) => x.type === 'state' && slotOf(x.host) === slot);
      if (e && e.type === 'state') first[slot] = e.from;
    }
    this.initial = { states: first, nodes: [nodeFor(first[0], null), nodeFor(first[1], null)], arcs: [null, null], current: null };
    let cur = this.initial;
    this.snapshots = run.events.map((e) => {
      if (e.type !== 'state') return (cur = { ...cur, current: null });
      const slot = slotOf(e.host);
      if (slot === -1) return (cur = { ...cur, current: null });
      // A host can hold several TCBs: a listener forks a new one "in LISTEN" per SYN, and may
      // close after its child did. A transition to where the host already is changes nothing.
      if (e.to === cur.states[slot]) return (cur = { ...cur, current: null });
      const fig = arcFor(e.from, e.to, e.cause);
      const ref: ArcRef = { id: fig ? fig.id : `x-${e.from}-${e.to}`, from: e.from, to: e.to, cause: e.cause };
      const states = [...cur.states] as [TcpState, TcpState];
      const nodes = [...cur.nodes] as [string, string];
      const arcs = [...cur.arcs] as [ArcRef | null, ArcRef | null];
      states[slot] = e.to;
      nodes[slot] = nodeFor(e.to, ref);
      arcs[slot] = ref;
      return (cur = { states, nodes, arcs, current: slot });
    });
  }

  /** True for a state event that changes nothing shown (a TCB starting where its host is). */
  quiet(i: number): boolean {
    const e = this.run.events[i];
    return e?.type === 'state' && this.snapshots[i].current === null;
  }

  /** Snapshot after event `i` (-1: before the first). */
  at(i: number): Snapshot {
    return i < 0 ? this.initial : this.snapshots[Math.min(i, this.snapshots.length - 1)];
  }
}

/** The two hosts of a trace: client and server when present, else the first two named. */
export function hostsOf(events: TraceEvent[]): [string, string] {
  const names: string[] = [];
  for (const e of events) if (!names.includes(e.host)) names.push(e.host);
  if (names.includes('client') && names.includes('server')) return ['client', 'server'];
  return [names[0] ?? 'client', names[1] ?? 'server'];
}

/** One line for the event list. */
export function describeEvent(e: TraceEvent): string {
  switch (e.type) {
    case 'segment':
      return `${e.dir === 'out' ? 'send' : 'recv'} ${e.flags} seq ${e.seq} ack ${e.ack} len ${e.len} win ${e.win}${e.options ? ' <' + e.options + '>' : ''}`;
    case 'state':
      return `${e.from} -> ${e.to} (${e.cause})`;
    case 'timer':
      return `timer ${e.timer} ${e.action}${e.deadline !== undefined ? ' @' + e.deadline : ''}`;
    case 'drop':
      return `drop (${e.layer}): ${e.reason}`;
    case 'link':
      return `link ${e.action}${e.summary ? ': ' + e.summary : ''}`;
    case 'user':
      return `user ${e.call}${e.detail ? ' ' + e.detail : ''}`;
    case 'error':
      return `error ${e.code}: ${e.message}`;
    case 'data':
      return `data ${e.dir} ${e.bytes} bytes`;
    case 'retransmit':
      return `retransmit seq ${e.seq} len ${e.len} (${e.cause})`;
    case 'note':
      return e.text;
    default:
      return JSON.stringify(e);
  }
}
