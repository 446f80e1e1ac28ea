// The contract of one TCP connection (RFC 9293 3.10): a pure state machine.
// Inputs: arriving segments, user calls, and `now` (milliseconds, from the caller's clock).
// Outputs: segments and events through a ConnectionSink, and the next deadline.
// It owns no timers and does no I/O; the host stack drives it.
import type { Segment } from '../wire/types.js';

/** RFC 9293 3.3.2, Figure 5: the eleven states, printed as the RFC names them. */
export type TcpState =
  | 'CLOSED'
  | 'LISTEN'
  | 'SYN-SENT'
  | 'SYN-RECEIVED'
  | 'ESTABLISHED'
  | 'FIN-WAIT-1'
  | 'FIN-WAIT-2'
  | 'CLOSE-WAIT'
  | 'CLOSING'
  | 'LAST-ACK'
  | 'TIME-WAIT';

export const TCP_STATES: readonly TcpState[] = [
  'CLOSED', 'LISTEN', 'SYN-SENT', 'SYN-RECEIVED', 'ESTABLISHED', 'FIN-WAIT-1',
  'FIN-WAIT-2', 'CLOSE-WAIT', 'CLOSING', 'LAST-ACK', 'TIME-WAIT',
];

/** Node-style error codes the user calls map onto (RFC 9293 3.10 error strings in `message`). */
export type TcpErrorCode =
  | 'ECONNREFUSED' // "connection reset" in SYN-SENT: the peer refused
  | 'ECONNRESET' // "connection reset"
  | 'ECONNABORTED' // local ABORT
  | 'EPIPE' // "connection closing": SEND after CLOSE
  | 'ENOTCONN' // "connection does not exist"
  | 'ETIMEDOUT' // user timeout / R2 / SYN retries exhausted
  | 'EISCONN' // "connection already exists"
  | 'EINVAL' // "insufficient resources"/bad argument
  | 'EHOSTUNREACH' // hard ICMP error (via host stack)
  | 'ENETUNREACH'
  | 'EMSGSIZE';

export class TcpError extends Error {
  constructor(
    readonly code: TcpErrorCode,
    /** The RFC 9293 wording, e.g. "connection does not exist". */
    message: string,
  ) {
    super(message);
    this.name = 'TcpError';
  }
}

export type TimerName =
  | 'retransmit'
  | 'persist'
  | 'keepalive'
  | 'time-wait'
  | 'delayed-ack'
  | 'user-timeout'
  | 'open-timeout'
  /** The cork ceiling (Linux TCP_CORK, MSG_MORE): a held partial segment goes when it fires. */
  | 'cork';

/** Everything the connection tells its owner besides segments. */
export type ConnEvent =
  | { type: 'state'; from: TcpState; to: TcpState; cause: string }
  /** Receive buffer went from empty to non-empty (or more data arrived). */
  | { type: 'readable' }
  /** Send buffer has room again after being full. */
  | { type: 'writable' }
  /** The peer's FIN has been reached in sequence: after the buffered data, EOF. */
  | { type: 'eof' }
  /** The connection failed (reset, refused, timeout); the TCB is gone or going. */
  | { type: 'error'; code: TcpErrorCode; message: string }
  /** The TCB was deleted (state CLOSED). The owner should forget the connection. */
  | { type: 'closed' }
  | { type: 'timer'; timer: TimerName; action: 'set' | 'fire' | 'cancel'; deadline?: number }
  /** An arriving segment was not accepted (or only partly); reason is short and stable. */
  | { type: 'drop'; reason: string }
  | { type: 'retransmit'; seq: number; len: number; cause: 'rto' | 'fast' | 'sack' | 'tlp' | 'syn' | 'fin' }
  /** RFC 5961 challenge ACK sent (or suppressed by the rate limit). */
  | { type: 'challenge-ack'; suppressed: boolean };

export interface ConnectionSink {
  /** A segment to send. The host fills in IP addresses and the checksum. */
  output(seg: Segment): void;
  event(ev: ConnEvent): void;
}

export interface Endpoint {
  addr: string;
  port: number;
}

export interface ConnectionConfig {
  /** Address family, for the default peer MSS (RFC 9293 3.7.1: 536 for IPv4, 1220 for IPv6). */
  family: 4 | 6;
  /** Our MSS to advertise (link MTU minus IP and TCP headers). */
  mss: number;
  /** Receive buffer size in bytes (advertised window upper bound). */
  rcvBuf: number;
  /** Send buffer size in bytes. */
  sndBuf: number;
  /** RFC 6298 bounds, ms. Defaults like Linux: 200 ms floor, 1 s initial, 120 s ceiling. */
  rtoMin: number;
  rtoInitial: number;
  rtoMax: number;
  /** Added to every RTO once measured or backed off (FreeBSD net.inet.tcp.rexmit_slop, its
   *  TCPT_RANGESET). Only ever lengthens the RTO (RFC 6298 sets a floor, not a ceiling).
   *  Absent = 0. */
  rtoSlop?: number;
  /** Maximum segment lifetime, ms. TIME-WAIT lasts 2*msl (default 30 s -> 60 s like Linux). */
  msl: number;
  /** RFC 9293 3.8.3: R1 (retransmissions before telling IP/ULP) and R2 (give up). */
  r1: number;
  r2: number;
  /** SYN retransmissions before ETIMEDOUT (Linux tcp_syn_retries = 6). */
  synRetries: number;
  /** User timeout, ms (RFC 9293 3.8.4; RFC 5482). 0 = off (R2 governs). */
  userTimeout: number;
  keepAlive: boolean;
  keepAliveIdle: number;
  keepAliveInterval: number;
  keepAliveCount: number;
  /** RFC 5961 mitigations (challenge ACKs). FreeBSD insecure_rst=0 means on. */
  rfc5961: boolean;
  /** Challenge ACKs allowed per second (RFC 5961 7). */
  challengeAckLimit: number;
  /** Least interval (ms) between ACKs answering unacceptable segments (out of window, PAWS),
   *  like Linux tcp_invalid_ratelimit. Absent = 500; 0 = every one is answered. */
  invalidRateLimit?: number;
  /** RFC 7323 / RFC 2018 extensions, each negotiable. */
  windowScaling: boolean;
  timestamps: boolean;
  sack: boolean;
  /** RFC 9293 3.7.4 Nagle; false = TCP_NODELAY. */
  nagle: boolean;
  /** Linux TCP_CORK at the start (inherited on accept); TcpConnection.cork turns it on and off
   *  later. While on, only full-sized segments go, or the partial one at the cork ceiling. */
  cork?: boolean;
  /** Delayed ACK timeout, ms (0 = ACK every segment at once). */
  delayedAck: number;
  /** Linux quick-ACK mode at connection start (TCP_MAX_QUICKACKS = 16): the first data
   *  segments are ACKed at once, as many as min(this, max(2, RCV.WND / (2 * MSS))), so the
   *  peer's slow start is not held back by delayed ACKs; left early when the exchange turns
   *  interactive (data sent within delayedAck of data received). Absent or 0: off. */
  quickAcks?: number;
  congestion: 'cubic' | 'newreno';
  /** RFC 6928 initial window in segments. */
  initialWindow: number;
  /** RFC 3465 2.2 L, in segments: the most one ACK grows cwnd by in slow start. Absent = 2 (the
   *  RFC's limit); Infinity = every segment acknowledged (Linux tcp_slow_start). */
  abcLimit?: number;
  /** RFC 5681 4.1: before sending after an idle period longer than the RTO, cwnd = min(RW,
   *  cwnd), RW = the initial window (Linux net.ipv4.tcp_slow_start_after_idle). Absent = on. */
  restartAfterIdle?: boolean;
  /** RFC 9438 5.8 / RFC 7661: cwnd does not grow while the sender is not cwnd-limited (Linux
   *  tcp_is_cwnd_limited: in slow start, while cwnd < 2 * the most in flight). Absent = on. */
  cwndValidation?: boolean;
  /** Buffers hold at least this many segments of our MSS: rcvBuf and sndBuf are raised to
   *  bufSegments * mss (at most BUF_SCALE_MAX) when smaller, so at a large MTU there are enough
   *  segments in flight for duplicate ACKs and fast recovery (256 KB is 4 segments at MTU
   *  65000). The rings grow on use, so idle connections stay small. Absent or 0: the sizes stand
   *  as given (a bare Connection's default); the host stack sets DEFAULT_BUF_SEGMENTS unless
   *  buffer sizes are configured, and clears it when the user sizes a buffer (SO_RCVBUF). */
  bufSegments?: number;
  /** RFC 8985 RACK-TLP (with SACK): time-based loss detection and tail loss probes. Absent =
   *  the default in tcp/connection.ts (RACK_DEFAULT: on). */
  rack?: boolean;
  /** With RACK on and SACK: also mark losses and enter fast recovery by RFC 5681/6675
   *  DupThresh (three duplicate ACKs, IsLost, NextSeg rule 3), as before RFC 8985 6.2. Absent
   *  or false: RACK alone decides what is lost (RFC 8985 3.4, Linux with RACK on); DupThresh
   *  stays for connections without SACK or RACK. */
  rackDupThresh?: boolean;
  /** RFC 9937 (RFC 6937bis) Proportional Rate Reduction in fast recovery, SACK and NewReno:
   *  PRR-SSRB as Linux. Absent = on (PRR_DEFAULT in tcp/connection.ts); false = RFC 6675
   *  pipe < ssthresh and RFC 6582 window inflation. */
  prr?: boolean;
  /** RFC 9293 3.8.3: "the application can close the connection (i.e., give up on the open
   *  attempt) sooner": a time limit (ms) on SYN-SENT and SYN-RECEIVED, ending the open with
   *  ETIMEDOUT (a passive child returns to LISTEN). FreeBSD TCP_KEEPINIT / net.inet.tcp.keepinit.
   *  Absent or 0: off (synRetries governs). */
  openTimeout?: number;
  /** No TCP options in our SYN or SYN,ACK, not even MSS (FreeBSD TCP_NOOPT). RFC 9293 3.1:
   *  options are optional; without an MSS option the peer assumes 536 (IPv4) or 1220 (IPv6),
   *  3.7.1. Window scaling, timestamps and SACK are then off for the connection. */
  noOptions?: boolean;
  /** From this SYN retransmission on (in SYN-SENT), the SYN carries only the MSS option and the
   *  connection no longer offers window scaling, timestamps or SACK (FreeBSD
   *  net.inet.tcp.rexmit_drop_options=1: the third retransmission), for middleboxes that drop
   *  SYNs with options they do not know. RFC 9293 3.7.1 keeps MSS (SHLD-5). Absent or 0: off. */
  synRtxDropOptions?: number;
  /** IP header fields of every segment the connection sends: the IPv4 TOS / IPv6 Traffic
   *  Class byte (RFC 9293 3.9.1.1 OPEN "Diffserv field"; RFC 2474) and the IPv4 TTL / IPv6 hop
   *  limit (socket options IP_TOS/IPV6_TCLASS, IP_TTL/IPV6_UNICAST_HOPS). Absent: the host's
   *  defaults (0, 64). */
  tos?: number;
  ttl?: number;
  /** RFC 1337 TIME-WAIT assassination hazards: ignore RST in TIME-WAIT (FreeBSD does; Linux's
   *  net.ipv4.tcp_rfc1337 defaults to off). Absent = off: RFC 9293 3.10.7.4, RST -> CLOSED. */
  rfc1337?: boolean;
  /** RFC 3168 6.1 classic ECN. 'passive' (absent): accept ECN when the peer's SYN asks for it
   *  (Linux net.ipv4.tcp_ecn=2, FreeBSD net.inet.tcp.ecn.enable=2); true: also ask for it in our
   *  SYN (true or 'on', tcp_ecn=1); false: never (the ECN flags of a SYN are ignored). */
  ecn?: boolean | 'on' | 'passive';
  /** RFC 3168 6.1.1.1: how many SYN retransmissions still carry ECE and CWR; later ones are
   *  plain SYNs, in case a middlebox drops ECN-setup SYNs (FreeBSD net.inet.tcp.ecn.maxretries,
   *  default 1; Linux tcp_ecn_fallback: 0). Absent = 1. */
  ecnSynRetries?: number;
  /** A passive ECN endpoint: how many SYN-ACK retransmissions still carry ECE; later ones go
   *  without it and ECN is off for the connection (FreeBSD net.inet.tcp.ecn.maxretries, as for
   *  the SYN). Absent = no limit (Linux keeps ECE on every SYN-ACK). */
  ecnSynAckRetries?: number;
}

export const DEFAULT_CONFIG: ConnectionConfig = {
  family: 4,
  mss: 1460,
  rcvBuf: 256 * 1024,
  sndBuf: 256 * 1024,
  rtoMin: 200,
  rtoInitial: 1000,
  rtoMax: 120_000,
  msl: 30_000,
  r1: 3,
  r2: 15,
  synRetries: 6,
  userTimeout: 0,
  keepAlive: false,
  keepAliveIdle: 7_200_000,
  keepAliveInterval: 75_000,
  keepAliveCount: 9,
  rfc5961: true,
  challengeAckLimit: 1000,
  windowScaling: true,
  timestamps: true,
  sack: true,
  nagle: true,
  delayedAck: 40,
  congestion: 'cubic',
  initialWindow: 10,
};

/** What the host stack sets bufSegments to when no buffer size is configured: 64 segments, as
 *  Linux's default 128 KB tcp_rmem at MTU 1500 is ~90 segments. */
export const DEFAULT_BUF_SEGMENTS = 64;

/** Most that bufSegments raises a buffer to (Linux tcp_rmem/tcp_wmem max are 6 MB and 4 MB). */
export const BUF_SCALE_MAX = 4 * 1024 * 1024;

/** The configuration with the buffers raised to `bufSegments` segments of `mss` (see there).
 *  Returns `c` itself when nothing changes. */
export function scaledBuffers(c: ConnectionConfig): ConnectionConfig {
  const n = c.bufSegments ?? 0;
  if (!(n > 0)) return c;
  const floor = Math.min(BUF_SCALE_MAX, Math.ceil(n) * c.mss);
  if (c.rcvBuf >= floor && c.sndBuf >= floor) return c;
  return { ...c, rcvBuf: Math.max(c.rcvBuf, floor), sndBuf: Math.max(c.sndBuf, floor) };
}

/** RFC 9293 3.10.6 STATUS, also what the host's connection table shows. */
export interface ConnStatus {
  state: TcpState;
  local: Endpoint;
  remote: Endpoint;
  sndUna: number;
  sndNxt: number;
  sndWnd: number;
  rcvNxt: number;
  rcvWnd: number;
  sendQueue: number; // bytes not yet acknowledged or not yet sent
  recvQueue: number; // bytes received, not yet read by the user
  srtt: number | undefined;
  rto: number;
  cwnd: number;
  retransmits: number;
  /** RFC 7323 TS.Recent, present while timestamps are in use (RFC 6191 TIME-WAIT reuse). */
  tsRecent?: number;
  /** Slow-start threshold in bytes (0x7fffffff or more: not set yet). */
  ssthresh: number;
  /** Eff.snd.MSS (RFC 9293 3.7.1) and the largest segment received (at least the initial
   *  estimate). */
  sndMss: number;
  rcvMss: number;
  /** When in-order data last arrived (ms, the connection's clock); absent before any. */
  lastDataRecv?: number;
  /** Loss recovery, as Linux names its congestion-avoidance states: 'recovery' = fast
   *  recovery, 'loss' = after a retransmission timeout until what was outstanding then is
   *  acknowledged, 'disorder' = duplicate ACKs or SACKed data outstanding, 'cwr' = cwnd was
   *  reduced for an ECE (RFC 3168 6.1.2) and that window is not yet acknowledged, else 'open'. */
  caState: 'open' | 'disorder' | 'cwr' | 'recovery' | 'loss';
  /** RFC 3168 6.1.1: ECN was negotiated on this connection. */
  ecn?: boolean;
  /** ECN is on and an ECT- or CE-marked data segment has arrived (Linux TCP_ECN_SEEN). */
  ecnSeen?: boolean;
  /** Negotiated in the handshake: RFC 7323 timestamps and window scale, RFC 2018 SACK. */
  timestamps?: boolean;
  windowScaling?: boolean;
  sack?: boolean;
}

/** What the host stack hands a new connection. */
export interface ConnectionInit {
  config: ConnectionConfig;
  local: Endpoint;
  /** The peer. For a passive open the host forks a LISTEN connection per arriving SYN, so the
   *  remote is known (RFC 9293 3.10.7.2: "fill in" the foreign socket). */
  remote: Endpoint;
  sink: ConnectionSink;
  /** Initial send sequence number, chosen by the host (RFC 6528, see tcp/isn.ts). */
  iss: number;
  now: number;
  /** RFC 7323 7.1: an offset added to our TSval clock, so timestamps do not reveal uptime
   *  (Linux derives one per connection from a keyed hash). Absent = 0. */
  tsOffset?: number;
}

/** One connection (implemented by tcp/connection.ts). All methods are synchronous and never
 *  throw on bad segments; user-call misuse throws TcpError with an RFC 9293 message. */
export interface TcpConnection {
  readonly state: TcpState;
  /** May be shared with other connections (the host hands one object to many): never written
   *  through; `reconfigure` changes it. */
  readonly config: ConnectionConfig;
  /** Options the connection reads as it goes (socket options on a live connection): applied to
   *  a private copy of the config, made on the first call. */
  reconfigure(patch: Partial<ConnectionConfig>): void;
  /** RFC 9293 3.10.1 OPEN, active: CLOSED -> SYN-SENT, sends SYN. */
  openActive(now: number): void;
  /** RFC 9293 3.10.1 OPEN, passive: CLOSED -> LISTEN. */
  openPassive(now: number): void;
  /** RFC 9293 3.10.2 SEND: queues as much as fits; returns bytes accepted (0 when full).
   *  `more` (Linux MSG_MORE): more data follows, so this call sends no partial segment. */
  send(data: Uint8Array, now: number, more?: boolean): number;
  /** Linux TCP_CORK on or off; turning it off sends what is queued (as Nagle allows). */
  cork?(on: boolean, now: number): void;
  /** Linux TCP_NAGLE_PUSH (setting TCP_NODELAY): what is queued goes now, corked or not. */
  push?(now: number): void;
  /** RFC 9293 3.10.3 RECEIVE: up to `max` bytes in order; null when nothing is buffered. */
  receive(max: number, now: number): Uint8Array | null;
  /** Like receive() but the bytes stay queued (BSD MSG_PEEK); `offset` skips that many first.
   *  Optional: tcp/connection.ts has it; other implementations may not. */
  peek?(max: number, offset?: number): Uint8Array | null;
  /** Bytes buffered for the user to read. */
  readonly readableBytes: number;
  /** Room left in the send buffer. */
  readonly writableBytes: number;
  /** True once the peer's FIN has been reached in sequence (EOF after buffered data). */
  readonly eof: boolean;
  /** RFC 9293 3.10.4 CLOSE (our direction only; half-close). */
  close(now: number): void;
  /** RFC 9293 3.10.5 ABORT: sends RST when synchronized, goes to CLOSED. */
  abort(now: number): void;
  /** RFC 9293 3.10.6 STATUS. */
  status(): ConnStatus;
  /** RFC 9293 3.10.7 SEGMENT ARRIVES (the segment already passed the checksum). */
  segmentArrives(seg: Segment, now: number): void;
  /** Earliest time at which onTimer must be called; Infinity when no timer is armed. */
  nextDeadline(): number;
  /** RFC 9293 3.10.8 TIMEOUTS: handle every timer due at `now`. */
  onTimer(now: number): void;
  /** ICMP errors quoted back to us (RFC 5461: soft errors do not abort an established
   *  connection; hard errors abort a connection in SYN-SENT/SYN-RECEIVED). */
  icmpError(code: TcpErrorCode, hard: boolean, now: number): void;
  /** RFC 1191 / RFC 8201: the path MTU dropped; shrink the effective MSS. */
  pathMtu(mtu: number, now: number): void;
}
