// STAND-IN for src/tools/scenarios/index.ts, used only until the real scenario catalogue lands.
// Same shape (SCENARIOS, runScenario); produces canned traces from short scripted segment
// exchanges, with states from lab/src/infer.ts. It is not the stack: the real module runs the
// stack in a simulated network. Delete this file once lab/src/catalogue.ts imports the real one.
import type { TcpState } from '../../src/tcp/types.js';
import type { TraceEvent } from '../../src/trace/trace.js';
import { segmentsToTrace, type InferItem } from './infer.js';
import { traceToPcapng } from './pcapng-export.js';

export interface ScenarioInfo {
  name: string;
  title: string;
  description: string;
}
export interface ScenarioOptions {
  seed?: number;
  loss?: number;
  delay?: number;
  bytes?: number;
}
export interface ScenarioRun {
  events: TraceEvent[];
  pcapng: Uint8Array;
  hosts: ['client', 'server'];
  ok: boolean;
  summary: string;
}

export const SCENARIOS: ScenarioInfo[] = [
  { name: 'handshake', title: 'Three-way handshake', description: 'SYN, SYN-ACK, ACK: both ends reach ESTABLISHED.' },
  { name: 'active-close', title: 'Active close', description: 'The client closes first and waits in TIME-WAIT.' },
  { name: 'passive-close', title: 'Passive close', description: 'The server closes first; the client goes through CLOSE-WAIT and LAST-ACK.' },
  { name: 'fin-ack-combined', title: 'FIN and ACK combined', description: 'The server acknowledges the FIN and sends its own in one segment.' },
  { name: 'simultaneous-open', title: 'Simultaneous open', description: 'Both ends send SYN at once and meet in SYN-RECEIVED.' },
  { name: 'simultaneous-close', title: 'Simultaneous close', description: 'Both ends send FIN at once and go through CLOSING.' },
  { name: 'lost-final-ack', title: 'Lost final ACK', description: 'The last ACK is lost; the FIN is retransmitted and TIME-WAIT answers it.' },
  { name: 'syn-lost', title: 'SYN lost', description: 'The first SYN is lost and retransmitted after the initial RTO.' },
  { name: 'refused', title: 'Connection refused', description: 'No listener: the server answers the SYN with RST.' },
  { name: 'abort', title: 'Abort', description: 'The client aborts an established connection with RST.' },
  { name: 'half-close', title: 'Half-close', description: 'The client shuts down its sending side and keeps receiving.' },
  { name: 'syn-received-rst', title: 'RST in SYN-RECEIVED', description: 'A RST sends a passive SYN-RECEIVED back to LISTEN.' },
  { name: 'listen-close', title: 'Close a listener', description: 'A passive open closed before any SYN arrives.' },
  { name: 'zero-window', title: 'Zero window', description: 'The receiver closes its window; the sender probes until it opens.' },
  { name: 'bulk', title: 'Bulk transfer', description: 'The client sends a block of data, then closes.' },
];

type Who = 'c' | 's';
type Step =
  | [Who, string, { len?: number; lost?: boolean; win?: number; par?: boolean; wait?: number; seq0?: boolean }?]
  | ['force', 'client' | 'server', TcpState, string]
  | ['wait', number];

const HS: Step[] = [['c', 'S'], ['s', 'S.'], ['c', '.']];
const SCRIPTS: Record<string, Step[]> = {
  handshake: [...HS],
  'active-close': [...HS, ['c', 'F.'], ['s', '.'], ['s', 'F.'], ['c', '.']],
  'passive-close': [...HS, ['s', 'F.'], ['c', '.'], ['c', 'F.'], ['s', '.']],
  'fin-ack-combined': [...HS, ['c', 'F.'], ['s', 'F.'], ['c', '.']],
  'simultaneous-open': [['c', 'S', { par: true }], ['s', 'S'], ['c', 'S.', { par: true }], ['s', 'S.']],
  'simultaneous-close': [...HS, ['c', 'F.', { par: true }], ['s', 'F.'], ['c', '.', { par: true }], ['s', '.']],
  'lost-final-ack': [...HS, ['c', 'F.'], ['s', '.'], ['s', 'F.'], ['c', '.', { lost: true }], ['wait', 1000], ['s', 'F.'], ['c', '.']],
  'syn-lost': [['c', 'S', { lost: true }], ['wait', 1000], ['c', 'S'], ['s', 'S.'], ['c', '.']],
  refused: [['c', 'S'], ['s', 'R.', { seq0: true }]],
  abort: [...HS, ['c', 'P.', { len: 100 }], ['s', '.'], ['c', 'R.']],
  'half-close': [...HS, ['c', 'F.'], ['s', '.'], ['s', 'P.', { len: 500 }], ['c', '.'], ['s', 'P.', { len: 500 }], ['c', '.'], ['s', 'F.'], ['c', '.']],
  'syn-received-rst': [['force', 'server', 'LISTEN', 'passive OPEN / create TCB'], ['c', 'S'], ['force', 'client', 'CLOSED', 'ABORT'], ['s', 'S.'], ['c', 'R']],
  'listen-close': [['force', 'server', 'LISTEN', 'passive OPEN / create TCB'], ['wait', 100], ['force', 'server', 'CLOSED', 'CLOSE / delete TCB']],
  'zero-window': [...HS, ['c', 'P.', { len: 1000 }], ['s', '.', { win: 0 }], ['wait', 200], ['c', '.', { len: 1 }], ['s', '.', { win: 0 }], ['wait', 400], ['c', '.', { len: 1 }], ['s', '.', { win: 65535 }], ['c', 'P.', { len: 999 }], ['s', '.'], ['c', 'F.'], ['s', 'F.'], ['c', '.']],
  bulk: [...HS, ...Array.from({ length: 8 }, (_, i): Step[] => [['c', '.', { len: 1448, par: i % 2 === 0 }], ...(i % 2 ? ([['s', '.']] as Step[]) : [])]).flat(), ['c', 'F.'], ['s', 'F.'], ['c', '.']],
};

export function runScenario(name: string, opts: ScenarioOptions = {}): ScenarioRun {
  const script = SCRIPTS[name];
  if (!script) throw new Error(`unknown scenario ${name}`);
  const delay = opts.delay ?? 10;
  const ep = { c: '10.0.0.1:40000', s: '10.0.0.2:80' };
  const st = {
    c: { iss: 1000, sndNxt: 1000, rcvNxt: 0, sentSyn: false, lastFin: -1 },
    s: { iss: 5000, sndNxt: 5000, rcvNxt: 0, sentSyn: false, lastFin: -1 },
  };
  const items: InferItem[] = [];
  const pending: Array<() => void> = [];
  let t = 0;
  for (const step of script) {
    if (step[0] === 'wait') {
      t += step[1];
      continue;
    }
    if (step[0] === 'force') {
      items.push({ kind: 'force', t, host: step[1], to: step[2], cause: step[3] });
      continue;
    }
    const [who, flags, o = {}] = step;
    const me = st[who];
    const peer = st[who === 'c' ? 's' : 'c'];
    const syn = flags.includes('S');
    const fin = flags.includes('F');
    const len = o.len ?? 0;
    let seq = me.sndNxt;
    if (syn && me.sentSyn) seq = me.iss; // SYN retransmitted / SYN,ACK in a simultaneous open
    else if (fin && me.lastFin >= 0) seq = me.lastFin; // FIN retransmitted
    else me.sndNxt = seq + len + (syn ? 1 : 0) + (fin ? 1 : 0);
    if (syn) me.sentSyn = true;
    if (fin) me.lastFin = seq + len;
    if (o.seq0) seq = 0;
    const ack = flags.includes('.') ? me.rcvNxt : 0;
    items.push({ t, src: ep[who], dst: ep[who === 'c' ? 's' : 'c'], flags, seq, ack, len, win: o.win ?? 65535, lost: o.lost });
    // Deliveries of segments sent "in parallel" land after the next segment is built.
    const deliver = (): void => {
      if (o.lost) return;
      if (syn) peer.rcvNxt = seq + 1;
      else if (seq === peer.rcvNxt) peer.rcvNxt = seq + len + (fin ? 1 : 0);
    };
    for (const d of pending.splice(0)) d();
    if (o.par) pending.push(deliver);
    else deliver();
    if (!o.par) t += delay;
  }
  const { events, result } = segmentsToTrace(items, { inDelay: delay });
  // A little of the user-call and timer vocabulary of the real trace, for the event list.
  const withTimers: TraceEvent[] = [];
  for (const e of events) {
    withTimers.push(e);
    if (e.type === 'state' && e.to === 'TIME-WAIT') {
      withTimers.push({ type: 'timer', t: e.t, host: e.host, timer: 'time-wait', action: 'set', deadline: e.t + 60_000 });
    }
  }
  // Move the 2MSL expiries 60 s after their TIME-WAIT, sorted by time.
  for (const e of withTimers) {
    if (e.type === 'state' && e.from === 'TIME-WAIT' && e.to === 'CLOSED') {
      const tw = withTimers.find((x) => x.type === 'state' && x.host === e.host && x.to === 'TIME-WAIT');
      if (tw) e.t = tw.t + 60_000;
    }
  }
  const sorted = withTimers.map((e, i) => ({ e, i })).sort((a, b) => a.e.t - b.e.t || a.i - b.i).map((x) => x.e);
  return {
    events: sorted,
    pcapng: traceToPcapng(sorted),
    hosts: ['client', 'server'],
    ok: true,
    summary: `stand-in trace (not the stack): client ${result.final.client}, server ${result.final.server}`,
  };
}
