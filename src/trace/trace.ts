// One trace schema for the CLI, the tests and the lab page. Every event has `type`, `host`
// (the name of the host that saw it, e.g. "client") and `t` (virtual or real ms).
// JSON-lines output prints exactly these objects, one per line.
import type { TcpState, TimerName } from '../tcp/types.js';

export interface TraceBase {
  t: number;
  host: string;
  /** Connection id "local:port>remote:port" when the event belongs to one. */
  conn?: string;
}

export interface SegmentTrace extends TraceBase {
  type: 'segment';
  dir: 'in' | 'out';
  src: string; // "addr:port"
  dst: string;
  flags: string; // tcpdump style: "S", "S.", ".", "F.", "R", "P."
  seq: number;
  ack: number;
  len: number;
  win: number; // raw window field
  options?: string; // packetdrill style: "mss 1460,sackOK,TS val 1 ecr 0,nop,wscale 7"
}

export interface StateTrace extends TraceBase {
  type: 'state';
  from: TcpState;
  to: TcpState;
  cause: string;
}

export interface TimerTrace extends TraceBase {
  type: 'timer';
  timer: TimerName;
  action: 'set' | 'fire' | 'cancel';
  deadline?: number;
}

export interface DropTrace extends TraceBase {
  type: 'drop';
  layer: 'link' | 'ip' | 'tcp' | 'icmp' | 'host';
  reason: string;
}

/** What the simulated link did to a packet (loss is also drawn as "dropped" in the lab). */
export interface LinkTrace extends TraceBase {
  type: 'link';
  action: 'lost' | 'duplicated' | 'corrupted' | 'reordered' | 'delivered';
  /** Short description of the packet (flags seq ack len) when it parses. */
  summary?: string;
  /** Segment fields for lost/duplicated/reordered packets when it parses. */
  flags?: string;
  seq?: number;
  ack?: number;
  len?: number;
  src?: string;
  dst?: string;
}

export interface UserTrace extends TraceBase {
  type: 'user';
  call: 'open' | 'listen' | 'send' | 'receive' | 'close' | 'abort' | 'status' | string;
  detail?: string;
}

export interface ErrorTrace extends TraceBase {
  type: 'error';
  code: string;
  message: string;
}

export interface DataTrace extends TraceBase {
  type: 'data';
  /** Bytes delivered to the application / accepted from it. */
  dir: 'read' | 'write';
  bytes: number;
}

export interface RetransmitTrace extends TraceBase {
  type: 'retransmit';
  seq: number;
  len: number;
  cause: string;
}

export interface NoteTrace extends TraceBase {
  type: 'note';
  text: string;
}

export type TraceEvent =
  | SegmentTrace
  | StateTrace
  | TimerTrace
  | DropTrace
  | LinkTrace
  | UserTrace
  | ErrorTrace
  | DataTrace
  | RetransmitTrace
  | NoteTrace;

/** Where trace events go. A null sink costs one property check per event. */
export interface TraceSink {
  (ev: TraceEvent): void;
}

/** Collects events in memory (tests, scenarios, the lab). */
export class TraceRecorder {
  readonly events: TraceEvent[] = [];
  readonly sink: TraceSink = (ev) => {
    this.events.push(ev);
  };
  ofType<K extends TraceEvent['type']>(type: K): Extract<TraceEvent, { type: K }>[] {
    return this.events.filter((e) => e.type === type) as Extract<TraceEvent, { type: K }>[];
  }
  toJsonLines(): string {
    return this.events.map((e) => JSON.stringify(e)).join('\n') + (this.events.length ? '\n' : '');
  }
}
