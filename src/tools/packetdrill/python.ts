// `%{ python }%` blocks: only simple `assert tcpi_X <op> N` lines (chains like `a <= x <= b`
// too, terms like `(TCPI_OPT_SACK | TCPI_OPT_ECN)`, an optional `, message`), evaluated against the connection's RFC 9293 STATUS where the
// tcp_info field has an exact counterpart. Anything else makes the script UNSUPPORTED.
import type { ConnStatus, TcpState } from '../../tcp/types.js';

/** Linux tcp_info states (include/net/tcp_states.h). */
const LINUX_STATE: Record<TcpState, number> = {
  ESTABLISHED: 1,
  'SYN-SENT': 2,
  'SYN-RECEIVED': 3,
  'FIN-WAIT-1': 4,
  'FIN-WAIT-2': 5,
  'TIME-WAIT': 6,
  CLOSED: 7,
  'CLOSE-WAIT': 8,
  'LAST-ACK': 9,
  LISTEN: 10,
  CLOSING: 11,
};

const CONSTANTS: Record<string, number> = {
  TCP_ESTABLISHED: 1,
  TCP_SYN_SENT: 2,
  TCP_SYN_RECV: 3,
  TCP_FIN_WAIT1: 4,
  TCP_FIN_WAIT2: 5,
  TCP_TIME_WAIT: 6,
  TCP_CLOSE: 7,
  TCP_CLOSE_WAIT: 8,
  TCP_LAST_ACK: 9,
  TCP_LISTEN: 10,
  TCP_CLOSING: 11,
  // FreeBSD's names for the same states (compared symbolically, so one numbering serves both).
  TCPI_ESTABLISHED: 1,
  TCPI_SYN_SENT: 2,
  TCPI_SYN_RECEIVED: 3,
  TCPI_FIN_WAIT_1: 4,
  TCPI_FIN_WAIT_2: 5,
  TCPI_TIME_WAIT: 6,
  TCPI_CLOSED: 7,
  TCPI_CLOSE_WAIT: 8,
  TCPI_LAST_ACK: 9,
  TCPI_LISTEN: 10,
  TCPI_CLOSING: 11,
};

/** Linux tcp_ca_state (include/net/tcp.h) and TCP_INFINITE_SSTHRESH. */
const CA_STATE: Record<ConnStatus['caState'], number> = { open: 0, disorder: 1, cwr: 2, recovery: 3, loss: 4 };
Object.assign(CONSTANTS, { TCP_CA_Open: 0, TCP_CA_Disorder: 1, TCP_CA_CWR: 2, TCP_CA_Recovery: 3, TCP_CA_Loss: 4 });
const INFINITE_SSTHRESH = 0x7fffffff;
CONSTANTS.TCP_INFINITE_SSTHRESH = INFINITE_SSTHRESH;

/** tcpi_options bits (Linux include/uapi/linux/tcp.h; FreeBSD netinet/tcp.h has the first four
 *  alike, then TCPI_OPT_TOE 0x10 and TCPI_OPT_TFO 0x20). */
const OPT = { TIMESTAMPS: 1, SACK: 2, WSCALE: 4, ECN: 8, ECN_SEEN: 16, SYN_DATA: 32 };
for (const [k, v] of Object.entries(OPT)) CONSTANTS[`TCPI_OPT_${k}`] = v;

/** What a block is evaluated against: the connection's STATUS plus what the host knows. */
export interface PythonContext {
  /** Our MSS (tcpi_advmss). */
  mss: number;
  /** The current time (ms) and when the handshake completed, for tcpi_last_data_recv. */
  now?: number;
  establishedAt?: number;
  /** A FreeBSD script: tcpi_options bit 0x10 is TCPI_OPT_TOE there, not TCPI_OPT_ECN_SEEN. */
  freebsd?: boolean;
}

/** tcp_info fields with an exact counterpart in ConnStatus. */
const FIELDS: Record<string, (s: ConnStatus, x: PythonContext) => number | undefined> = {
  tcpi_state: (s) => LINUX_STATE[s.state],
  tcpi_rto: (s) => Math.round(s.rto * 1000), // usec
  tcpi_rtt: (s) => (s.srtt === undefined ? undefined : Math.round(s.srtt * 1000)), // usec
  tcpi_advmss: (_s, x) => x.mss,
  // Linux counts cwnd in segments of the send MSS (Eff.snd.MSS); the stack counts bytes.
  tcpi_snd_cwnd: (s) => (s.sndMss > 0 ? Math.floor(s.cwnd / s.sndMss) : undefined),
  tcpi_snd_mss: (s) => s.sndMss,
  // Linux: snd_ssthresh in segments, TCP_INFINITE_SSTHRESH while still in initial slow start.
  tcpi_snd_ssthresh: (s) =>
    s.ssthresh >= INFINITE_SSTHRESH ? INFINITE_SSTHRESH : s.sndMss > 0 ? Math.floor(s.ssthresh / s.sndMss) : undefined,
  // Linux TCP_CA_CWR: here only the ECN reduction (RFC 3168 6.1.2), not local congestion.
  tcpi_ca_state: (s) => CA_STATE[s.caState],
  tcpi_rcv_mss: (s) => s.rcvMss,
  // Linux: ms since icsk_ack.lrcvtime, which starts at the end of the handshake.
  // No TCP Fast Open: TCPI_OPT_SYN_DATA (FreeBSD TCPI_OPT_TFO) is never set.
  tcpi_options: (s, x) =>
    (s.timestamps ? OPT.TIMESTAMPS : 0) |
    (s.sack ? OPT.SACK : 0) |
    (s.windowScaling ? OPT.WSCALE : 0) |
    (s.ecn ? OPT.ECN : 0) |
    (s.ecnSeen && !x.freebsd ? OPT.ECN_SEEN : 0),
  tcpi_last_data_recv: (s, x) => {
    const since = s.lastDataRecv ?? x.establishedAt;
    return since === undefined || x.now === undefined ? undefined : Math.floor(x.now - since);
  },
};

interface Assertion {
  terms: string[];
  ops: string[];
}

function statements(code: string): string[] {
  return code
    .replace(/\\\n/g, ' ')
    .split(/\n|;/)
    .map((l) => l.replace(/#.*$/, '').trim())
    .filter(Boolean);
}

function parseAssert(stmt: string): Assertion | string {
  const m = /^assert\s+(.*?)(\s*,\s*[^,]*)?$/.exec(stmt);
  if (!m) return `python statement '${clip(stmt)}'`;
  const expr = m[1];
  const parts = expr.split(/\s*(==|!=|<=|>=|<|>)\s*/);
  if (parts.length < 3 || parts.length % 2 === 0) return `python assertion '${clip(expr)}'`;
  const terms: string[] = [];
  const ops: string[] = [];
  for (let i = 0; i < parts.length; i++) {
    if (i % 2) ops.push(parts[i]);
    else {
      const t = parts[i].trim();
      for (const atom of atoms(t) ?? [t]) {
        if (!/^(tcpi_[a-z_]+|-?\d+|0x[0-9a-fA-F]+|TCPI?_[A-Za-z0-9_]+)$/.test(atom)) return `python expression '${clip(t)}'`;
        if (atom.startsWith('tcpi_') && !FIELDS[atom]) return `tcp_info field ${atom} (no counterpart in the stack's status)`;
        if (/^TCPI?_/.test(atom) && CONSTANTS[atom] === undefined) return `python constant ${atom}`;
      }
      terms.push(t);
    }
  }
  return { terms, ops };
}

/** A term is one atom or a bitwise OR of atoms, optionally in parentheses ("(A | B)"). */
function atoms(t: string): string[] | null {
  const m = /^\(\s*(.*?)\s*\)$/.exec(t);
  const inner = m ? m[1] : t;
  const parts = inner.split(/\s*\|\s*/);
  return m || parts.length > 1 ? parts : null;
}

function termValue(t: string, st: ConnStatus, ctx: PythonContext): number | undefined {
  let v = 0;
  for (const a of atoms(t) ?? [t]) {
    const x = a.startsWith('tcpi_') ? FIELDS[a](st, ctx) : /^TCPI?_/.test(a) ? CONSTANTS[a] : Number(a);
    if (x === undefined) return undefined;
    v = atoms(t) ? v | x : x;
  }
  return v;
}

function clip(s: string): string {
  return s.length > 50 ? s.slice(0, 50) + '...' : s;
}

/** null when the block can be evaluated, else why not. */
export function checkPython(code: string): string | null {
  for (const s of statements(code)) {
    const a = parseAssert(s);
    if (typeof a === 'string') return a;
  }
  return null;
}

/** null when every assertion holds, else a message. */
export function evalPython(code: string, st: ConnStatus, ctx: PythonContext): string | null {
  for (const s of statements(code)) {
    const a = parseAssert(s);
    if (typeof a === 'string') return a;
    const vals = a.terms.map((t) => termValue(t, st, ctx));
    for (let i = 0; i < a.ops.length; i++) {
      const l = vals[i];
      const r = vals[i + 1];
      if (l === undefined || r === undefined) return `expected ${s} got an undefined tcp_info value`;
      const ok =
        a.ops[i] === '==' ? l === r : a.ops[i] === '!=' ? l !== r : a.ops[i] === '<=' ? l <= r : a.ops[i] === '>=' ? l >= r : a.ops[i] === '<' ? l < r : l > r;
      if (!ok) {
        const shown = a.terms.map((t, k) => (t.startsWith('tcpi_') ? `${t}=${vals[k]}` : null)).filter(Boolean).join(', ');
        return `expected ${s.replace(/^assert\s+/, '')} got ${shown}`;
      }
    }
  }
  return null;
}
