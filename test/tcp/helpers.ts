// Test bench for one Connection, in the style of smoltcp's socket tests: build a connection
// with a collecting sink, put it in a state, feed one segment at time T, and assert exactly the
// segments that come out.
import assert from 'node:assert/strict';
import { Connection } from '../../src/tcp/connection.js';
import { DEFAULT_CONFIG, type ConnEvent, type ConnectionConfig, type ConnectionSink, type TcpState } from '../../src/tcp/types.js';
import { ACK, FIN, PSH, RST, SYN, flagString, type Segment, type SegmentOptions } from '../../src/wire/types.js';

export { ACK, FIN, PSH, RST, SYN };

/** Our ISS and the peer's, as in smoltcp's tests: small and easy to read. */
export const LOCAL_ISS = 1000;
export const REMOTE_ISS = 5000;
export const LOCAL = { addr: '10.0.0.1', port: 80 };
export const REMOTE = { addr: '10.0.0.2', port: 49152 };

/** A plain configuration: no options, ACK at once, NewReno. Tests turn features on. */
export const PLAIN: ConnectionConfig = {
  ...DEFAULT_CONFIG,
  rcvBuf: 64000,
  sndBuf: 64000,
  timestamps: false,
  sack: false,
  windowScaling: false,
  delayedAck: 0,
  nagle: false,
  congestion: 'newreno',
};

export class Sink implements ConnectionSink {
  segs: Segment[] = [];
  events: ConnEvent[] = [];
  output(seg: Segment): void {
    this.segs.push(seg);
  }
  event(ev: ConnEvent): void {
    this.events.push(ev);
  }
  /** Takes the segments out. */
  take(): Segment[] {
    const s = this.segs;
    this.segs = [];
    return s;
  }
  clear(): void {
    this.segs = [];
    this.events = [];
  }
  ofType<T extends ConnEvent['type']>(t: T): Array<Extract<ConnEvent, { type: T }>> {
    return this.events.filter((e) => e.type === t) as Array<Extract<ConnEvent, { type: T }>>;
  }
  states(): string[] {
    return this.ofType('state').map((e) => `${e.from}->${e.to}`);
  }
  drops(): string[] {
    return this.ofType('drop').map((e) => e.reason);
  }
}

export interface Bench {
  c: Connection;
  sink: Sink;
}

export function make(cfg: Partial<ConnectionConfig> = {}, iss = LOCAL_ISS, now = 0): Bench {
  const sink = new Sink();
  const c = new Connection({ config: { ...PLAIN, ...cfg }, local: LOCAL, remote: REMOTE, sink, iss, now });
  return { c, sink };
}

export interface SegSpec {
  seq: number;
  ack?: number;
  flags: number;
  window?: number;
  payload?: Uint8Array | number; // a number: that many bytes of a pattern
  options?: SegmentOptions;
}

export function bytes(n: number, start = 0): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (start + i) & 0xff;
  return b;
}

/** A segment from the peer to us. */
export function seg(s: SegSpec): Segment {
  const payload = typeof s.payload === 'number' ? bytes(s.payload) : (s.payload ?? new Uint8Array(0));
  return {
    srcPort: REMOTE.port,
    dstPort: LOCAL.port,
    seq: s.seq >>> 0,
    ack: (s.ack ?? 0) >>> 0,
    flags: s.flags,
    window: s.window ?? 64000,
    urgent: 0,
    options: s.options ?? {},
    payload,
  };
}

export interface Expect {
  flags: string; // flagString: 'S', 'S.', '.', 'F.', 'R', 'R.', 'P.' ...
  seq: number;
  ack?: number;
  len?: number;
  window?: number;
}

/** Asserts exactly these segments came out (and nothing else), then forgets them. */
export function expectSegs(b: Bench, want: Expect[]): Segment[] {
  const got = b.sink.take();
  const show = (s: Segment): string => `${flagString(s.flags)} seq=${s.seq} ack=${s.ack} len=${s.payload.length} win=${s.window}`;
  const g = got.map((s) => {
    const o: Expect = { flags: flagString(s.flags), seq: s.seq };
    return o;
  });
  assert.equal(got.length, want.length, `segments out: want ${want.length}, got [${got.map(show).join(' | ')}]`);
  for (let i = 0; i < want.length; i++) {
    const w = want[i];
    const s = got[i];
    assert.equal(g[i].flags, w.flags, `segment ${i} flags (${show(s)})`);
    assert.equal(s.seq, w.seq >>> 0, `segment ${i} seq (${show(s)})`);
    if (w.ack !== undefined) assert.equal(s.ack, w.ack >>> 0, `segment ${i} ack (${show(s)})`);
    assert.equal(s.payload.length, w.len ?? 0, `segment ${i} len (${show(s)})`);
    if (w.window !== undefined) assert.equal(s.window, w.window, `segment ${i} window (${show(s)})`);
  }
  return got;
}

export function expectNothing(b: Bench): void {
  expectSegs(b, []);
}

export function expectState(b: Bench, st: TcpState): void {
  assert.equal(b.c.state, st);
}

/** Passive open driven to SYN-RECEIVED: LISTEN, peer SYN (REMOTE_ISS) at t=0. */
export function synReceived(cfg: Partial<ConnectionConfig> = {}, synOptions: SegmentOptions = {}): Bench {
  const b = make(cfg);
  b.c.openPassive(0);
  b.c.segmentArrives(seg({ seq: REMOTE_ISS, flags: SYN, window: 64000, options: synOptions }), 0);
  b.sink.clear();
  return b;
}

/** ESTABLISHED via a passive open. Local: sndNxt = LOCAL_ISS+1, rcvNxt = REMOTE_ISS+1. */
export function established(cfg: Partial<ConnectionConfig> = {}, synOptions: SegmentOptions = {}, ackOptions: SegmentOptions = {}): Bench {
  const b = synReceived(cfg, synOptions);
  b.c.segmentArrives(seg({ seq: REMOTE_ISS + 1, ack: LOCAL_ISS + 1, flags: ACK, options: ackOptions }), 0);
  assert.equal(b.c.state, 'ESTABLISHED');
  b.sink.clear();
  return b;
}

/** ESTABLISHED via an active open. */
export function establishedActive(cfg: Partial<ConnectionConfig> = {}, synAckOptions: SegmentOptions = {}): Bench {
  const b = make(cfg);
  b.c.openActive(0);
  b.c.segmentArrives(seg({ seq: REMOTE_ISS, ack: LOCAL_ISS + 1, flags: SYN | ACK, options: synAckOptions }), 0);
  assert.equal(b.c.state, 'ESTABLISHED');
  b.sink.clear();
  return b;
}

/** FIN-WAIT-1: established, then user CLOSE (our FIN at LOCAL_ISS+1 is out). */
export function finWait1(cfg: Partial<ConnectionConfig> = {}): Bench {
  const b = established(cfg);
  b.c.close(0);
  b.sink.clear();
  return b;
}

/** CLOSE-WAIT: established, peer FIN at REMOTE_ISS+1. */
export function closeWait(cfg: Partial<ConnectionConfig> = {}): Bench {
  const b = established(cfg);
  b.c.segmentArrives(seg({ seq: REMOTE_ISS + 1, ack: LOCAL_ISS + 1, flags: FIN | ACK }), 0);
  assert.equal(b.c.state, 'CLOSE-WAIT');
  b.sink.clear();
  return b;
}
