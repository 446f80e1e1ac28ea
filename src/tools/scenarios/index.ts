// The scenario catalogue: small, self-checking runs of the stack between two simulated hosts,
// `client` (10.0.0.1) and `server` (10.0.0.2), in virtual time. Each returns the full trace, a
// pcapng of the client's link, whether it did what it should (`ok`, checked by the scenario
// itself: state sequences, key segments, outcomes) and a one-line summary. The CLI (`synack
// scenario`), the demo and the lab page all run these. Browser-safe: no node: imports.
import type { TcpState } from '../../tcp/types.js';
import type { TraceEvent } from '../../trace/trace.js';
import { World, AppSocket, AppListener, listen, connect, CLIENT_ADDR, SERVER_ADDR, type HostName, type WorldOptions } from './world.js';
import { Sha256 } from './sha256.js';

export { World, AppSocket, AppListener, listen, connect, CLIENT_ADDR, SERVER_ADDR } from './world.js';
export type { HostName, WorldOptions } from './world.js';

export interface ScenarioInfo {
  name: string;
  title: string;
  description: string;
}

export interface ScenarioOptions {
  seed?: number;
  /** Random loss probability on the link, both directions, in [0, 1). */
  loss?: number;
  /** One-way link delay, ms. */
  delay?: number;
  /** Bytes to transfer (bulk, zero-window, half-close). */
  bytes?: number;
}

export interface ScenarioResult {
  events: TraceEvent[];
  pcapng: Uint8Array;
  hosts: ['client', 'server'];
  ok: boolean;
  summary: string;
  finalStates: { client: TcpState; server: TcpState };
  /** What the scenario checked and found wrong (empty when ok). */
  failures: string[];
  /** Facts worth printing (bytes moved, hashes, errors seen). */
  facts: string[];
  /** The state sequence of each host, from the trace (repeats collapsed). */
  states: { client: TcpState[]; server: TcpState[] };
  /** Virtual time at the end, ms. */
  virtualMs: number;
  options: Required<ScenarioOptions>;
}

/** One segment on the wire, with seq and ack relative to the ISNs (as Wireshark shows them). */
export interface WireSegment {
  host: HostName;
  t: number;
  flags: string;
  seq: number;
  ack: number;
  len: number;
  win: number;
  /** seq - ISN of the sender; ack - ISN of the receiver (0 when no ACK flag or ISN unknown). */
  rseq: number;
  rack: number;
}

export class ScenarioError extends Error {
  override name = 'ScenarioError';
}

const SERVER_PORT = 80;
const CLIENT_PORT = 40000;

interface Ctx {
  w: World;
  o: Required<ScenarioOptions>;
  listeners: AppListener[];
  fail(msg: string): void;
  expect(cond: boolean, msg: string): void;
  fact(text: string): void;
  /** Assert the exact state sequence of a host (only without random loss, which may legally
   *  change the path; with loss it is reported as a fact instead). */
  expectStates(host: HostName, seq: TcpState[]): void;
  /** Assert a segment pattern appears in order on the wire (lossless runs only). */
  lossless: boolean;
}

interface ScenarioDef extends ScenarioInfo {
  defaults?: Partial<ScenarioOptions>;
  world?: (o: Required<ScenarioOptions>) => Partial<WorldOptions>;
  /** Set the scene (schedule user calls); returns the check to run once the world is idle. */
  setup(ctx: Ctx): () => void;
}

// ---- helpers ----------------------------------------------------------------------------------

/** Every segment each host sent, in time order, with relative sequence numbers. */
export function wireSegments(events: TraceEvent[]): WireSegment[] {
  const isn: Partial<Record<string, number>> = {};
  for (const e of events) {
    if (e.type === 'segment' && e.dir === 'out' && e.flags.includes('S') && isn[e.host] === undefined) isn[e.host] = e.seq;
  }
  const out: WireSegment[] = [];
  for (const e of events) {
    if (e.type !== 'segment' || e.dir !== 'out') continue;
    const host = e.host as HostName;
    const peer = host === 'client' ? 'server' : 'client';
    const mine = isn[host];
    const theirs = isn[peer];
    out.push({
      host,
      t: e.t,
      flags: e.flags,
      seq: e.seq,
      ack: e.ack,
      len: e.len,
      win: e.win,
      rseq: mine === undefined ? e.seq : (e.seq - mine) >>> 0,
      rack: e.flags.includes('.') && theirs !== undefined ? (e.ack - theirs) >>> 0 : e.flags.includes('.') ? e.ack : 0,
    });
  }
  return out;
}

/** "client S 0:0 ack 0" style line for a segment (relative numbers). */
export function segLine(s: WireSegment): string {
  return `${s.host} ${s.flags} ${s.rseq}${s.flags.includes('.') ? ` ack ${s.rack}` : ''} len ${s.len}`;
}

type SegPattern = [HostName, string, number?, number?, number?];

/** Do the segments contain `pattern` in order (flags exact; rseq, rack, len when given)? */
function findInOrder(segs: WireSegment[], pattern: SegPattern[]): { ok: boolean; missing?: string } {
  let i = 0;
  for (const [host, flags, rseq, rack, len] of pattern) {
    let found = false;
    for (; i < segs.length; i++) {
      const s = segs[i];
      if (s.host === host && s.flags === flags && (rseq === undefined || s.rseq === rseq) && (rack === undefined || s.rack === rack) && (len === undefined || s.len === len)) {
        found = true;
        i++;
        break;
      }
    }
    if (!found) return { ok: false, missing: `${host} ${flags}${rseq !== undefined ? ` seq ${rseq}` : ''}${rack !== undefined ? ` ack ${rack}` : ''}${len !== undefined ? ` len ${len}` : ''}` };
  }
  return { ok: true };
}

/** Deterministic pseudo-random payload (xorshift32), so a transfer is not all zeros. */
export function payload(n: number, seed: number): Uint8Array {
  const b = new Uint8Array(n);
  const v = new Uint32Array(b.buffer, 0, n >>> 2);
  let x = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < v.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    v[i] = x;
  }
  for (let i = v.length * 4; i < n; i++) b[i] = (i * 31 + seed) & 0xff;
  return b;
}

const HANDSHAKE_CLIENT: TcpState[] = ['SYN-SENT', 'ESTABLISHED'];
const HANDSHAKE_SERVER: TcpState[] = ['LISTEN', 'SYN-RECEIVED', 'ESTABLISHED'];
const ACTIVE_CLOSE: TcpState[] = ['FIN-WAIT-1', 'FIN-WAIT-2', 'TIME-WAIT', 'CLOSED'];
const PASSIVE_CLOSE: TcpState[] = ['CLOSE-WAIT', 'LAST-ACK', 'CLOSED'];

/** A server on port 80 that echoes nothing and closes when the client has closed. */
function closingServer(ctx: Ctx, opts: { rcvBuf?: number } = {}): { l: AppListener; conn: () => AppSocket | undefined } {
  const l = listen(ctx.w, 'server', SERVER_PORT, opts);
  ctx.listeners.push(l);
  l.onAccept = (s) => {
    s.onEof = () => s.close();
  };
  return { l, conn: () => l.accepted[0] };
}

// ---- the catalogue ------------------------------------------------------------------------------

const DEFS: ScenarioDef[] = [
  {
    name: 'handshake',
    title: 'Three-way handshake',
    description: 'SYN, SYN-ACK, ACK: the client actively opens, the listening server forks a connection; both reach ESTABLISHED. Then a normal close.',
    setup(ctx) {
      const { w } = ctx;
      const srv = closingServer(ctx);
      let c!: AppSocket;
      w.at(0, () => {
        c = connect(w, 'client', SERVER_ADDR, SERVER_PORT);
        c.onConnect = () => w.after(100, () => c.close());
      });
      return () => {
        ctx.expect(c.connected, 'client connected');
        ctx.expect(srv.l.accepted.length === 1, 'server accepted one connection');
        ctx.expectStates('client', [...HANDSHAKE_CLIENT, ...ACTIVE_CLOSE]);
        ctx.expectStates('server', [...HANDSHAKE_SERVER, ...PASSIVE_CLOSE]);
        if (ctx.lossless) {
          const segs = wireSegments(w.events());
          const first = segs.slice(0, 3).map(segLine);
          ctx.expect(first.join(' | ') === 'client S 0 len 0 | server S. 0 ack 1 len 0 | client . 1 ack 1 len 0', `handshake segments: ${first.join(' | ')}`);
        }
      };
    },
  },
  {
    name: 'active-close',
    title: 'Active close',
    description: 'The client sends a request, reads the reply and closes first: FIN-WAIT-1, FIN-WAIT-2, then TIME-WAIT for 2 MSL; the server goes CLOSE-WAIT, LAST-ACK.',
    setup(ctx) {
      const { w } = ctx;
      const l = listen(w, 'server', SERVER_PORT);
      ctx.listeners.push(l);
      l.onAccept = (s) => {
        s.onData = () => {
          if (s.received >= 5) s.write('world');
        };
        s.onEof = () => s.close();
      };
      let c!: AppSocket;
      w.at(0, () => {
        c = connect(w, 'client', SERVER_ADDR, SERVER_PORT);
        c.onConnect = () => c.write('hello');
        c.onData = () => {
          if (c.received >= 5) c.close();
        };
      });
      return () => {
        ctx.expect(c.text() === 'world', `client read 'world' (got '${c.text()}')`);
        ctx.expect(l.accepted[0]?.text() === 'hello', 'server read hello');
        ctx.expectStates('client', [...HANDSHAKE_CLIENT, ...ACTIVE_CLOSE]);
        ctx.expectStates('server', [...HANDSHAKE_SERVER, ...PASSIVE_CLOSE]);
        if (ctx.lossless) {
          const r = findInOrder(wireSegments(w.events()), [
            ['client', 'F.', 6, 6, 0],
            ['server', '.', 6, 7, 0],
            ['server', 'F.', 6, 7, 0],
            ['client', '.', 7, 7, 0],
          ]);
          ctx.expect(r.ok, `four-way close on the wire (missing ${r.missing})`);
          const tw = w.rec.events.find((e) => e.type === 'state' && e.host === 'client' && e.to === 'TIME-WAIT');
          const closed = w.rec.events.find((e) => e.type === 'state' && e.host === 'client' && e.from === 'TIME-WAIT' && e.to === 'CLOSED');
          ctx.expect(!!tw && !!closed && closed.t - tw.t === 60_000, `TIME-WAIT lasted 2 MSL = 60 s (${tw && closed ? closed.t - tw.t : '?'} ms)`);
        }
      };
    },
  },
  {
    name: 'passive-close',
    title: 'Passive close',
    description: 'The server answers and closes first; the client sees EOF in CLOSE-WAIT, closes, and waits in LAST-ACK for the ACK of its FIN. The server keeps TIME-WAIT.',
    setup(ctx) {
      const { w } = ctx;
      const l = listen(w, 'server', SERVER_PORT);
      ctx.listeners.push(l);
      l.onAccept = (s) => {
        s.onData = () => {
          if (s.received >= 5) {
            s.write('bye');
            s.close();
          }
        };
      };
      let c!: AppSocket;
      w.at(0, () => {
        c = connect(w, 'client', SERVER_ADDR, SERVER_PORT);
        c.onConnect = () => c.write('hello');
        c.onEof = () => w.after(50, () => c.close());
      });
      return () => {
        ctx.expect(c.text() === 'bye', `client read 'bye' (got '${c.text()}')`);
        ctx.expectStates('client', [...HANDSHAKE_CLIENT, ...PASSIVE_CLOSE]);
        ctx.expectStates('server', [...HANDSHAKE_SERVER, ...ACTIVE_CLOSE]);
        if (ctx.lossless) {
          const r = findInOrder(wireSegments(w.events()), [
            ['server', 'FP.', 1, 6, 3],
            ['client', '.', 6, 5, 0],
            ['client', 'F.', 6, 5, 0],
            ['server', '.', 5, 7, 0],
          ]);
          const r2 = r.ok
            ? r
            : findInOrder(wireSegments(w.events()), [
                ['server', 'P.', 1, 6, 3],
                ['server', 'F.', 4, 6, 0],
                ['client', '.', 6, 5, 0],
                ['client', 'F.', 6, 5, 0],
                ['server', '.', 5, 7, 0],
              ]);
          ctx.expect(r2.ok, `server FIN first, client FIN after (missing ${r2.missing})`);
        }
      };
    },
  },
  {
    name: 'fin-ack-combined',
    title: 'FIN and ACK combined',
    description:
      "The client closes; the server's bare ACK of that FIN is lost (a targeted link filter), so the server's own FIN is the first segment to acknowledge the client's FIN: the client goes from FIN-WAIT-1 straight to TIME-WAIT (RFC 9293 3.10.7.4, eighth step).",
    setup(ctx) {
      const { w } = ctx;
      closingServer(ctx);
      let c!: AppSocket;
      // The server's pure ACK of the client's FIN (flags '.', no data, after the client's FIN).
      let clientFinSeq: number | undefined;
      w.at(0, () => {
        c = connect(w, 'client', SERVER_ADDR, SERVER_PORT);
        c.onConnect = () =>
          w.after(100, () => {
            c.close();
            const fin = w.sent('client').find((s) => s.flags.includes('F'));
            clientFinSeq = fin?.seq;
            w.dropWhen('server', "server's bare ACK of the client's FIN", (d) => clientFinSeq !== undefined && d.flags === '.' && d.len === 0 && d.ack === ((clientFinSeq + 1) >>> 0));
          });
      });
      return () => {
        ctx.expectStates('client', [...HANDSHAKE_CLIENT, 'FIN-WAIT-1', 'TIME-WAIT', 'CLOSED']);
        ctx.expectStates('server', [...HANDSHAKE_SERVER, ...PASSIVE_CLOSE]);
        const tw = w.rec.events.find((e) => e.type === 'state' && e.host === 'client' && e.to === 'TIME-WAIT');
        if (ctx.lossless) ctx.expect(!!tw && tw.type === 'state' && tw.from === 'FIN-WAIT-1', 'client: FIN-WAIT-1 -> TIME-WAIT directly');
        if (ctx.lossless) {
          const r = findInOrder(wireSegments(w.events()), [
            ['client', 'F.', 1, 1, 0],
            ['server', '.', 1, 2, 0],
            ['server', 'F.', 1, 2, 0],
            ['client', '.', 2, 2, 0],
          ]);
          ctx.expect(r.ok, `FIN, (lost ACK), FIN+ACK, ACK (missing ${r.missing})`);
        }
      };
    },
  },
  {
    name: 'simultaneous-open',
    title: 'Simultaneous open',
    description: 'Both ends connect() to each other at the same virtual instant (client 40000 <-> server 80, no listener). The SYNs cross; each answers with SYN-ACK from SYN-RECEIVED (RFC 9293 Figure 8).',
    setup(ctx) {
      const { w } = ctx;
      let c!: AppSocket;
      let s!: AppSocket;
      w.at(10, () => {
        c = connect(w, 'client', SERVER_ADDR, SERVER_PORT, { localPort: CLIENT_PORT });
        s = connect(w, 'server', CLIENT_ADDR, CLIENT_PORT, { localPort: SERVER_PORT });
        c.onConnect = () => w.after(100, () => c.close());
        s.onEof = () => s.close();
      });
      return () => {
        ctx.expect(c.connected && s.connected, 'both connected');
        ctx.expectStates('client', ['SYN-SENT', 'SYN-RECEIVED', 'ESTABLISHED', ...ACTIVE_CLOSE]);
        ctx.expectStates('server', ['SYN-SENT', 'SYN-RECEIVED', 'ESTABLISHED', ...PASSIVE_CLOSE]);
        if (ctx.lossless) {
          const segs = wireSegments(w.events());
          const syns = segs.filter((x) => x.flags.includes('S')).map(segLine);
          // Figure 8: the SYNs cross (both sent before either arrives), then each side answers
          // from SYN-RECEIVED with a SYN-ACK carrying its original ISN.
          const crossed = syns.length === 4 && syns.slice(0, 2).sort().join(' | ') === 'client S 0 len 0 | server S 0 len 0' &&
            syns.slice(2).sort().join(' | ') === 'client S. 0 ack 1 len 0 | server S. 0 ack 1 len 0';
          const s0 = segs.filter((x) => x.flags === 'S');
          ctx.expect(crossed && s0.length === 2 && s0[0].t === s0[1].t, `SYNs cross, then two SYN-ACKs: ${syns.join(' | ')}`);
        }
      };
    },
  },
  {
    name: 'simultaneous-close',
    title: 'Simultaneous close',
    description: 'After the handshake both ends close() at the same virtual instant. The FINs cross: FIN-WAIT-1 -> CLOSING on each side, then TIME-WAIT when the ACKs arrive (RFC 9293 Figure 7).',
    setup(ctx) {
      const { w } = ctx;
      const l = listen(w, 'server', SERVER_PORT);
      ctx.listeners.push(l);
      let c!: AppSocket;
      w.at(0, () => {
        c = connect(w, 'client', SERVER_ADDR, SERVER_PORT);
      });
      // Once the server has accepted (both ends ESTABLISHED), both close at the same instant.
      l.onAccept = (s) => w.after(100, () => {
        c.close();
        s.close();
      });
      return () => {
        ctx.expect(l.accepted.length === 1, 'server accepted');
        ctx.expectStates('client', [...HANDSHAKE_CLIENT, 'FIN-WAIT-1', 'CLOSING', 'TIME-WAIT', 'CLOSED']);
        ctx.expectStates('server', [...HANDSHAKE_SERVER, 'FIN-WAIT-1', 'CLOSING', 'TIME-WAIT', 'CLOSED']);
        if (ctx.lossless) {
          // The FINs cross: each side sends FIN (acking only the peer's SYN), then ACKs the
          // peer's FIN from CLOSING; that ACK carries its own FIN again (docs/conformance.md).
          const segs = wireSegments(w.events());
          for (const h of ['client', 'server'] as const) {
            const r = findInOrder(segs, [
              [h, 'F.', 1, 1, 0],
              [h, 'F.', 1, 2, 0],
            ]);
            ctx.expect(r.ok, `${h}: FIN then ACK of the peer's FIN (missing ${r.missing})`);
          }
          const fins = segs.filter((x) => x.flags.includes('F'));
          ctx.expect(fins.length === 4 && fins[0].t === fins[1].t, 'both FINs sent at the same instant');
        }
      };
    },
  },
  {
    name: 'lost-final-ack',
    title: 'Lost final ACK',
    description:
      "The client closes first. Its final ACK (of the server's FIN) is dropped once by a targeted link filter; the server in LAST-ACK retransmits its FIN after the RTO, and the client answers from TIME-WAIT with a new ACK, restarting the 2 MSL timer.",
    setup(ctx) {
      const { w } = ctx;
      closingServer(ctx);
      let c!: AppSocket;
      w.at(0, () => {
        c = connect(w, 'client', SERVER_ADDR, SERVER_PORT);
        c.onConnect = () => w.after(100, () => c.close());
      });
      w.dropWhen('client', 'final ACK', (d) => {
        const fin = w.sent('server').find((s) => s.flags.includes('F'));
        return !!fin && d.flags === '.' && d.len === 0 && d.ack === ((fin.seq + 1) >>> 0);
      });
      return () => {
        ctx.expectStates('client', [...HANDSHAKE_CLIENT, ...ACTIVE_CLOSE]);
        ctx.expectStates('server', [...HANDSHAKE_SERVER, ...PASSIVE_CLOSE]);
        const serverFins = w.sent('server').filter((s) => s.flags.includes('F'));
        ctx.expect(serverFins.length >= 2, `server retransmitted its FIN (${serverFins.length} FINs)`);
        const twAcks = wireSegments(w.events()).filter((s) => s.host === 'client' && s.flags === '.' && serverFins.length > 0 && s.ack === ((serverFins[0].seq + 1) >>> 0));
        ctx.expect(twAcks.length >= 2, `client ACKed the FIN again from TIME-WAIT (${twAcks.length} ACKs)`);
        const twSets = w.rec.events.filter((e) => e.type === 'timer' && e.host === 'client' && e.timer === 'time-wait' && e.action === 'set');
        ctx.expect(twSets.length >= 2, `TIME-WAIT timer restarted by the retransmitted FIN (${twSets.length} sets)`);
        if (serverFins.length >= 2) ctx.fact(`FIN retransmitted after ${Math.round(serverFins[1].t - serverFins[0].t)} ms`);
      };
    },
  },
  {
    name: 'syn-lost',
    title: 'SYN lost',
    description: "The client's first SYN is dropped by a targeted link filter; the retransmission timer (initial RTO 1 s, RFC 6298) fires and the SYN is sent again with the same sequence number.",
    setup(ctx) {
      const { w } = ctx;
      closingServer(ctx);
      let c!: AppSocket;
      w.dropWhen('client', 'first SYN', (d) => d.flags === 'S');
      w.at(0, () => {
        c = connect(w, 'client', SERVER_ADDR, SERVER_PORT);
        c.onConnect = () => w.after(100, () => c.close());
      });
      return () => {
        ctx.expect(c.connected, 'client connected after the retransmission');
        const syns = w.sent('client').filter((s) => s.flags === 'S');
        ctx.expect(syns.length >= 2 && syns[0].seq === syns[1].seq, `SYN sent twice with the same ISN (${syns.length})`);
        if (syns.length >= 2) {
          const gap = syns[1].t - syns[0].t;
          ctx.fact(`SYN retransmitted after ${Math.round(gap)} ms`);
          if (ctx.lossless) ctx.expect(gap === 1000, `retransmitted after the initial RTO of 1 s (${gap} ms)`);
        }
        const rtx = w.rec.events.find((e) => e.type === 'retransmit' && e.host === 'client');
        ctx.expect(!!rtx, 'a retransmit event on the client');
        ctx.expectStates('client', [...HANDSHAKE_CLIENT, ...ACTIVE_CLOSE]);
        ctx.expectStates('server', [...HANDSHAKE_SERVER, ...PASSIVE_CLOSE]);
      };
    },
  },
  {
    name: 'refused',
    title: 'Connection refused',
    description: 'Nothing listens on port 81: the server host answers the SYN with <SEQ=0><ACK=ISN+1><CTL=RST,ACK> (RFC 9293 3.10.7.1); the client goes SYN-SENT -> CLOSED and connect() fails with ECONNREFUSED.',
    setup(ctx) {
      const { w } = ctx;
      let c!: AppSocket;
      w.at(0, () => {
        w.note('server', 'no socket on port 81 (CLOSED)');
        c = connect(w, 'client', SERVER_ADDR, 81);
        c.onError = (code) => {
          w.note('client', `connect() failed: ${code}`);
          c.close();
        };
      });
      return () => {
        ctx.expect(c.error === 'ECONNREFUSED', `client error ECONNREFUSED (got ${c.error})`);
        ctx.fact(`client error ${c.error}`);
        ctx.expectStates('client', ['SYN-SENT', 'CLOSED']);
        ctx.expectStates('server', []);
        if (ctx.lossless) {
          const segs = wireSegments(w.events());
          ctx.expect(segs.length === 2 && segs[1].host === 'server' && segs[1].flags === 'R.' && segs[1].seq === 0 && segs[1].rack === 1, `SYN answered by RST,ACK seq 0 ack ISN+1: ${segs.map(segLine).join(' | ')}`);
        }
      };
    },
  },
  {
    name: 'abort',
    title: 'Abort',
    description: 'The client sends some data, then aborts (SO_LINGER 0 + close, RFC 9293 3.10.5 ABORT): a RST goes out, the client is CLOSED at once, and the server, ESTABLISHED, gets ECONNRESET.',
    setup(ctx) {
      const { w } = ctx;
      const l = listen(w, 'server', SERVER_PORT);
      ctx.listeners.push(l);
      let srv: AppSocket | undefined;
      l.onAccept = (s) => {
        srv = s;
        s.onError = (code) => {
          w.note('server', `read() failed: ${code}`);
          s.close();
        };
        // A late reply: if the RST was lost on the way, this data makes the client's host answer
        // with another RST (there is no connection any more), so the server learns anyway.
        w.after(500, () => {
          if (s.isOpen && !s.error) s.write('late reply');
        });
      };
      let c!: AppSocket;
      w.at(0, () => {
        c = connect(w, 'client', SERVER_ADDR, SERVER_PORT);
        c.onConnect = () => {
          c.write('x'.repeat(100));
          w.after(100, () => c.abort());
        };
      });
      return () => {
        ctx.expect(srv?.error === 'ECONNRESET', `server error ECONNRESET (got ${srv?.error})`);
        if (ctx.lossless) ctx.expect(srv?.received === 100, `server read the 100 bytes before the RST (${srv?.received})`);
        ctx.fact(`server error ${srv?.error}`);
        ctx.expectStates('client', [...HANDSHAKE_CLIENT, 'CLOSED']);
        ctx.expectStates('server', [...HANDSHAKE_SERVER, 'CLOSED']);
        if (ctx.lossless) {
          const r = findInOrder(wireSegments(w.events()), [
            ['client', 'P.', 1, 1, 100],
            ['server', '.', 1, 101, 0],
            ['client', 'R', 101, undefined, 0],
          ]);
          const r2 = r.ok ? r : findInOrder(wireSegments(w.events()), [['client', 'P.', 1, 1, 100], ['server', '.', 1, 101, 0], ['client', 'R.', 101, 1, 0]]);
          ctx.expect(r2.ok, `data, ACK, RST (missing ${r2.missing})`);
        }
      };
    },
  },
  {
    name: 'half-close',
    title: 'Half-close',
    description: 'The client sends its request and shuts down its sending side (FIN): it sits in FIN-WAIT-2 still receiving, while the server, in CLOSE-WAIT, keeps sending; then the server closes.',
    defaults: { bytes: 3000 },
    setup(ctx) {
      const { w, o } = ctx;
      const total = clampBytes(ctx, 3, 2_000_000);
      const body = payload(total, o.seed);
      const l = listen(w, 'server', SERVER_PORT);
      ctx.listeners.push(l);
      l.onAccept = (s) => {
        s.onEof = () => {
          // The client is done sending; keep answering in three pieces, then close.
          const third = Math.ceil(total / 3);
          for (let i = 0; i < 3; i++) {
            w.after(100 * (i + 1), () => {
              s.write(body.subarray(i * third, Math.min(total, (i + 1) * third)));
              if (i === 2) s.close();
            });
          }
        };
      };
      let c!: AppSocket;
      w.at(0, () => {
        c = connect(w, 'client', SERVER_ADDR, SERVER_PORT);
        c.onConnect = () => {
          c.write('GET /');
          c.end();
        };
        c.onEof = () => c.close();
      });
      return () => {
        const got = c.data();
        ctx.expect(got.length === total && equalBytes(got, body), `client received all ${total} bytes after its FIN (${got.length})`);
        ctx.fact(`client received ${got.length} bytes while half-closed`);
        ctx.expectStates('client', [...HANDSHAKE_CLIENT, ...ACTIVE_CLOSE]);
        ctx.expectStates('server', [...HANDSHAKE_SERVER, ...PASSIVE_CLOSE]);
        // Data from the server arrived while the client was in FIN-WAIT-2.
        let st: TcpState = 'CLOSED';
        let inFw2 = 0;
        for (const e of w.rec.events) {
          if (e.type === 'state' && e.host === 'client') st = e.to;
          if (e.type === 'segment' && e.host === 'client' && e.dir === 'in' && e.len > 0 && st === 'FIN-WAIT-2') inFw2 += e.len;
        }
        ctx.expect(inFw2 > 0, `data received in FIN-WAIT-2 (${inFw2} bytes)`);
      };
    },
  },
  {
    name: 'syn-received-rst',
    title: 'RST in SYN-RECEIVED',
    description:
      "The client connects and aborts at once, before the SYN-ACK comes back; its stack then answers the SYN-ACK with RST (no such connection). The server's passive connection goes SYN-RECEIVED -> LISTEN (RFC 9293 3.10.7.4, second) and the listener serves on.",
    setup(ctx) {
      const { w } = ctx;
      const l = listen(w, 'server', SERVER_PORT);
      ctx.listeners.push(l);
      let c!: AppSocket;
      w.at(0, () => {
        c = connect(w, 'client', SERVER_ADDR, SERVER_PORT);
      });
      w.at(0, () => c.abort());
      return () => {
        ctx.expect(l.accepted.length === 0, 'nothing accepted');
        ctx.expectStates('client', ['SYN-SENT', 'CLOSED']);
        ctx.expectStates('server', ['LISTEN', 'SYN-RECEIVED', 'LISTEN', 'CLOSED']);
        if (ctx.lossless) {
          const r = findInOrder(wireSegments(w.events()), [
            ['client', 'S', 0, undefined, 0],
            ['server', 'S.', 0, 1, 0],
            ['client', 'R', 1, undefined, 0],
          ]);
          ctx.expect(r.ok, `SYN, SYN-ACK, RST (missing ${r.missing})`);
        }
        const back = w.rec.events.find((e) => e.type === 'state' && e.host === 'server' && e.from === 'SYN-RECEIVED');
        if (ctx.lossless) ctx.expect(!!back && back.type === 'state' && back.to === 'LISTEN', 'server: SYN-RECEIVED -> LISTEN');
      };
    },
  },
  {
    name: 'listen-close',
    title: 'Close a listener',
    description: 'The server listens (passive OPEN: CLOSED -> LISTEN) and closes the listening socket 100 ms later (LISTEN -> CLOSED). A SYN that arrives afterwards finds a closed port and is answered with RST.',
    setup(ctx) {
      const { w } = ctx;
      const l = listen(w, 'server', SERVER_PORT);
      let listenersOpen = -1;
      let listenersClosed = -1;
      let c!: AppSocket;
      w.at(1, () => (listenersOpen = w.server.counters().listeners));
      w.at(100, () => {
        l.close();
        listenersClosed = w.server.counters().listeners;
      });
      w.at(200, () => {
        c = connect(w, 'client', SERVER_ADDR, SERVER_PORT);
        c.onError = () => c.close();
      });
      return () => {
        ctx.expect(listenersOpen === 1 && listenersClosed === 0, `the host had one listener, then none (${listenersOpen}, ${listenersClosed})`);
        ctx.expect(c.error === 'ECONNREFUSED', `a later SYN is refused (${c.error})`);
        ctx.expectStates('server', ['LISTEN', 'CLOSED']);
        ctx.expectStates('client', ['SYN-SENT', 'CLOSED']);
      };
    },
  },
  {
    name: 'zero-window',
    title: 'Zero window',
    description:
      'The server accepts but stops reading with a small receive buffer; its window closes to 0. The client keeps probing with persist-timer probes (RFC 9293 3.8.6.1) until the server reads again after 3 s; the window reopens and every byte is delivered.',
    defaults: { bytes: 20_000 },
    world: () => ({ serverTcp: { rcvBuf: 4096 } }),
    setup(ctx) {
      const { w, o } = ctx;
      // Enough to fill the 4 KB window; not so much that 4 KB windows take long to move it.
      const body = payload(clampBytes(ctx, 8192, 200_000), o.seed);
      const l = listen(w, 'server', SERVER_PORT, { rcvBuf: 4096 });
      ctx.listeners.push(l);
      let srv: AppSocket | undefined;
      l.onAccept = (s) => {
        srv = s;
        s.pause();
        w.after(3000, () => s.resume());
        s.onEof = () => s.close();
      };
      let c!: AppSocket;
      w.at(0, () => {
        c = connect(w, 'client', SERVER_ADDR, SERVER_PORT);
        c.onConnect = () => {
          c.write(body);
          c.close();
        };
      });
      return () => {
        const got = srv?.data() ?? new Uint8Array(0);
        ctx.expect(got.length === body.length && equalBytes(got, body), `server received all ${body.length} bytes (${got.length})`);
        const zeroWins = w.sent('server').filter((s) => s.win === 0 && !s.flags.includes('R')).length;
        // With random loss a slow handshake may outlast the pause; the window checks are for
        // lossless runs, delivery is checked always.
        if (ctx.lossless) ctx.expect(zeroWins > 0, `server advertised a zero window (${zeroWins} segments)`);
        const persist = w.rec.events.filter((e) => e.type === 'timer' && e.host === 'client' && e.timer === 'persist' && e.action === 'fire').length;
        if (ctx.lossless) ctx.expect(persist > 0, `client's persist timer fired (${persist} times)`);
        ctx.fact(`${zeroWins} zero-window segments, ${persist} persist probes, ${got.length} bytes delivered`);
        ctx.expectStates('client', [...HANDSHAKE_CLIENT, ...ACTIVE_CLOSE]);
        ctx.expectStates('server', [...HANDSHAKE_SERVER, ...PASSIVE_CLOSE]);
      };
    },
  },
  {
    name: 'bulk',
    title: 'Bulk transfer',
    description: 'The client sends `bytes` (default 1 MB) of pseudo-random data over a lossy link (default 1% loss) and closes; the server hashes what it reads with SHA-256 and compares it with the hash of what was sent.',
    defaults: { bytes: 1_000_000, loss: 0.01 },
    setup(ctx) {
      const { w, o } = ctx;
      const body = payload(o.bytes, o.seed);
      const l = listen(w, 'server', SERVER_PORT);
      ctx.listeners.push(l);
      const h = new Sha256();
      let srv: AppSocket | undefined;
      l.onAccept = (s) => {
        srv = s;
        s.keep = false;
        s.onData = (d) => h.update(d);
        s.onEof = () => s.close();
      };
      let c!: AppSocket;
      w.at(0, () => {
        c = connect(w, 'client', SERVER_ADDR, SERVER_PORT);
        c.onConnect = () => {
          c.write(body);
          c.close();
        };
      });
      return () => {
        const sent = new Sha256().update(body).hex();
        const got = h.hex();
        ctx.expect(srv?.received === body.length, `server received ${srv?.received ?? 0} of ${body.length} bytes`);
        ctx.expect(got === sent, `SHA-256 at the receiver ${got.slice(0, 16)}… matches the sender's ${sent.slice(0, 16)}…`);
        ctx.fact(`${srv?.received ?? 0}/${body.length} bytes, sha256 ${got === sent ? 'match' : 'MISMATCH'} ${got.slice(0, 16)}`);
        const rtx = w.rec.events.filter((e) => e.type === 'retransmit' && e.host === 'client').length;
        const lost = w.rec.events.filter((e) => e.type === 'link' && e.action === 'lost').length;
        ctx.fact(`${lost} packets lost on the link, ${rtx} retransmissions`);
        ctx.expectStates('client', [...HANDSHAKE_CLIENT, ...ACTIVE_CLOSE]);
        ctx.expectStates('server', [...HANDSHAKE_SERVER, ...PASSIVE_CLOSE]);
      };
    },
  },
];

/** The `bytes` option clamped to what the scenario can show in well under a second. */
function clampBytes(ctx: Ctx, min: number, max: number): number {
  const n = Math.min(max, Math.max(min, ctx.o.bytes));
  if (n !== ctx.o.bytes) ctx.fact(`bytes ${ctx.o.bytes} clamped to ${n} for this scenario`);
  return n;
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** The catalogue: name, title, description of every scenario. */
export const SCENARIOS: ScenarioInfo[] = DEFS.map(({ name, title, description }) => ({ name, title, description }));

export function scenarioNames(): string[] {
  return DEFS.map((d) => d.name);
}

function resolveOptions(def: ScenarioDef, opts: ScenarioOptions): Required<ScenarioOptions> {
  const pick = (k: keyof ScenarioOptions, fallback: number): number => opts[k] ?? def.defaults?.[k] ?? fallback;
  const o = { seed: pick('seed', 1), loss: pick('loss', 0), delay: pick('delay', 10), bytes: pick('bytes', 0) };
  if (!Number.isFinite(o.seed)) throw new ScenarioError(`seed must be a number, got ${o.seed}`);
  if (!(o.loss >= 0 && o.loss < 1)) throw new ScenarioError(`loss must be a probability in [0, 1), got ${o.loss}`);
  if (!(o.delay >= 0 && o.delay <= 60_000)) throw new ScenarioError(`delay must be 0..60000 ms, got ${o.delay}`);
  if (!(Number.isInteger(o.bytes) && o.bytes >= 0 && o.bytes <= 100_000_000)) throw new ScenarioError(`bytes must be an integer 0..100000000, got ${o.bytes}`);
  o.seed = Math.trunc(o.seed) >>> 0;
  return o;
}

/** Run one scenario of the catalogue. Throws ScenarioError for an unknown name or bad options. */
export function runScenario(name: string, opts: ScenarioOptions = {}): ScenarioResult {
  const def = DEFS.find((d) => d.name === name);
  if (!def) throw new ScenarioError(`unknown scenario '${name}' (known: ${scenarioNames().join(', ')})`);
  const o = resolveOptions(def, opts);
  const w = new World({ seed: o.seed, loss: o.loss, delay: o.delay, ...(def.world?.(o) ?? {}) });
  const failures: string[] = [];
  const facts: string[] = [];
  const lossless = o.loss === 0;
  const ctx: Ctx = {
    w,
    o,
    listeners: [],
    lossless,
    fail: (m) => failures.push(m),
    expect: (c, m) => {
      if (!c) failures.push(m);
    },
    fact: (t) => facts.push(t),
    expectStates: (host, seq) => {
      const got = w.states(host);
      const same = got.length === seq.length && got.every((s, i) => s === seq[i]);
      if (same) return;
      const text = `${host} states ${got.join(' > ') || '(none)'}; expected ${seq.join(' > ') || '(none)'}`;
      if (lossless) failures.push(text);
      else facts.push(`with loss: ${text}`);
    },
  };
  const check = def.setup(ctx);
  let finished = w.runToEnd();
  // The servers stop listening once everything else is over.
  for (const l of ctx.listeners) l.close();
  finished = w.runToEnd() && finished;
  if (!finished) failures.push('the simulation did not finish (event or virtual-time bound hit)');
  check();
  const finalStates = { client: w.finalState('client'), server: w.finalState('server') };
  for (const h of ['client', 'server'] as const) {
    if (finalStates[h] !== 'CLOSED') failures.push(`${h} ends in ${finalStates[h]}, not CLOSED`);
    if (w.lastState(h) !== 'CLOSED' && w.states(h).length > 0) failures.push(`${h}'s trace ends in ${w.lastState(h)}, not CLOSED`);
  }
  const ok = failures.length === 0;
  const vt = w.now();
  const summary =
    `${name}: ${ok ? 'ok' : 'FAILED'}; client ${w.states('client').join(' > ') || 'no state changes'}; server ${w.states('server').join(' > ') || 'no state changes'}` +
    `; ${(vt / 1000).toFixed(3)} s virtual` +
    (facts.length ? `; ${facts.join('; ')}` : '') +
    (failures.length ? `; failed: ${failures.join('; ')}` : '');
  return {
    events: w.events(),
    pcapng: w.pcap.toPcapng(),
    hosts: ['client', 'server'],
    ok,
    summary,
    finalStates,
    failures,
    facts,
    states: { client: w.states('client'), server: w.states('server') },
    virtualMs: vt,
    options: o,
  };
}
