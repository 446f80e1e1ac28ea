// One TCP connection: the RFC 9293 state machine (3.3.2 Figure 5, event processing 3.10).
// Pure and deterministic: segments and user calls in, segments and events out through the sink,
// `now` always a parameter. The host stack asks nextDeadline() and calls onTimer(now).
import { ACK, CWR, ECE, ECN_CE, ECN_ECT0, ECN_NOT_ECT, FIN, PSH, RST, SYN, type Segment, type SegmentOptions } from '../wire/types.js';
import { add, ge, gt, inWindow, le, lt, max as seqMax, min as seqMin, sub } from './seq.js';
import { Scoreboard, isDsack } from './sack.js';
import { SendBuffer } from './send-buffer.js';
import { RecvBuffer } from './recv-buffer.js';
import { RttEstimator } from './rtt.js';
import { Rack } from './rack.js';
import { EcnState, ecnAccepts, ecnInitiates } from './ecn.js';
import { makeCongestionControl, type CcOptions, type CongestionControl, type CwndUsage, type LossKind } from './congestion.js';
import {
  TcpError,
  scaledBuffers,
  type ConnectionConfig,
  type ConnectionInit,
  type ConnectionSink,
  type ConnEvent,
  type ConnStatus,
  type Endpoint,
  type TcpConnection,
  type TcpErrorCode,
  type TcpState,
  type TimerName,
} from './types.js';

const EMPTY = new Uint8Array(0);
/** A deadline record with no timer armed (one literal: every record has the same map). */
function noDeadlines(): Record<TimerName, number> {
  return {
    retransmit: Infinity,
    persist: Infinity,
    keepalive: Infinity,
    'time-wait': Infinity,
    'delayed-ack': Infinity,
    'user-timeout': Infinity,
    'open-timeout': Infinity,
    cork: Infinity,
  };
}
const NO_DEADLINES = noDeadlines();
/** What a connection without a scoreboard / ECN state reads. Never written (the test suite and
 *  the conformance run passed with both frozen); not frozen here so that they keep the map of
 *  the instances connections make, and the reads stay monomorphic. */
const EMPTY_SCOREBOARD = new Scoreboard();
const ECN_OFF = new EcnState();
/** RFC 7323 5.5: TS.Recent is invalid after 24 days of idleness. */
const PAWS_IDLE_MS = 24 * 24 * 3600 * 1000;
/** TSopt with its two NOPs takes 12 bytes of every segment once negotiated. */
const TS_OVERHEAD = 12;
/** RACK-TLP when config.rack is absent: on, as Linux (tcp_recovery=1). With SACK it alone
 *  marks losses (RFC 8985 3.4; config.rackDupThresh keeps RFC 6675 DupThresh beside it): under
 *  reordering without loss it retransmits ~100x less than DupThresh did (bench/reorder.ts),
 *  under loss no more (bench loss, soak). */
const RACK_DEFAULT = true;
/** RFC 6937 / RFC 9937 Proportional Rate Reduction when config.prr is absent (Linux: always). */
const PRR_DEFAULT = true;
const TIMER_NAMES: readonly TimerName[] = ['retransmit', 'persist', 'keepalive', 'time-wait', 'delayed-ack', 'user-timeout', 'open-timeout', 'cork'];
/** Linux tcp(7) TCP_CORK: "a 200 millisecond ceiling". It is TCP_RTO_MIN: the probe timer that
 *  sends the held segment waits Linux's RTO (tcp_probe0_base), at least SRTT + TCP_RTO_MIN as
 *  Linux floors RTTVAR at it (tcp_rtt_estimator), where RFC 6298 gives max(RTO.min, ...). */
const CORK_CEILING = 200;

/** States in which SEND queues data to go out (RFC 9293 3.10.2). */
function isSynchronized(s: TcpState): boolean {
  return s !== 'CLOSED' && s !== 'LISTEN' && s !== 'SYN-SENT' && s !== 'SYN-RECEIVED';
}

/** RFC 5961 7: the challenge ACK rate limit; Linux tcp_invalid_ratelimit: when the last ACK
 *  answering an unacceptable segment went. */
class AckLimits {
  chalWindowStart = -Infinity;
  chalCount = 0;
  invalidAckAt = -Infinity;
}

export class Connection implements TcpConnection {
  state: TcpState = 'CLOSED';
  /** Shared with other connections until reconfigure() makes a private copy. */
  config: ConnectionConfig;
  private ownConfig = false;
  readonly local: Endpoint;
  readonly remote: Endpoint;
  private readonly sink: ConnectionSink;
  private readonly initialIss: number;

  // RFC 9293 3.3.1 send sequence variables. sndNxt is the next byte to send; it moves back to
  // sndUna after an RTO (go-back-N, as BSD does), so sndMax is the RFC's SND.NXT: the highest
  // sequence number sent so far, used for every acceptability check.
  iss: number;
  sndUna: number;
  sndNxt: number;
  sndMax: number;
  sndWnd = 0;
  sndWl1 = 0;
  sndWl2 = 0;
  /** RFC 5961 5: MAX.SND.WND, the largest window the peer ever offered. */
  maxSndWnd = 0;
  // Receive sequence variables. rcvAdvEdge = RCV.NXT + RCV.WND as last advertised.
  irs = 0;
  rcvNxt = 0;
  rcvAdvEdge = 0;

  // Negotiated options (RFC 7323, RFC 2018, RFC 9293 3.7.1).
  private wsOk = false;
  private sndShift = 0; // the peer's shift: applied to windows we receive
  private rcvShift = 0; // our shift: applied to windows we send
  private readonly ourShift: number;
  tsOk = false;
  private tsRecent = 0;
  private tsRecentAge = 0;
  private lastAckSent = 0;
  private readonly tsOffset: number;
  sackOk = false;
  /** Our MSS from the config, lowered by pathMtu(). */
  private mtuMss: number;
  private peerMss: number;
  /** Eff.snd.MSS (RFC 9293 3.7.1), the data per segment we send, TSopt taken off. */
  sndMss: number;
  /** Largest segment the peer has sent us, for "every second full-sized segment". */
  private rcvMss: number;

  private readonly sndBuf: SendBuffer;
  private readonly rcvBuf: RecvBuffer;
  /** The user called CLOSE: a FIN follows the queued data. */
  private finQueued = false;
  /** Sequence number of our FIN (valid when finQueued). */
  private finSeq = 0;
  /** The peer's FIN seen out of order, waiting for the hole before it to fill. */
  private rcvFinSeq: number | undefined;
  private finReceived = false;
  private passive = false;
  /** Text that came with the peer's SYN in a simultaneous open, for after ESTABLISHED. */
  private synText: Uint8Array | undefined;
  /** synRtxDropOptions reached: SYNs carry only MSS; no extensions are negotiated. */
  private synExtDropped = false;
  private wasFull = false;
  // Cork (Linux TCP_CORK, MSG_MORE; RFC 9293 3.7.4 lets a sender hold data, this holds more).
  /** The queue's tail came with MSG_MORE: no PSH for it (Linux tcp_push marks PSH only
   *  without MSG_MORE). */
  private moreQueued = false;
  /** Inside a send() with MSG_MORE: that call's flush sends no partial segment. */
  private sendMore = false;
  /** Linux TCP_NAGLE_PUSH: what is queued goes even if corked, until new data is queued. */
  private pushQueued = false;
  /** TCP_CORK (config.cork at the start, then cork()); the config object may be shared. */
  private corked: boolean;
  /** When data last went out (Linux lsndtime), for restart after idle (RFC 5681 4.1). */
  private lastDataSentAt: number | undefined;
  /** RFC 9438 5.8 / RFC 7661: how much of cwnd is used (Linux tcp_cwnd_validate), handed to
   *  the congestion control with each ACK; tracked until SND.UNA reaches cwndUsageSeq. */
  private readonly cwndUsage: CwndUsage = { limited: false, maxFlight: 0 };
  private cwndUsageSeq: number | undefined;

  private readonly rtt: RttEstimator;
  private cc: CongestionControl;
  private timing = false; // RTT measurement in progress (without timestamps)
  private rttSeq = 0;
  private rttTime = 0;
  private dupAcks = 0;
  private inRecovery = false;
  private recover = 0;
  /** RFC 6675: what the peer has SACKed, and HighRxt (the highest byte retransmitted in this
   *  recovery). */
  /** Made when SACK blocks first arrive; until then reads see EMPTY_SCOREBOARD. */
  private sbLog: Scoreboard | undefined = undefined;
  private get sb(): Scoreboard {
    return this.sbLog ?? EMPTY_SCOREBOARD;
  }
  /** RFC 3168 6.1, made when ECN is first asked for or negotiated; until then reads see ECN_OFF
   *  (everything that writes it runs only once ECN is on). */
  private ecnState: EcnState | undefined = undefined;
  private get ecn(): EcnState {
    return this.ecnState ?? ECN_OFF;
  }
  private rtxHigh = 0;
  /** RFC 9937 (PRR, obsoletes RFC 6937) state of this recovery: data delivered to the peer and
   *  data sent since it began (prr_delivered, prr_out), RecoverFS, prr_out when the ACK being
   *  processed arrived, and the window PRR allows (pipe + sndcnt after the last ACK). */
  private prrDelivered = 0;
  private prrOut = 0;
  private recoverFs = 0;
  private prrOutAtAck = 0;
  private prrMaxAtAck = 0;
  private prrCwnd = 0;
  /** Duplicate ACKs that signal loss (RFC 5681: 3); raised when reordering fooled us. */
  dupThresh = 3;
  /** RFC 3522 Eifel: TSval of the fast retransmission and the window before it. */
  private undoTsVal: number | undefined;
  private undoCwnd = 0;
  private undoSsthresh = 0;
  /** The last fast recovery was undone (Eifel) before SND.UNA reached `recover`. */
  private undone = false;
  /** RFC 8985 RACK-TLP (config.rack, with SACK): the segment log, the retransmit-timer
   *  deadlines that are a reordering timer or a probe timeout, and the probe in flight. */
  private rackLog: Rack | undefined;
  /** Made on first use: most connections never turn RACK on. */
  private get rack(): Rack {
    return (this.rackLog ??= new Rack());
  }
  private reoDeadline = -1;
  private tlpDeadline = -1;
  private tlpEnd: number | undefined;
  private tlpRtx = false;
  /** Deadline of the timer being fired (onTimer). */
  private firedAt = 0;
  /** Consecutive retransmissions of the same data (RFC 9293 3.8.3 R1/R2), or of the SYN. */
  private retransmits = 0;
  private totalRetransmits = 0;
  private rtxCause: 'rto' | 'syn' | 'fin' = 'rto';
  private persistBackoff = 0;
  private keepAliveProbes = 0;
  private softError: TcpErrorCode | undefined;

  // Delayed ACK (RFC 9293 3.8.6.3, RFC 1122 4.2.3.2).
  private ackNow = false;
  private bytesSinceAck = 0;
  private segsSinceAck = 0;
  private dsack: [number, number] | undefined;
  /** Quick ACKs left (config.quickAcks); -1 until the first data arrives. */
  private quickAcks = -1;
  private lastDataRcvdAt = -Infinity;

  /** RFC 5961 7 and Linux tcp_invalid_ratelimit: made on the first challenge ACK or ACK to an
   *  unacceptable segment (most connections never send one). */
  private ackLimits: AckLimits | undefined = undefined;

  /** Each timer's deadline (Infinity: not armed). A plain record, not a Map: a third of the size.
   *  NO_DEADLINES (shared, never written) while no timer is armed: setTimer makes a record of
   *  the connection's own, nextDeadline() gives it up when every timer is off again. */
  private deadlines: Record<TimerName, number> = NO_DEADLINES;

  constructor(init: ConnectionInit) {
    // Buffers scale with the MSS unless the user sized them (ConnectionConfig.bufSegments).
    this.config = scaledBuffers(init.config);
    this.corked = this.config.cork === true;
    this.local = init.local;
    this.remote = init.remote;
    this.sink = init.sink;
    this.initialIss = init.iss >>> 0;
    this.iss = this.initialIss;
    this.sndUna = this.sndNxt = this.sndMax = this.iss;
    this.tsOffset = (init.tsOffset ?? 0) >>> 0;
    this.recover = this.iss;
    const c = this.config;
    let shift = 0;
    if (c.windowScaling) while (shift < 14 && 65535 * 2 ** shift < c.rcvBuf) shift++;
    this.ourShift = shift;
    this.mtuMss = c.mss;
    this.peerMss = c.family === 6 ? 1220 : 536;
    this.sndMss = Math.min(this.peerMss, this.mtuMss);
    this.rcvMss = Math.min(c.mss, this.sndMss);
    this.sndBuf = new SendBuffer(c.sndBuf);
    this.rcvBuf = new RecvBuffer(c.rcvBuf, 32, 1 << shift);
    this.rtt = new RttEstimator(c.rtoMin, c.rtoMax, c.rtoInitial, c.rtoSlop ?? 0);
    this.cc = makeCongestionControl(c.congestion, this.sndMss, c.initialWindow, ccOptions(c));
    void init.now;
  }

  // ---------------------------------------------------------------- accessors

  get readableBytes(): number {
    return this.rcvBuf.readable;
  }

  get writableBytes(): number {
    if (this.finQueued || this.state === 'CLOSED') return 0;
    return this.sndBuf.free;
  }

  get eof(): boolean {
    return this.finReceived;
  }

  status(): ConnStatus {
    return {
      state: this.state,
      local: this.local,
      remote: this.remote,
      sndUna: this.sndUna,
      sndNxt: this.sndMax,
      sndWnd: this.sndWnd,
      rcvNxt: this.rcvNxt,
      rcvWnd: this.rcvWnd(),
      sendQueue: this.sndBuf.length,
      recvQueue: this.rcvBuf.readable,
      srtt: this.rtt.srtt,
      rto: this.rtt.rto,
      cwnd: this.cc.cwnd,
      retransmits: this.totalRetransmits,
      tsRecent: this.tsOk ? this.tsRecent : undefined,
      ssthresh: this.cc.ssthresh,
      sndMss: this.sndMss,
      rcvMss: this.rcvMss,
      lastDataRecv: this.lastDataRcvdAt === -Infinity ? undefined : this.lastDataRcvdAt,
      caState: this.inRecovery
        ? 'recovery'
        : lt(this.sndUna, this.recover) // RFC 6582 4: `recover` is SND.MAX at the last timeout
          ? 'loss'
          : this.ecn.cwrEnd !== undefined && lt(this.sndUna, this.ecn.cwrEnd)
            ? 'cwr' // RFC 3168 6.1.2: the window reduced for an ECE is not yet acknowledged
            : this.dupAcks > 0 || !this.sb.empty
            ? 'disorder'
            : 'open',
      ecn: this.ecn.ok,
      ecnSeen: this.ecn.seen,
      timestamps: this.tsOk,
      windowScaling: this.wsOk,
      sack: this.sackOk,
    };
  }

  get ssthresh(): number {
    return this.cc.ssthresh;
  }

  reconfigure(patch: Partial<ConnectionConfig>): void {
    if (!this.ownConfig) {
      this.config = { ...this.config };
      this.ownConfig = true;
    }
    Object.assign(this.config, patch);
  }

  // ---------------------------------------------------------------- small helpers

  private ev(e: ConnEvent): void {
    this.sink.event(e);
  }

  private setState(to: TcpState, cause: string): void {
    const from = this.state;
    if (from === to) return;
    this.state = to;
    this.ev({ type: 'state', from, to, cause });
    // The open attempt is over (RFC 9293 3.8.3): its time limit no longer applies.
    if (this.deadlines['open-timeout'] !== Infinity && to !== 'SYN-SENT' && to !== 'SYN-RECEIVED') this.cancelTimer('open-timeout');
  }

  /** RFC 9293 3.8.3: the application's limit on the open attempt (openTimeout). */
  private armOpenTimeout(now: number): void {
    const t = this.config.openTimeout ?? 0;
    if (t > 0) this.setTimer('open-timeout', now + t);
  }

  /** Window scaling, timestamps and SACK may be offered and negotiated (not TCP_NOOPT, not
   *  dropped by synRtxDropOptions). */
  private synExtensions(): boolean {
    return !this.config.noOptions && !this.synExtDropped;
  }

  private drop(reason: string): void {
    this.ev({ type: 'drop', reason });
  }

  private setTimer(t: TimerName, deadline: number): void {
    if (this.deadlines[t] === deadline) return;
    if (this.deadlines === NO_DEADLINES) this.deadlines = noDeadlines();
    this.deadlines[t] = deadline;
    this.ev({ type: 'timer', timer: t, action: 'set', deadline });
  }

  private cancelTimer(t: TimerName): void {
    if (this.deadlines[t] === Infinity) return;
    this.deadlines[t] = Infinity;
    this.ev({ type: 'timer', timer: t, action: 'cancel' });
  }

  private armed(t: TimerName): boolean {
    return this.deadlines[t] !== Infinity;
  }

  private cancelAllTimers(): void {
    for (const t of TIMER_NAMES) this.cancelTimer(t);
  }

  nextDeadline(): number {
    let d = Infinity;
    for (const t of TIMER_NAMES) if (this.deadlines[t] < d) d = this.deadlines[t];
    // Nothing armed: give the record back (an idle connection holds none).
    if (d === Infinity) this.deadlines = NO_DEADLINES;
    return d;
  }

  private tsNow(now: number): number {
    return (Math.floor(now) + this.tsOffset) >>> 0;
  }

  /** Bytes we may still receive: RCV.WND as last advertised. */
  private rcvWnd(): number {
    return Math.max(0, sub(this.rcvAdvEdge, this.rcvNxt));
  }

  /** The window segments are checked against (RFC 9293 3.10.7.4 first). Deliberate choice (as
   *  FreeBSD's tcp_input): for an active open, the free buffer space, never less than what we
   *  advertised: the 16-bit field (unscaled, or SWS avoidance holding the edge) may offer less
   *  than the buffer holds, and a segment that fits is accepted rather than dropped. A passive
   *  open keeps to the largest window the field can carry (FreeBSD's syncache path does too). */
  private acceptWnd(): number {
    const space = this.passive ? Math.min(this.rcvBuf.space, 65535 * 2 ** this.rcvShift) : this.rcvBuf.space;
    return Math.max(this.rcvWnd(), space);
  }

  /** RFC 9293 3.8.6.2.1 receiver SWS avoidance: the window we would offer now. Keeps the right
   *  edge where it is until it can move by at least min(RCV.BUFF/2, Eff.snd.MSS). */
  private candidateWindow(): number {
    const cur = this.rcvWnd();
    const space = Math.min(this.rcvBuf.space, 65535 * 2 ** this.rcvShift);
    if (space - cur >= Math.min(this.config.rcvBuf / 2, this.rcvMss)) return space;
    return cur;
  }

  /** The 16-bit window field for an outgoing segment; records the advertised right edge. */
  private windowField(syn: boolean): number {
    if (syn) {
      // RFC 7323 2.2: the window in a SYN is never scaled.
      const w = Math.min(this.rcvBuf.space, 65535);
      this.rcvAdvEdge = add(this.rcvNxt, w);
      return w;
    }
    const wnd = this.candidateWindow();
    const s = this.rcvShift;
    // Round up like Linux so the right edge never moves left (the ring has 2^s slack).
    let field = Math.ceil(wnd / 2 ** s);
    if (field > 65535) field = 65535;
    const edge = add(this.rcvNxt, field * 2 ** s);
    if (gt(edge, this.rcvAdvEdge)) this.rcvAdvEdge = edge;
    return field;
  }

  private synOptions(isSynAck: boolean, now: number): SegmentOptions {
    // Linux order in the SYN: MSS, SACK-permitted, timestamps, NOP, window scale. The wire layer
    // emits options in the order of these keys.
    const c = this.config;
    if (c.noOptions) return {}; // TCP_NOOPT: not even MSS (RFC 9293 3.7.1 lets the peer assume 536/1220)
    const o: SegmentOptions = { mss: this.mtuMss };
    if (!this.synExtensions()) return o;
    if (c.sack && (!isSynAck || this.sackOk)) o.sackPermitted = true;
    if (c.timestamps && (!isSynAck || this.tsOk)) o.timestamp = { val: this.tsNow(now), ecr: isSynAck ? this.tsRecent : 0 };
    if (c.windowScaling && (!isSynAck || this.wsOk)) o.wscale = this.ourShift;
    return o;
  }

  /** Builds and sends one segment; every segment carrying ACK clears the pending ACK. */
  private output(flags: number, seq: number, payload: Uint8Array, now: number): void {
    const syn = (flags & SYN) !== 0;
    let options: SegmentOptions;
    if (syn) {
      options = this.synOptions((flags & ACK) !== 0, now);
    } else {
      options = {};
      // RFC 7323 3.2: once negotiated, TSopt goes on every segment (RST included).
      if (this.tsOk) options.timestamp = { val: this.tsNow(now), ecr: this.tsRecent };
      if (this.sackOk && (flags & ACK) !== 0 && (flags & RST) === 0) {
        const blocks = this.sackBlocks();
        if (blocks.length > 0) options.sack = blocks;
      }
    }
    let ecn: number | undefined;
    if (syn) flags = this.ecnSynFlags(flags);
    else if (this.ecn.ok && !(flags & RST)) {
      const ect = this.ecnNewData(seq, payload.length);
      // RFC 3168 6.1.3: ECE on every ACK while the echo is latched; 6.1.2: CWR on the first
      // new data segment after a reduction.
      if (this.ecn.echo && flags & ACK) flags |= ECE;
      if (ect && this.ecn.cwrPending) {
        flags |= CWR;
        this.ecn.cwrPending = false;
      }
      // 6.1.4-6.1.6: only new data is ECN-capable; pure ACKs, retransmissions and window
      // probes are Not-ECT.
      ecn = ect ? ECN_ECT0 : ECN_NOT_ECT;
    }
    const ackOn = (flags & ACK) !== 0;
    const seg: Segment = {
      srcPort: this.local.port,
      dstPort: this.remote.port,
      seq: seq >>> 0,
      ack: ackOn ? this.rcvNxt : 0,
      flags,
      window: flags & RST ? 0 : this.windowField(syn),
      urgent: 0,
      options,
      payload,
    };
    if (ecn !== undefined) seg.ecn = ecn;
    if (payload.length > 0) {
      this.lastDataSentAt = now;
      if (this.rackOn()) this.rack.sent(seg.seq, add(seg.seq, payload.length), now);
    }
    // Linux pingpong: data sent soon after data arrived is an interactive exchange, where the
    // ACK rides on the reply; quick-ACK mode ends.
    if (payload.length > 0 && now - this.lastDataRcvdAt < this.config.delayedAck) this.quickAcks = 0;
    if (ackOn) {
      if (this.quickAcks > 0) this.quickAcks--;
      this.ackNow = false;
      this.bytesSinceAck = 0;
      this.segsSinceAck = 0;
      this.lastAckSent = this.rcvNxt;
      this.dsack = undefined;
      this.cancelTimer('delayed-ack');
    }
    this.sink.output(seg);
  }

  /** RFC 2018 4 / RFC 2883: D-SACK first, then the most recently changed ranges, as many as fit
   *  in 40 bytes of options (3 blocks beside TSopt, 4 without). */
  private sackBlocks(): Array<[number, number]> {
    const limit = this.tsOk ? 3 : 4;
    const out: Array<[number, number]> = [];
    if (this.dsack) out.push(this.dsack);
    for (const r of this.rcvBuf.sackRanges()) {
      if (out.length >= limit) break;
      out.push([r.start, r.end]);
    }
    return out;
  }

  private sendAck(now: number): void {
    // <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>
    this.output(ACK, this.sndMax, EMPTY, now);
  }

  /** RFC 9293 3.10.7.1 / 3.5.2: a reset answering `seg`, which has no TCB to belong to. */
  private static resetFor(seg: Segment): Segment {
    if (seg.flags & ACK) {
      // <SEQ=SEG.ACK><CTL=RST>
      return { srcPort: seg.dstPort, dstPort: seg.srcPort, seq: seg.ack, ack: 0, flags: RST, window: 0, urgent: 0, options: {}, payload: EMPTY };
    }
    // <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>
    const len = seg.payload.length + (seg.flags & SYN ? 1 : 0) + (seg.flags & FIN ? 1 : 0);
    return { srcPort: seg.dstPort, dstPort: seg.srcPort, seq: 0, ack: add(seg.seq, len), flags: RST | ACK, window: 0, urgent: 0, options: {}, payload: EMPTY };
  }

  private sendReset(seg: Segment): void {
    this.sink.output(Connection.resetFor(seg));
  }

  /** RFC 5961 7: challenge ACKs, at most config.challengeAckLimit per second. */
  private challengeAck(now: number): void {
    const l = (this.ackLimits ??= new AckLimits());
    if (now - l.chalWindowStart >= 1000) {
      l.chalWindowStart = now;
      l.chalCount = 0;
    }
    if (l.chalCount >= this.config.challengeAckLimit) {
      this.ev({ type: 'challenge-ack', suppressed: true });
      return;
    }
    l.chalCount++;
    this.sendAck(now);
    this.ev({ type: 'challenge-ack', suppressed: false });
  }

  /** RFC 9293 3.10.7.4 first: an unacceptable segment is answered with an ACK. Like Linux
   *  (tcp_oow_rate_limited, tcp_invalid_ratelimit = 500 ms per connection; RFC 5961 10) those
   *  ACKs are rate limited, so a blind sender that knows the 4-tuple does not get a 1:1
   *  reflector; the first in each interval still goes out. A plausible duplicate from the peer
   *  (at most two receive buffers behind RCV.NXT: a retransmission because our ACK was lost) is
   *  always answered, so a peer never waits on the limit to learn what we have. */
  private ackInvalid(seg: Segment, now: number): void {
    const interval = this.config.invalidRateLimit ?? 500;
    const behind = sub(this.rcvNxt, seg.seq);
    if (interval > 0 && !(behind > 0 && behind <= 2 * Math.max(this.config.rcvBuf, 65535))) {
      const l = (this.ackLimits ??= new AckLimits());
      if (now - l.invalidAckAt < interval) return;
      l.invalidAckAt = now;
    }
    this.ackNow = true;
  }

  /** Deletes the TCB: optional error event, state CLOSED, 'closed'. */
  private toClosed(cause: string, err?: { code: TcpErrorCode; message: string }, flush = true): void {
    if (err) this.ev({ type: 'error', code: err.code, message: err.message });
    this.cancelAllTimers();
    if (flush) {
      this.sndBuf.clear();
      this.rcvBuf.clear();
    }
    this.releaseBuffers();
    this.setState('CLOSED', cause);
    this.ev({ type: 'closed' });
  }

  private enterTimeWait(now: number, cause: string): void {
    this.setState('TIME-WAIT', cause);
    for (const t of TIMER_NAMES) if (t !== 'time-wait') this.cancelTimer(t);
    // RFC 9293 3.10.7.4 eighth: start (or restart) the 2 MSL time-wait timeout.
    this.setTimer('time-wait', now + 2 * this.config.msl);
    this.releaseBuffers();
  }

  /** TIME-WAIT and CLOSED move no more data: the rings go back (the receive ring once the user
   *  has read what it holds; see receive()). What TIME-WAIT processing needs (sequence
   *  variables, timestamps, timers) stays. */
  private releaseBuffers(): void {
    this.sndBuf.release();
    this.rcvBuf.release();
  }

  // ---------------------------------------------------------------- user calls (3.10.1-3.10.6)

  /** RFC 9293 3.10.1 OPEN, active. */
  openActive(now: number): void {
    if (this.state !== 'CLOSED' && this.state !== 'LISTEN') throw new TcpError('EISCONN', 'connection already exists');
    if (!this.remote.addr || !this.remote.port) throw new TcpError('EINVAL', 'foreign socket unspecified');
    this.passive = false;
    this.sendSyn(now, this.state === 'LISTEN' ? 'user SEND' : 'user OPEN');
  }

  private sendSyn(now: number, cause: string): void {
    // Select an ISS, send a SYN, SND.UNA = ISS, SND.NXT = ISS+1, enter SYN-SENT.
    this.sndUna = this.iss;
    this.sndNxt = this.sndMax = add(this.iss, 1);
    this.setState('SYN-SENT', cause);
    this.output(SYN, this.iss, EMPTY, now);
    this.retransmits = 0;
    this.startRttTiming(this.iss, now);
    this.setTimer('retransmit', now + this.rtt.rto);
    this.armOpenTimeout(now);
  }

  /** RFC 9293 3.10.1 OPEN, passive. */
  openPassive(now: number): void {
    void now;
    if (this.state !== 'CLOSED') throw new TcpError('EISCONN', 'connection already exists');
    this.passive = true;
    this.setState('LISTEN', 'user LISTEN');
  }

  /** RFC 9293 3.10.2 SEND. */
  send(data: Uint8Array, now: number, more = false): number {
    switch (this.state) {
      case 'CLOSED':
        throw new TcpError('ENOTCONN', 'connection does not exist');
      case 'LISTEN':
        // A SEND in LISTEN with the foreign socket known turns the open active (Figure 5).
        if (!this.remote.addr || !this.remote.port) throw new TcpError('EINVAL', 'foreign socket unspecified');
        this.passive = false;
        this.sendSyn(now, 'user SEND');
        return this.queue(data, more);
      case 'SYN-SENT':
      case 'SYN-RECEIVED':
        // Queue for transmission after entering ESTABLISHED.
        if (this.finQueued) throw new TcpError('EPIPE', 'connection closing');
        return this.queue(data, more);
      case 'ESTABLISHED':
      case 'CLOSE-WAIT': {
        if (this.finQueued) throw new TcpError('EPIPE', 'connection closing');
        const n = this.queue(data, more);
        this.sendMore = more;
        this.flush(now);
        this.sendMore = false;
        this.armTimers(now);
        return n;
      }
      default:
        throw new TcpError('EPIPE', 'connection closing');
    }
  }

  private queue(data: Uint8Array, more: boolean): number {
    const n = this.sndBuf.write(data);
    if (n < data.length) this.wasFull = true;
    if (n > 0) {
      this.moreQueued = more;
      this.pushQueued = false; // Linux skb_entail clears TCP_NAGLE_PUSH
    }
    return n;
  }

  /** Linux TCP_CORK (tcp(7)): while on, only full-sized segments go; a partial one waits for
   *  more data, for the cork to come off, or for the cork ceiling. Off: what is queued goes as
   *  Nagle allows (RFC 9293 3.7.4; Linux tcp_push_pending_frames). */
  cork(on: boolean, now: number): void {
    this.corked = on;
    if (on) return;
    this.flush(now);
    this.armTimers(now);
  }

  /** Linux TCP_NAGLE_PUSH (setting TCP_NODELAY): what is queued goes now, corked or not; data
   *  queued later is corked again. */
  push(now: number): void {
    this.pushQueued = true;
    this.flush(now);
    this.armTimers(now);
  }

  /** A partial segment is held: TCP_CORK, or MSG_MORE in the send() that is flushing. */
  private corking(): boolean {
    return !this.pushQueued && (this.corked || this.sendMore);
  }

  /** RFC 9293 3.10.3 RECEIVE. Returns null when nothing is buffered (EOF shows in `eof`). */
  receive(max: number, now: number): Uint8Array | null {
    if (this.state === 'CLOSED' && this.rcvBuf.readable === 0) throw new TcpError('ENOTCONN', 'connection does not exist');
    const before = this.rcvWnd();
    const out = this.rcvBuf.read(max);
    if (out && (this.state === 'TIME-WAIT' || this.state === 'CLOSED')) this.rcvBuf.release();
    if (out && isSynchronized(this.state) && !this.finReceived) {
      // Send a window update when the window at least doubles (Linux tcp_cleanup_rbuf) or opens
      // by two segments and a quarter of the buffer (FreeBSD tcp_output). candidateWindow()
      // already holds receiver SWS avoidance.
      const cand = this.candidateWindow();
      const inc = cand - before;
      if (inc > 0 && (cand >= 2 * before || (inc >= 2 * this.rcvMss && inc >= this.config.rcvBuf / 4))) this.sendAck(now);
    }
    return out;
  }

  /** Like receive() but leaves the bytes queued (BSD MSG_PEEK); `offset` skips bytes first. */
  peek(max: number, offset = 0): Uint8Array | null {
    if (this.state === 'CLOSED' && this.rcvBuf.readable === 0) throw new TcpError('ENOTCONN', 'connection does not exist');
    return this.rcvBuf.peek(max, offset);
  }

  /** RFC 9293 3.10.4 CLOSE. */
  close(now: number): void {
    switch (this.state) {
      case 'CLOSED':
        throw new TcpError('ENOTCONN', 'connection does not exist');
      case 'LISTEN':
      case 'SYN-SENT':
        // Outstanding RECEIVEs/SENDs get "closing"; delete the TCB.
        this.toClosed('user CLOSE');
        return;
      case 'SYN-RECEIVED':
        this.queueFin();
        if (this.sndBuf.length === 0) {
          // "If no SENDs have been issued and there is no pending data to send, then form a FIN
          // segment and send it, and enter FIN-WAIT-1 state."
          this.setState('FIN-WAIT-1', 'user CLOSE');
          this.output(FIN | ACK, this.finSeq, EMPTY, now);
          this.sndNxt = this.sndMax = add(this.finSeq, 1);
        }
        // Otherwise the FIN waits until ESTABLISHED (then -> FIN-WAIT-1).
        return;
      case 'ESTABLISHED':
        this.queueFin();
        this.setState('FIN-WAIT-1', 'user CLOSE');
        this.flush(now);
        this.armTimers(now);
        return;
      case 'CLOSE-WAIT':
        this.queueFin();
        this.setState('LAST-ACK', 'user CLOSE');
        this.flush(now);
        this.armTimers(now);
        return;
      case 'FIN-WAIT-1':
      case 'FIN-WAIT-2':
        // "Strictly speaking, this is an error ... An 'ok' response would be acceptable, too."
        return;
      default:
        throw new TcpError('EPIPE', 'connection closing');
    }
  }

  private queueFin(): void {
    if (this.finQueued) return;
    this.finQueued = true;
    this.finSeq = add(this.sndUna, this.sndBuf.length + (this.state === 'SYN-RECEIVED' ? 1 : 0));
  }

  /** RFC 9293 3.10.5 ABORT. */
  abort(now: number): void {
    switch (this.state) {
      case 'CLOSED':
        throw new TcpError('ENOTCONN', 'connection does not exist');
      case 'SYN-RECEIVED':
      case 'ESTABLISHED':
      case 'FIN-WAIT-1':
      case 'FIN-WAIT-2':
      case 'CLOSE-WAIT':
        // <SEQ=SND.NXT><CTL=RST>
        this.output(RST, this.sndMax, EMPTY, now);
        break;
      default:
        break;
    }
    this.toClosed('user ABORT');
  }

  // ---------------------------------------------------------------- ICMP and path MTU

  icmpError(code: TcpErrorCode, hard: boolean, now: number): void {
    void now;
    // RFC 1122 4.2.3.9: hard errors abort a connection that is still opening (which errors
    // count as hard is the host's policy: HostStackOptions.icmpAbortsOpen, RFC 5461); otherwise
    // the error is remembered and reported if the connection later times out.
    if (hard && (this.state === 'SYN-SENT' || this.state === 'SYN-RECEIVED')) {
      if (this.state === 'SYN-RECEIVED' && this.passive) {
        this.resetToListen('icmp error');
        return;
      }
      this.toClosed('icmp error', { code, message: icmpMessage(code) });
      return;
    }
    this.softError = code;
  }

  pathMtu(mtu: number, now: number): void {
    const ipHdr = this.config.family === 6 ? 40 : 20;
    const mss = Math.max(64, mtu - ipHdr - 20);
    if (mss >= this.mtuMss) return;
    this.mtuMss = mss;
    this.updateSndMss();
    // RFC 1191 6.3: retransmit what was sent in segments now too big, without a cwnd cut.
    if (isSynchronized(this.state) && gt(this.sndMax, this.sndUna)) {
      this.sndNxt = this.sndUna;
      this.timing = false;
      this.rtxCause = 'rto';
      this.flush(now);
      this.armTimers(now);
    }
  }

  private updateSndMss(): void {
    this.sndMss = Math.max(16, Math.min(this.peerMss, this.mtuMss) - (this.tsOk ? TS_OVERHEAD : 0));
    this.cc.setMss(this.sndMss);
  }

  /** Linux tcp_current_mss: Eff.snd.MSS less the SACK option the next segment carries (NOP,NOP,
   *  kind, len, 8 bytes a block), so a full-sized segment never exceeds the path MTU (RFC 9293
   *  3.7.1: the MSS counts data only; RFC 6691: options come out of it). */
  private curMss(): number {
    if (!this.sackOk) return this.sndMss;
    const n = Math.min(this.tsOk ? 3 : 4, (this.dsack ? 1 : 0) + this.rcvBuf.ooo.length);
    return n === 0 ? this.sndMss : Math.max(16, this.sndMss - (4 + 8 * n));
  }

  // ---------------------------------------------------------------- SEGMENT ARRIVES (3.10.7)

  segmentArrives(seg: Segment, now: number): void {
    switch (this.state) {
      case 'CLOSED':
        this.arrivesClosed(seg);
        return;
      case 'LISTEN':
        this.arrivesListen(seg, now);
        break;
      case 'SYN-SENT':
        this.arrivesSynSent(seg, now);
        break;
      default:
        this.arrivesOtherwise(seg, now);
        break;
    }
    this.afterInput(now);
  }

  private afterInput(now: number): void {
    if (!isSynchronized(this.state) && this.state !== 'SYN-RECEIVED') return;
    if (this.state !== 'TIME-WAIT' && this.state !== 'SYN-RECEIVED') this.flush(now);
    if (this.ackNow) this.sendAck(now);
    this.armTimers(now);
  }

  /** RFC 9293 3.10.7.1: CLOSED. */
  private arrivesClosed(seg: Segment): void {
    // All data in the incoming segment is discarded; an incoming RST is discarded; any other
    // segment gets a reset (3.5.2 case 1).
    if (!(seg.flags & RST)) this.sendReset(seg);
    this.drop('closed');
  }

  /** RFC 9293 3.10.7.2: LISTEN. */
  private arrivesListen(seg: Segment, now: number): void {
    // First, check for a RST: ignore it.
    if (seg.flags & RST) return this.drop('rst in LISTEN');
    // Second, an ACK is bad while listening: <SEQ=SEG.ACK><CTL=RST>.
    if (seg.flags & ACK) {
      this.sendReset(seg);
      return this.drop('ack in LISTEN');
    }
    // Third, check for a SYN.
    if (!(seg.flags & SYN)) return this.drop('no SYN in LISTEN');
    this.rcvNxt = add(seg.seq, 1);
    this.irs = seg.seq;
    this.negotiate(seg, now);
    // SND.WND from the SYN (never scaled, RFC 7323 2.2).
    this.sndWnd = seg.window;
    this.maxSndWnd = this.sndWnd;
    this.sndWl1 = seg.seq;
    this.sndWl2 = 0;
    // Text in a SYN is not kept (no TCP Fast Open); the peer retransmits it after the
    // handshake. Linux does the same.
    this.iss = this.initialIss;
    this.sndUna = this.iss;
    this.sndNxt = this.sndMax = add(this.iss, 1);
    this.setState('SYN-RECEIVED', 'rcv SYN');
    // <SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK>
    this.output(SYN | ACK, this.iss, EMPTY, now);
    this.retransmits = 0;
    this.startRttTiming(this.iss, now);
    this.setTimer('retransmit', now + this.rtt.rto);
    this.armOpenTimeout(now);
  }

  /** Options in a SYN (RFC 9293 3.7.1 MSS, RFC 7323 WS/TS, RFC 2018 SACK-permitted). */
  private negotiate(seg: Segment, now: number): void {
    const o = seg.options;
    const c = this.config;
    this.peerMss = o.mss ?? (c.family === 6 ? 1220 : 536);
    const ext = this.synExtensions();
    this.wsOk = ext && c.windowScaling && o.wscale !== undefined;
    // RFC 7323 2.3: a shift above 14 is used as 14.
    this.sndShift = this.wsOk ? Math.min(14, o.wscale!) : 0;
    this.rcvShift = this.wsOk ? this.ourShift : 0;
    this.tsOk = ext && c.timestamps && o.timestamp !== undefined;
    if (this.tsOk) {
      this.tsRecent = o.timestamp!.val;
      this.tsRecentAge = now;
    }
    this.sackOk = ext && c.sack && o.sackPermitted === true;
    this.ecnNegotiate(seg);
    this.updateSndMss();
    this.rcvMss = Math.min(c.mss, this.sndMss);
    // Deliberate choice (as FreeBSD's tcp_mss on an active open): the receive buffer is rounded
    // up to a multiple of the segment size, so whole segments fill it (65536 -> 65700 at 1460).
    if (!this.passive) this.rcvBuf.growCapacity(Math.ceil(c.rcvBuf / this.sndMss) * this.sndMss);
    // RFC 5681 3.1 / RFC 6928: the initial window counts segments of the negotiated size.
    this.cc = makeCongestionControl(c.congestion, this.sndMss, c.initialWindow, ccOptions(c));
    // The window our SYN (or SYN,ACK) offered, now anchored at RCV.NXT.
    this.rcvAdvEdge = add(this.rcvNxt, Math.min(this.rcvBuf.space, 65535));
  }

  /** RFC 9293 3.10.7.3: SYN-SENT. */
  private arrivesSynSent(seg: Segment, now: number): void {
    let ackOk = false;
    // First, check the ACK bit.
    if (seg.flags & ACK) {
      // If SEG.ACK =< ISS or SEG.ACK > SND.NXT, send a reset (unless RST) and drop.
      if (le(seg.ack, this.iss) || gt(seg.ack, this.sndMax)) {
        if (!(seg.flags & RST)) this.sendReset(seg);
        return this.drop('bad ack in SYN-SENT');
      }
      ackOk = le(this.sndUna, seg.ack) && le(seg.ack, this.sndMax);
    }
    // Second, check the RST bit.
    if (seg.flags & RST) {
      // RFC 5961 3.2: in SYN-SENT a RST is valid only if it acknowledges our SYN.
      if (!ackOk) return this.drop('rst without ack in SYN-SENT');
      this.toClosed('rcv RST', { code: 'ECONNREFUSED', message: 'connection refused' });
      return;
    }
    // Third (security) does not apply. Fourth, check the SYN bit.
    if (!(seg.flags & SYN)) return this.drop('no SYN in SYN-SENT');
    this.rcvNxt = add(seg.seq, 1);
    this.irs = seg.seq;
    this.negotiate(seg, now);
    if (seg.flags & ACK) {
      // Our SYN is acknowledged: SND.UNA = SEG.ACK.
      this.sndUna = seg.ack;
      if (lt(this.sndNxt, this.sndUna)) this.sndNxt = this.sndUna;
      this.rttSampleFromAck(seg, now);
      this.retransmits = 0;
      this.cancelTimer('retransmit');
      this.sndWnd = seg.window; // RFC 7323 2.2: not scaled in a SYN
      this.maxSndWnd = this.sndWnd;
      this.sndWl1 = seg.seq;
      this.sndWl2 = seg.ack;
      this.rtt.resetBackoff();
      this.setState('ESTABLISHED', 'rcv SYN,ACK');
      this.ackNow = true;
      // Other controls or text: continue at the sixth step.
      if (seg.payload.length > 0 || seg.flags & FIN) {
        this.processText(add(seg.seq, 1), seg.payload, (seg.flags & FIN) !== 0, seg, now);
      }
      return;
    }
    // Simultaneous open: enter SYN-RECEIVED and send <SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK>.
    this.sndWnd = seg.window;
    this.maxSndWnd = this.sndWnd;
    this.sndWl1 = seg.seq;
    this.sndWl2 = 0;
    this.setState('SYN-RECEIVED', 'rcv SYN');
    // "If there are other controls or text in the segment, queue them for processing after the
    // ESTABLISHED state has been reached": the text is kept (a FIN is not; it comes again).
    if (seg.payload.length > 0) this.synText = seg.payload.slice(0, Math.min(seg.payload.length, this.rcvBuf.space));
    this.timing = false;
    this.output(SYN | ACK, this.iss, EMPTY, now);
    this.setTimer('retransmit', now + this.rtt.rto);
  }

  /** RFC 9293 3.10.7.4: the synchronized states (and SYN-RECEIVED). */
  private arrivesOtherwise(seg: Segment, now: number): void {
    if (this.state === 'SYN-RECEIVED' && seg.flags & SYN && seg.flags & ACK && seg.seq === this.irs) {
      // Simultaneous open (Figure 8 line 5): the peer's SYN,ACK. Its SYN lies just before
      // RCV.NXT; trimmed off, the rest is an ACK of our SYN at RCV.NXT.
      seg = { ...seg, flags: seg.flags & ~SYN, seq: add(seg.seq, 1) };
      this.ackNow = true;
    }
    const rst = (seg.flags & RST) !== 0;
    const ts = seg.options.timestamp;

    // RFC 7323 5.3 PAWS, before the sequence check: an old timestamp means an old duplicate.
    // (RFC 7323 3.2 says a segment without TSopt SHOULD be dropped once TSopt is in use; like
    // Linux we accept it, it just takes no part in PAWS or RTTM.)
    if (this.tsOk && ts && !rst && lt(ts.val, this.tsRecent) && !this.disorderedAck(seg)) {
      if (now - this.tsRecentAge > PAWS_IDLE_MS) {
        this.tsRecent = ts.val; // R1: TS.Recent is too old to trust; take the new one
        this.tsRecentAge = now;
      } else {
        this.ackInvalid(seg, now);
        return this.drop('paws');
      }
    }

    // First, check the sequence number (the four acceptability cases).
    const segLen = seg.payload.length + (seg.flags & SYN ? 1 : 0) + (seg.flags & FIN ? 1 : 0);
    const wnd = this.acceptWnd();
    let acceptable: boolean;
    if (segLen === 0) {
      acceptable = wnd === 0 ? seg.seq === this.rcvNxt : inWindow(seg.seq, this.rcvNxt, wnd);
    } else {
      acceptable =
        wnd > 0 && (inWindow(seg.seq, this.rcvNxt, wnd) || inWindow(add(seg.seq, segLen - 1), this.rcvNxt, wnd));
    }
    // "If the RCV.WND is zero ... special allowance should be made to accept valid ACKs, URGs,
    // and RSTs": a segment at RCV.NXT has its text trimmed off and its ACK processed.
    if (!acceptable && wnd === 0 && seg.seq === this.rcvNxt && !rst) acceptable = true;
    if (!acceptable) {
      if (rst) return this.drop('rst out of window');
      if (this.state === 'SYN-RECEIVED' && seg.flags & SYN && !(seg.flags & ACK) && seg.seq === this.irs) {
        // A retransmitted SYN: our SYN,ACK was lost; send it again (Linux tcp_check_req).
        this.output(SYN | ACK, this.iss, EMPTY, now);
        return this.drop('duplicate SYN');
      }
      if (this.state === 'TIME-WAIT' && seg.flags & FIN) {
        // A retransmitted FIN: our last ACK was lost. ACK it and restart 2 MSL (3.10.7.4 eighth).
        this.sendAck(now);
        this.setTimer('time-wait', now + 2 * this.config.msl);
        return this.drop('retransmitted FIN');
      }
      // RFC 7323 4.3 (2): SEG.TSval >= TS.Recent and SEG.SEQ =< Last.ACK.sent: a duplicate we
      // answer also updates TS.Recent, so the echo times this retransmission and not the last
      // in-order segment (whose ACK was lost); otherwise lost ACKs inflate RTT samples by an RTO
      // each and the RTO runs away. Linux's tcp_replace_ts_recent does the same for duplicates.
      if (this.tsOk && ts && ge(ts.val, this.tsRecent) && le(seg.seq, this.lastAckSent)) {
        this.tsRecent = ts.val;
        this.tsRecentAge = now;
      }
      // RFC 2883: a duplicate of data already received is reported in a D-SACK block.
      if (this.sackOk && seg.payload.length > 0 && le(add(seg.seq, seg.payload.length), this.rcvNxt)) {
        this.dsack = [seg.seq, add(seg.seq, seg.payload.length)];
      }
      if (this.oldDuplicateAck(seg, segLen, now)) return;
      this.ackInvalid(seg, now);
      return this.drop('out of window');
    }

    // Second, check the RST bit.
    if (rst && this.state === 'TIME-WAIT' && this.config.rfc1337) {
      // RFC 1337 TW1: a RST must not cut TIME-WAIT short.
      return this.drop('rst in TIME-WAIT (RFC 1337)');
    }
    if (rst) {
      if (this.config.rfc5961 && seg.seq !== this.rcvNxt) {
        // RFC 5961 3.2: in the window but not exact: challenge ACK, drop.
        this.challengeAck(now);
        return this.drop('rst not exact');
      }
      this.onReset();
      return;
    }
    this.noteAlive(now);

    // Third, security/compartment: not implemented (no IP security options).

    // Fourth, check the SYN bit.
    if (seg.flags & SYN) {
      if (this.state === 'SYN-RECEIVED' && this.passive) {
        this.resetToListen('rcv SYN');
        return this.drop('syn in SYN-RECEIVED');
      }
      if (this.config.rfc5961) {
        // RFC 5961 4.2: any SYN in a synchronized state gets a challenge ACK.
        this.challengeAck(now);
        return this.drop('syn in synchronized state');
      }
      if (lt(seg.seq, this.rcvNxt)) {
        // RFC 793 speaks of a SYN "in the window"; this one lies before RCV.NXT on a segment
        // acceptable for its later part (a FIN or text): old, so trimmed off (3.10.7.4 first:
        // "only the new parts are processed"), and the duplicate part acknowledged.
        seg = { ...seg, flags: seg.flags & ~SYN, seq: add(seg.seq, 1) };
        this.ackNow = true;
      } else {
        // RFC 793: a SYN in the window is an error: reset, and the connection is reset. The form
        // is left open; like FreeBSD we send <SEQ=SND.NXT><ACK=RCV.NXT><CTL=RST,ACK>.
        this.output(RST | ACK, this.sndMax, EMPTY, now);
        this.toClosed('rcv SYN', { code: 'ECONNRESET', message: 'connection reset' });
        return;
      }
    }

    // Fifth, check the ACK field.
    if (!(seg.flags & ACK)) return this.drop('no ACK');
    // RFC 5961 5.2: acceptable only if (SND.UNA - MAX.SND.WND) =< SEG.ACK =< SND.NXT.
    if (this.config.rfc5961 && this.state !== 'SYN-RECEIVED' && (lt(seg.ack, sub(this.sndUna, this.maxSndWnd) >>> 0) || gt(seg.ack, this.sndMax))) {
      // The ACK sent back is a challenge ACK, under the same rate limit (RFC 5961 7; Linux).
      this.challengeAck(now);
      return this.drop('ack out of range');
    }
    if (this.state === 'SYN-RECEIVED' || this.sndUna === this.iss) {
      // Our SYN is not acknowledged yet (SYN-RECEIVED, or FIN-WAIT-1 after a CLOSE there).
      if (lt(this.sndUna, seg.ack) && le(seg.ack, this.sndMax)) {
        this.sndUna = add(this.iss, 1);
        this.retransmits = 0;
        this.rttSampleFromAck(seg, now);
        this.timing = false;
        this.cancelTimer('retransmit');
        this.sndWnd = seg.window * 2 ** this.sndShift;
        this.maxSndWnd = Math.max(this.maxSndWnd, this.sndWnd);
        this.sndWl1 = seg.seq;
        this.sndWl2 = seg.ack;
        this.rtt.resetBackoff();
        if (this.state === 'SYN-RECEIVED') {
          this.setState('ESTABLISHED', 'rcv ACK of SYN');
          if (this.finQueued) this.setState('FIN-WAIT-1', 'user CLOSE');
          if (this.synText) {
            const text = this.synText;
            this.synText = undefined;
            this.processText(add(this.irs, 1), text, false, seg, now);
          }
        }
      } else {
        this.sendReset(seg);
        return this.drop('bad ack in SYN-RECEIVED');
      }
    }
    if (!this.processAck(seg, now)) return;
    if (this.state === 'CLOSED') return;

    // Sixth, the URG bit: the urgent pointer is parsed by the wire layer and ignored here
    // (RFC 6093: urgent data is deprecated for new applications; the bytes arrive in line).

    // Seventh and eighth: segment text and FIN.
    this.processText(seg.seq, seg.payload, (seg.flags & FIN) !== 0, seg, now);
    if (this.state === 'FIN-WAIT-1' && this.ourFinAcked()) this.setState('FIN-WAIT-2', 'rcv ACK of FIN');
  }

  /** RFC 9293 Appendix A.2: the sequence check alone can keep an ACK field from ever being
   *  processed (draft-gont-tcpm-tcp-seq-validation: simultaneous close, lost ACKs with data
   *  flowing both ways), and "implementers should consider" a mitigation. Ours is BSD's
   *  (tcp_input's duplicate trimming): a segment lying wholly left of RCV.NXT has its text and
   *  FIN trimmed off as duplicates, and its ACK field still goes through the fifth check.
   *  Bounded like RFC 5961 5.2 bounds ACKs: only a segment at most one maximum receive window
   *  (two receive buffers) behind RCV.NXT, with ACK set and no SYN, in a synchronized state; it
   *  never counts as a duplicate ACK and its window is too old to take (SND.WL1 rule).
   *  Returns true when the segment was consumed (the connection may be gone); the caller
   *  otherwise answers it with an ACK as 3.10.7.4 first says. */
  private oldDuplicateAck(seg: Segment, segLen: number, now: number): boolean {
    if (!(seg.flags & ACK) || seg.flags & SYN || this.state === 'SYN-RECEIVED' || this.sndUna === this.iss) return false;
    const behind = sub(this.rcvNxt, seg.seq);
    if (behind <= 0 || behind > 2 * Math.max(this.config.rcvBuf, 65535)) return false;
    if (gt(add(seg.seq, segLen), this.rcvNxt)) return false;
    // RFC 5961 5.2 applies as to any ACK: out of range, a challenge ACK answers it.
    if (this.config.rfc5961 && (lt(seg.ack, sub(this.sndUna, this.maxSndWnd) >>> 0) || gt(seg.ack, this.sndMax))) {
      this.challengeAck(now);
      this.drop('ack out of range');
      return true;
    }
    if (!this.processAck({ ...seg, flags: seg.flags & ~FIN }, now, true)) return true;
    if (this.state === 'CLOSED') return true;
    this.ackInvalid(seg, now);
    this.drop('old duplicate');
    return true;
  }

  /** Linux tcp_disordered_ack: a pure ACK overtaken by a later one is not an old duplicate for
   *  PAWS; it changes nothing, so let it through instead of answering it. */
  private disorderedAck(seg: Segment): boolean {
    return (
      seg.payload.length === 0 &&
      (seg.flags & (SYN | FIN | RST)) === 0 &&
      (seg.flags & ACK) !== 0 &&
      seg.seq === this.rcvNxt &&
      le(seg.ack, this.sndUna)
    );
  }

  /** The peer reset the connection (RFC 9293 3.10.7.4 second step, by state). */
  private onReset(): void {
    switch (this.state) {
      case 'SYN-RECEIVED':
        if (this.passive) return this.resetToListen('rcv RST');
        this.toClosed('rcv RST', { code: 'ECONNREFUSED', message: 'connection refused' });
        return;
      case 'ESTABLISHED':
      case 'FIN-WAIT-1':
      case 'FIN-WAIT-2':
      case 'CLOSE-WAIT':
        this.toClosed('rcv RST', { code: 'ECONNRESET', message: 'connection reset' });
        return;
      case 'CLOSING':
      case 'LAST-ACK':
        // Enter CLOSED, delete the TCB. The RFC does not signal the user here; Linux and FreeBSD
        // both report ECONNRESET (SO_ERROR), and so do we: our FIN was never acknowledged.
        this.toClosed('rcv RST', { code: 'ECONNRESET', message: 'connection reset' }, false);
        return;
      default:
        // TIME-WAIT: enter CLOSED, delete the TCB.
        this.toClosed('rcv RST', undefined, false);
        return;
    }
  }

  /** A passive open in SYN-RECEIVED goes back to LISTEN (the host discards the forked child). */
  private resetToListen(cause: string): void {
    this.cancelAllTimers();
    this.sndBuf.clear();
    this.rcvBuf.clear();
    this.sndUna = this.sndNxt = this.sndMax = this.iss;
    this.rcvNxt = this.irs = 0;
    this.rcvAdvEdge = 0;
    this.finQueued = false;
    this.synText = undefined;
    this.setState('LISTEN', cause);
  }

  private ourFinAcked(): boolean {
    return this.finQueued && gt(this.sndUna, this.finSeq);
  }

  /** RFC 9293 3.10.7.4 fifth step for the synchronized states. Returns false when the
   *  segment was dropped or the connection is gone. */
  private processAck(seg: Segment, now: number, oldDuplicate = false): boolean {
    const ack = seg.ack;
    // RFC 9293 3.8.6.1: while the peer answers with a zero window, our retransmissions are
    // window probes, and the connection MUST NOT be closed: the peer is alive.
    if (seg.window === 0 && le(ack, this.sndMax)) this.retransmits = 0;
    if (gt(ack, this.sndMax)) {
      // Acks something not yet sent: send an ACK, drop the segment.
      this.ackNow = true;
      this.drop('ack of unsent data');
      return false;
    }
    const segWnd = seg.window * 2 ** this.sndShift;
    const windowChanged = segWnd !== this.sndWnd;
    const una0 = this.sndUna;
    const sacked0 = this.sb.empty ? 0 : this.sb.sackedBytes();
    const dupAcks0 = this.dupAcks;
    this.prrOutAtAck = this.prrOut;
    this.prrMaxAtAck = this.sndMax;
    let newlySacked = 0;
    if (this.sackOk && seg.options.sack) newlySacked = (this.sbLog ??= new Scoreboard()).update(seg.options.sack, seqMax(ack, this.sndUna), this.sndMax);

    let isDup = false;
    if (gt(ack, this.sndUna)) {
      this.onNewAck(seg, now);
    } else if (
      !oldDuplicate &&
      ack === this.sndUna &&
      gt(this.sndMax, this.sndUna) &&
      ((seg.payload.length === 0 && !(seg.flags & (SYN | FIN)) && !windowChanged && segWnd > 0) || newlySacked > 0)
    ) {
      // RFC 5681 2: a duplicate ACK (answers to zero-window probes are not loss signals);
      // RFC 6675 2: with SACK, an ACK that SACKs new data counts too.
      isDup = true;
      this.onDupAck(now);
    }
    if (this.ecn.ok && seg.flags & ECE) this.ecnEcho(sub(this.sndMax, una0), now);
    const lostRtx0 = this.rackLog?.lostRtxCount ?? 0;
    if (this.rackOn()) this.rackOnAck(seg, now);
    if (this.inRecovery && this.prrOn()) {
      // RFC 9937 4: DeliveredData = change in SND.UNA + change in SACKed bytes; without SACK,
      // one SMSS per duplicate ACK, and a cumulative ACK less what those already counted.
      const advanced = sub(this.sndUna, una0);
      let delivered: number;
      if (this.sackOk) delivered = advanced + (this.sb.empty ? 0 : this.sb.sackedBytes()) - sacked0;
      else delivered = isDup ? this.sndMss : Math.max(0, advanced - dupAcks0 * this.sndMss);
      // safeACK: SND.UNA advances and no further loss is indicated: no retransmission found
      // lost (Linux: FLAG_LOST_RETRANS), and with NewReno not a partial ACK (RFC 6582: the next
      // segment is lost).
      const safe = advanced > 0 && (this.rackLog?.lostRtxCount ?? 0) === lostRtx0 && this.sackOk;
      this.prrAck(delivered, safe);
    }
    if (this.inRecovery && this.sackOk) this.sackRecoverySend(now);

    // RFC 9293 3.10.7.4: if SND.UNA =< SEG.ACK =< SND.NXT, update the send window when the
    // segment is newer than the last update (SND.WL1/SND.WL2 rule).
    if (ge(ack, this.sndUna) && (lt(this.sndWl1, seg.seq) || (this.sndWl1 === seg.seq && le(this.sndWl2, ack)))) {
      const opened = this.sndWnd === 0 && segWnd > 0;
      this.sndWnd = segWnd;
      this.sndWl1 = seg.seq;
      this.sndWl2 = ack;
      if (segWnd > this.maxSndWnd) this.maxSndWnd = segWnd;
      if (opened) {
        this.persistBackoff = 0;
        this.cancelTimer('persist');
      }
    }

    switch (this.state) {
      case 'FIN-WAIT-1':
        // If our FIN is now acknowledged, enter FIN-WAIT-2; when this same segment carries the
        // peer's FIN the eighth step takes us straight to TIME-WAIT instead.
        if (this.ourFinAcked() && !(seg.flags & FIN)) this.setState('FIN-WAIT-2', 'rcv ACK of FIN');
        break;
      case 'CLOSING':
        if (this.ourFinAcked()) this.enterTimeWait(now, 'rcv ACK of FIN');
        break;
      case 'LAST-ACK':
        if (this.ourFinAcked()) {
          this.toClosed('rcv ACK of FIN', undefined, false);
          return false;
        }
        break;
      default:
        break;
    }
    return true;
  }

  private onNewAck(seg: Segment, now: number): void {
    const ack = seg.ack;
    const acked = sub(ack, this.sndUna);
    const dataAcked = Math.min(acked, this.sndBuf.length);
    this.sndBuf.consume(dataAcked);
    this.sndUna = ack;
    this.sbLog?.trim(ack);
    if (lt(this.sndNxt, this.sndUna)) this.sndNxt = this.sndUna;
    this.rttSampleFromAck(seg, now);
    this.retransmits = 0;
    this.keepAliveProbes = 0;
    this.softError = undefined;
    const flight = sub(this.sndMax, this.sndUna);
    if (this.inRecovery && this.undoTsVal !== undefined) {
      // RFC 3522 Eifel detection: the first ACK of new data after a fast retransmit echoes a
      // timestamp older than the retransmission: the original arrived, the loss was reordering.
      // RFC 4015: undo the reduction; like Linux, tolerate more reordering from now on.
      const ts = seg.options.timestamp;
      if (ts && ts.ecr !== 0 && lt(ts.ecr, this.undoTsVal)) {
        this.inRecovery = false;
        this.cc.undo?.(this.undoCwnd, this.undoSsthresh);
        this.dupThresh = Math.min(this.dupThresh * 2, 12);
        this.undone = true;
        // A spurious fast retransmission is reordering seen (Linux tcp_try_undo_recovery ->
        // tcp_check_sack_reordering): RACK keeps its reordering window in recovery from now on.
        if (this.rackLog && this.rackOnly()) this.rackLog.reorderingSeen = true;
      }
      this.undoTsVal = undefined;
    }
    if (this.inRecovery) {
      if (ge(ack, this.recover)) {
        // RFC 6582 3.2 (6): a full acknowledgment ends recovery.
        this.inRecovery = false;
        this.cc.onRecoveryEnd(flight);
      } else if (!this.sackOk) {
        // RFC 6582 3.2 (5): a partial acknowledgment: retransmit the next hole.
        this.cc.onPartialAck(dataAcked);
        this.retransmitFirst(now, 'fast');
        this.setTimer('retransmit', now + this.rtt.rto);
      }
      // With SACK, sackRecoverySend (called by processAck) fills the holes.
    } else {
      this.cc.onAck(dataAcked, now, this.rtt.srtt, this.config.cwndValidation === false ? undefined : this.cwndUsage);
    }
    this.dupAcks = 0;
    // RFC 6298 (5.2), (5.3): stop the timer when everything is acked, else restart it.
    if (this.sndUna === this.sndMax) {
      this.cancelTimer('retransmit');
      this.cancelTimer('user-timeout');
    } else {
      this.setTimer('retransmit', now + this.rtt.rto);
      if (this.config.userTimeout > 0) this.setTimer('user-timeout', now + this.config.userTimeout);
    }
    if (this.wasFull && this.sndBuf.free > 0 && !this.finQueued) {
      this.wasFull = false;
      this.ev({ type: 'writable' });
    }
  }

  private onDupAck(now: number): void {
    this.dupAcks++;
    if (this.inRecovery) {
      if (!this.sackOk) this.cc.onDupAck();
      return;
    }
    // RFC 8985 3.4, 6.2: with RACK and SACK, RACK marks the losses and starts fast recovery
    // (rackOnAck); duplicate ACKs of reordered data wait for its reordering window.
    if (this.rackOnly()) return;
    // RFC 5681 3.2: three duplicate ACKs; RFC 6675 5 (IsLost): or more than 2*SMSS SACKed
    // above SND.UNA. RFC 6582 3.2 (2): only if the ACK covers more than `recover`.
    const lost = this.dupAcks >= this.dupThresh || (this.sackOk && this.sb.sackedBytes() > (this.dupThresh - 1) * this.sndMss);
    if (lost && ge(this.sndUna, this.recover)) {
      const flight = sub(this.sndMax, this.sndUna);
      this.inRecovery = true;
      this.recover = this.sndMax;
      if (this.tsOk) {
        this.undoTsVal = this.tsNow(now);
        this.undoCwnd = this.cc.cwnd;
        this.undoSsthresh = this.cc.ssthresh;
      }
      this.onLoss('fast', flight, now);
      this.prrEnter();
      if (this.sackOk) {
        // RFC 6675 5 (4.3): retransmit the first unacknowledged segment at once.
        const end = this.sb.nextStart(this.sndUna) ?? this.sndMax;
        const len = Math.min(this.curMss(), sub(end, this.sndUna));
        this.retransmitRange(this.sndUna, len, now, 'fast');
        this.rtxHigh = add(this.sndUna, len);
      } else {
        this.retransmitFirst(now, 'fast');
      }
      this.setTimer('retransmit', now + this.rtt.rto);
    }
  }

  /** RFC 6675 5 (NextSeg/SetPipe, simplified): while the data in flight is below ssthresh,
   *  retransmit the holes that count as lost (IsLost: more than DupThresh-1 segments SACKed
   *  above them), then send new data. */
  private sackRecoverySend(now: number): void {
    const fack = seqMax(this.sb.highest ?? this.sndUna, this.sndUna);
    let pipe = this.sackPipe();
    // RFC 9937: PRR sets the window per ACK; without it, RFC 6675 keeps pipe below ssthresh.
    const wnd = this.prrOn() ? this.prrCwnd : Math.max(this.cc.ssthresh, this.sndMss);
    const total = this.sb.sackedBytes();
    const rackOnly = this.rackOnly();
    while (pipe < wnd) {
      // RFC 8985: segments RACK marked lost go first.
      const rl = this.rackOn() ? this.rack.nextLost(this.sndUna) : undefined;
      if (rl) {
        const len = Math.min(this.curMss(), sub(rl[1], rl[0]));
        this.retransmitRange(rl[0], len, now, 'sack');
        if (lt(this.rtxHigh, add(rl[0], len))) this.rtxHigh = add(rl[0], len);
        pipe += len;
        continue;
      }
      // RFC 6675 IsLost: only without RACK (RFC 8985: RACK alone marks losses).
      const hole = rackOnly ? undefined : this.sb.holeAfter(this.rtxHigh, fack);
      if (hole && total - this.sb.sackedBelow(hole[0]) > (this.dupThresh - 1) * this.sndMss) {
        const len = Math.min(this.curMss(), sub(hole[1], hole[0]));
        this.retransmitRange(hole[0], len, now, 'sack');
        this.rtxHigh = add(hole[0], len);
        pipe += len;
        continue;
      }
      // No lost hole: new data, within the peer's window (NextSeg rule 2).
      const off = sub(this.sndNxt, this.sndUna);
      const bufLen = this.sndBuf.length;
      const avail = off > bufLen || lt(this.sndNxt, this.sndMax) ? -1 : bufLen - off;
      const len = avail < 0 ? 0 : Math.min(avail, this.curMss(), Math.max(0, this.sndWnd - off));
      const fin = avail >= 0 && this.finQueued && len === avail;
      if (len > 0 || fin) {
        this.sendData(off, len, fin, now);
        pipe += len + (fin ? 1 : 0);
        continue;
      }
      // Nothing new to send: NextSeg rule 3, the next hole below the highest SACK even though
      // it does not count as lost yet (so an application-limited sender does not wait for RTO).
      // With RACK the reordering timer and the probe do that (and a reordered hole is not
      // resent for nothing).
      if (hole) {
        const hl = Math.min(this.curMss(), sub(hole[1], hole[0]));
        this.retransmitRange(hole[0], hl, now, 'sack');
        this.rtxHigh = add(hole[0], hl);
        pipe += hl;
        continue;
      }
      break;
    }
  }

  /** RFC 6675 SetPipe (as this stack keeps it): everything above the highest SACKed byte, and
   *  the holes below it that were retransmitted (not those RACK marked lost since). */
  private sackPipe(): number {
    const fack = seqMax(this.sb.highest ?? this.sndUna, this.sndUna);
    if (lt(this.rtxHigh, this.sndUna)) this.rtxHigh = this.sndUna;
    const rtxTo = seqMin(this.rtxHigh, fack);
    let pipe = sub(this.sndMax, fack) + this.sb.holeBytes(this.sndUna, rtxTo);
    if (this.rackLog && this.rackOn()) pipe -= this.rackLog.lostBytes(this.sndUna, rtxTo);
    return Math.max(0, pipe);
  }

  /** Without SACK each duplicate ACK stands for one segment that left the network (RFC 9937 4,
   *  RFC 5681 3.2); the retransmitted head replaces the lost one. */
  private nonSackPipe(): number {
    return Math.max(0, sub(this.sndMax, this.sndUna) - this.dupAcks * this.sndMss);
  }

  private prrOn(): boolean {
    return this.config.prr ?? PRR_DEFAULT;
  }

  /** RFC 9937 4, on entering recovery: prr_delivered = prr_out = 0, RecoverFS = pipe (the
   *  data not known delivered: FlightSize less what is SACKed). */
  private prrEnter(): void {
    this.prrDelivered = 0;
    this.prrOut = 0;
    this.prrOutAtAck = 0;
    this.prrMaxAtAck = this.sndMax;
    const sacked = this.sb.empty ? 0 : this.sb.sackedBytes();
    this.recoverFs = Math.max(this.sndMss, sub(this.sndMax, this.sndUna) - (this.sackOk ? sacked : this.dupAcks * this.sndMss));
    this.prrCwnd = 0;
  }

  /** RFC 9937 4 (PRR-SSRB, as Linux tcp_cwnd_reduction), on each ACK in recovery: how much
   *  may be sent (sndcnt), as the window pipe + sndcnt. What this ACK already made us send
   *  (the fast retransmission, a NewReno partial-ACK retransmission) counts against it. */
  private prrAck(delivered: number, safeAck: boolean): void {
    if (delivered <= 0) return; // RFC 9937 6.2: nothing delivered, nothing sent
    const mss = this.sndMss;
    const ssthresh = this.cc.ssthresh;
    this.prrDelivered += delivered;
    const sentNow = this.prrOut - this.prrOutAtAck;
    const pipeNow = this.sackOk ? this.sackPipe() : this.nonSackPipe();
    // The pipe when the ACK arrived. Without SACK a retransmission of the head does not change
    // the estimate (the lost segment is replaced), only new data does.
    const pipe = Math.max(0, pipeNow - (this.sackOk ? sentNow : sub(this.sndMax, this.prrMaxAtAck)));
    let sndcnt: number;
    if (pipe > ssthresh) {
      // Proportional rate reduction: CEIL(prr_delivered * ssthresh / RecoverFS) - prr_out.
      sndcnt = Math.ceil((this.prrDelivered * ssthresh) / this.recoverFs) - this.prrOutAtAck;
    } else {
      // PRR-CRB, and PRR-SSRB (one SMSS more) when recovery makes good progress.
      sndcnt = Math.max(this.prrDelivered - this.prrOutAtAck, delivered);
      if (safeAck) sndcnt += mss;
      sndcnt = Math.min(ssthresh - pipe, sndcnt);
    }
    // Force a fast retransmission upon entering recovery.
    if (this.prrOutAtAck === 0 && sndcnt <= 0) sndcnt = mss;
    this.prrCwnd = pipeNow + Math.max(0, sndcnt - sentNow);
  }

  /** Retransmits [seq, seq+len) (with our FIN if it reaches the end of the data). */
  private retransmitRange(seq: number, len: number, now: number, cause: 'fast' | 'sack' | 'rto' | 'tlp'): void {
    const off = sub(seq, this.sndUna);
    const bufLen = this.sndBuf.length;
    len = Math.max(0, Math.min(len, bufLen - off));
    const fin = this.finQueued && gt(this.sndMax, this.finSeq) && off + len === bufLen;
    if (len === 0 && !fin) return;
    let flags = ACK;
    if (len > 0 && off + len === bufLen) flags |= PSH;
    if (fin) flags |= FIN;
    this.output(flags, seq, len > 0 ? this.sndBuf.read(off, len) : EMPTY, now);
    if (this.inRecovery) this.prrOut += len + (fin ? 1 : 0);
    this.karn(seq, len + (fin ? 1 : 0));
    this.totalRetransmits++;
    this.ev({ type: 'retransmit', seq, len: len + (fin ? 1 : 0), cause: len === 0 ? 'fin' : cause });
  }

  /** Karn's algorithm: a retransmitted segment is never timed (the timed one is dropped if
   *  this retransmission covers it; other segments keep their measurement). */
  private karn(seq: number, len: number): void {
    if (this.timing && inWindow(this.rttSeq, seq, len)) this.timing = false;
  }

  private startRttTiming(seq: number, now: number): void {
    this.timing = true;
    this.rttSeq = seq;
    this.rttTime = now;
  }

  /** RFC 7323 4 RTTM when timestamps are on; otherwise the one timed segment (Karn: never a
   *  retransmitted one, since any retransmission stops the timing). */
  private rttSampleFromAck(seg: Segment, now: number): void {
    const ts = seg.options.timestamp;
    if (this.tsOk && ts && ts.ecr !== 0) {
      const r = sub(this.tsNow(now), ts.ecr);
      if (r >= 0) this.rtt.sample(r);
      this.timing = false;
      return;
    }
    if (this.timing && gt(seg.ack, this.rttSeq)) {
      this.timing = false;
      this.rtt.sample(now - this.rttTime);
    }
  }

  /** Seventh step (segment text) and eighth step (FIN) of 3.10.7.4, for a segment that starts
   *  at `seq` (SYN already stripped). */
  private processText(seq: number, data: Uint8Array, fin: boolean, seg: Segment, now: number): void {
    // RFC 7323 4.3: TS.Recent is updated from a segment covering Last.ACK.sent.
    const ts = seg.options.timestamp;
    if (this.tsOk && ts && ge(ts.val, this.tsRecent) && le(seq, this.lastAckSent)) {
      this.tsRecent = ts.val;
      this.tsRecentAge = now;
    }
    const canReceive = this.state === 'ESTABLISHED' || this.state === 'FIN-WAIT-1' || this.state === 'FIN-WAIT-2';
    if (!canReceive) {
      // CLOSE-WAIT, CLOSING, LAST-ACK, TIME-WAIT: a FIN has been received; ignore the text.
      // A retransmitted FIN still gets an ACK (and in TIME-WAIT restarts 2 MSL).
      if (fin || data.length > 0) this.ackNow = true;
      if (data.length > 0) this.drop('text after FIN');
      // TIME-WAIT: like FreeBSD (tcp_twcheck), answer anything but an exact duplicate ACK.
      if (this.state === 'TIME-WAIT' && (seg.flags !== ACK || seg.seq !== this.rcvNxt || seg.ack !== this.sndMax)) this.ackNow = true;
      if (fin && this.state === 'TIME-WAIT') this.setTimer('time-wait', now + 2 * this.config.msl);
      return;
    }
    // Trim to the window: drop what is before RCV.NXT and beyond RCV.NXT + RCV.WND.
    const front = sub(this.rcvNxt, seq);
    if (front > 0) {
      if (front > data.length) {
        fin = false; // the FIN too is old (it was before RCV.NXT)
        data = EMPTY;
      } else {
        if (this.sackOk) this.dsack = [seq, add(seq, front)];
        data = data.subarray(front);
      }
      seq = this.rcvNxt;
    }
    const offset = sub(seq, this.rcvNxt);
    let fits = Math.max(0, Math.min(this.acceptWnd(), this.rcvBuf.room) - offset);
    // Nothing counts after a FIN already seen (a peer that sends past its FIN is wrong).
    if (this.rcvFinSeq !== undefined) fits = Math.max(0, Math.min(fits, sub(this.rcvFinSeq, seq)));
    if (data.length > fits) {
      data = data.subarray(0, fits);
      fin = false;
      this.ackNow = true;
      this.drop('beyond window');
    }

    if (data.length > 0 && this.ecn.ok) this.ecnReceive(seg);
    if (data.length > 0) {
      // RFC 2883: bytes we already hold out of order are reported in a D-SACK block.
      if (this.sackOk && !this.dsack) this.dsack = this.rcvBuf.overlap(seq, add(seq, data.length));
      if (data.length > this.rcvMss && data.length <= this.config.mss) this.rcvMss = data.length;
      const hadHoles = this.rcvBuf.ooo.length > 0;
      if (offset === 0) {
        const adv = this.rcvBuf.write(seq, data, this.rcvNxt);
        this.rcvNxt = add(this.rcvNxt, adv);
        this.bytesSinceAck += adv;
        this.segsSinceAck++;
        this.ev({ type: 'readable' });
        if (this.quickAcks < 0 && this.config.quickAcks) {
          // Linux tcp_incr_quickack on the first data: RCV.WND / (2 * MSS), at least 2.
          this.quickAcks = Math.min(this.config.quickAcks, Math.max(2, Math.floor(this.rcvWnd() / (2 * this.rcvMss))));
        }
        this.lastDataRcvdAt = now;
        // ACK at once when a hole was filled, else at least every second full-sized segment.
        // RFC 9293 3.8.6.3: at least every second full-sized segment; like FreeBSD we count
        // every second segment of any size. A D-SACK to report also goes out at once.
        if (
          hadHoles ||
          this.quickAcks > 0 ||
          this.dsack !== undefined ||
          this.config.delayedAck === 0 ||
          this.segsSinceAck >= 2 ||
          this.bytesSinceAck >= 2 * this.rcvMss
        ) {
          this.ackNow = true;
        }
        else if (!this.armed('delayed-ack')) this.setTimer('delayed-ack', now + this.config.delayedAck);
      } else {
        // Out of order: hold it (SHLD-31) and ACK at once (RFC 5681 4.2), with SACK blocks.
        if (this.rcvBuf.write(seq, data, this.rcvNxt) < 0) this.drop('reassembly queue full');
        this.ackNow = true;
      }
    }

    // Eighth, check the FIN bit.
    if (fin) {
      const finAt = add(seq, data.length);
      if (finAt === this.rcvNxt) this.processFin(now);
      else {
        this.rcvFinSeq = finAt; // after a hole: processed once the hole fills
        this.ackNow = true;
      }
    } else if (this.rcvFinSeq !== undefined && this.rcvFinSeq === this.rcvNxt) {
      this.processFin(now);
    }
  }

  /** RFC 9293 3.10.7.4 eighth step: the FIN is in sequence. */
  private processFin(now: number): void {
    this.rcvFinSeq = undefined;
    this.rcvNxt = add(this.rcvNxt, 1);
    this.finReceived = true;
    this.ackNow = true;
    this.ev({ type: 'eof' });
    switch (this.state) {
      case 'SYN-RECEIVED':
      case 'ESTABLISHED':
        this.setState('CLOSE-WAIT', 'rcv FIN');
        break;
      case 'FIN-WAIT-1':
        if (this.ourFinAcked()) this.enterTimeWait(now, 'rcv FIN+ACK of FIN');
        else {
          this.setState('CLOSING', 'rcv FIN');
          // Deliberate choice (as FreeBSD's tcp_output): when only our FIN is outstanding, the
          // ACK of the peer's FIN carries our FIN again, <SEQ=FIN><ACK=RCV.NXT><CTL=FIN,ACK>:
          // a legitimate retransmission (RFC 9293 3.10.7.4 eighth asks for an ACK; this is one)
          // that saves an RTO when the peer's FIN shows it has not seen ours.
          if (this.sndUna === this.finSeq && gt(this.sndMax, this.finSeq)) {
            this.karn(this.finSeq, 1);
            this.output(FIN | ACK, this.finSeq, EMPTY, now);
          }
        }
        break;
      case 'FIN-WAIT-2':
        this.enterTimeWait(now, 'rcv FIN');
        break;
      default:
        break;
    }
  }

  // ---------------------------------------------------------------- output

  /** Sends what the windows, Nagle and sender SWS avoidance allow (RFC 9293 3.7.4, 3.8.6.2.2). */
  private flush(now: number, force = false): void {
    const s = this.state;
    if (s !== 'ESTABLISHED' && s !== 'CLOSE-WAIT' && s !== 'FIN-WAIT-1' && s !== 'CLOSING' && s !== 'LAST-ACK') return;
    if (this.inRecovery && this.sackOk) return; // sackRecoverySend decides
    const prr = this.inRecovery && this.prrOn();
    // RFC 3042 limited transmit: the first two duplicate ACKs each let one new segment out.
    // With SACK the SACKed bytes leave the flight (RFC 6675 pipe, below) and do the same; the
    // two are one allowance, not two.
    const extra = this.inRecovery ? 0 : Math.min(this.dupAcks, 2) * this.sndMss;
    let sent = 0;
    for (;;) {
      if (lt(this.sndNxt, this.sndMax) && !this.sb.empty) {
        // Going back after an RTO: skip what the peer has SACKed since.
        const e = this.sb.sackedEnd(this.sndNxt);
        if (e !== undefined) {
          this.sndNxt = e;
          continue;
        }
      }
      const off = sub(this.sndNxt, this.sndUna);
      const bufLen = this.sndBuf.length;
      if (off > bufLen) break; // our FIN is already sent
      const avail = bufLen - off;
      // SACKed bytes are not in flight (RFC 6675 pipe), though still inside the peer's window.
      const sacked = this.sb.empty ? 0 : this.sb.sackedBelow(this.sndNxt);
      const credit = Math.max(extra, sacked);
      // RFC 9937: in recovery without SACK, PRR's window against the pipe estimate.
      // Any room lets a whole segment go, as in SACK recovery (Linux counts in segments).
      const room = prr ? this.prrCwnd - this.nonSackPipe() : 0;
      const usable = prr
        ? Math.min(this.sndWnd - off, room > 0 ? Math.max(room, this.curMss()) : 0)
        : Math.min(this.sndWnd - off, this.cc.cwnd + credit - off);
      const mss = this.curMss();
      let len = Math.min(avail, mss, Math.max(0, usable));
      if (lt(this.sndNxt, this.sndMax)) {
        const next = this.sb.nextStart(this.sndNxt);
        if (next !== undefined && lt(next, add(this.sndNxt, len))) {
          // Like Linux (SACK state per sent segment), a SACK block that starts inside a full
          // segment and covers the rest of it does not cut the retransmission to a runt: the
          // segment goes whole (resending SACKed bytes is allowed, RFC 2018 8).
          const e = this.sb.sackedEnd(next);
          if (!(len === mss && e !== undefined && ge(e, add(this.sndNxt, len)))) len = sub(next, this.sndNxt);
        }
        // A retransmission ends at the highest byte sent before: new data goes in segments of
        // its own (as Linux), so no segment straddles SND.MAX (analysers see it as new data).
        len = Math.min(len, sub(this.sndMax, this.sndNxt));
      }
      if (force && len === 0 && avail > 0) len = Math.min(avail, mss, Math.max(1, this.sndWnd - off));
      const fin = this.finQueued && len === avail;
      if (len === 0 && !fin) break;
      const isRtx = lt(this.sndNxt, this.sndMax);
      if (len > 0 && len < mss && !fin && !isRtx && !force) {
        // Cork (Linux tcp_nagle_check, TCP_NAGLE_CORK): the queue's tail is less than a full
        // segment: hold it, whatever Nagle and SWS avoidance would allow. FIN is not held.
        if (avail < mss && this.corking()) break;
        // Nagle (3.7.4): hold a small segment while data is unacknowledged, unless the whole
        // queue fits; sender SWS (3.8.6.2.2): or it is at least half the largest window.
        const idle = this.sndMax === this.sndUna;
        const pushOk = len === avail && (!this.config.nagle || idle);
        const swsOk = this.maxSndWnd > 0 && len >= this.maxSndWnd / 2;
        if (!pushOk && !swsOk) break;
      }
      this.sendData(off, len, fin, now);
      sent++;
      if (force) break;
    }
    this.cwndValidate(sent);
  }

  /** RFC 9438 5.8, RFC 7661 4.3: records whether the sender used its window, as Linux
   *  tcp_cwnd_validate: cwnd-limited when no further full segment fits in cwnd; otherwise the
   *  most in flight, kept for one window (until SND.UNA passes what was sent when it was set). */
  private cwndValidate(sent: number): void {
    const flight = sub(this.sndNxt, this.sndUna) - (this.sb.empty ? 0 : this.sb.sackedBelow(this.sndNxt));
    const limited = this.cc.cwnd - flight < this.curMss();
    if (sent === 0 && !limited) return;
    const u = this.cwndUsage;
    const windowDone = this.cwndUsageSeq === undefined || ge(this.sndUna, this.cwndUsageSeq);
    if (windowDone || limited || (!u.limited && flight > u.maxFlight)) {
      u.limited = limited;
      u.maxFlight = flight;
      this.cwndUsageSeq = this.sndNxt;
    }
  }

  /** Sends [sndNxt, sndNxt+len) (+FIN) and advances sndNxt. */
  private sendData(off: number, len: number, fin: boolean, now: number): void {
    const seq = this.sndNxt;
    const isRtx = lt(seq, this.sndMax);
    if (!isRtx && len > 0 && this.sndUna === this.sndMax && this.cc.onTransmitStart) {
      // Sending starts with nothing in flight: RFC 5681 4.1 restart after idle, RFC 9438 5.8.
      this.cc.onTransmitStart(now, this.lastDataSentAt === undefined ? 0 : now - this.lastDataSentAt, this.rtt.rto);
    }
    const payload = len > 0 ? this.sndBuf.read(off, len) : EMPTY;
    let flags = ACK;
    // PSH on the last segment of the queued data, and (like Linux) on the last new segment a
    // full window lets out. A retransmission does not get it for filling the window: PSH goes
    // with the data (Linux keeps it on the segment that had it), RFC 9293 3.9.1.
    const wnd = Math.min(this.sndWnd, this.cc.cwnd);
    const tail = off + len === this.sndBuf.length && !this.moreQueued;
    if (len > 0 && (tail || (!isRtx && off < wnd && off + len >= wnd))) flags |= PSH;
    if (fin) flags |= FIN;
    if (this.sndUna === this.sndMax && this.config.userTimeout > 0) this.setTimer('user-timeout', now + this.config.userTimeout);
    this.output(flags, seq, payload, now);
    const segLen = len + (fin ? 1 : 0);
    if (this.inRecovery) this.prrOut += segLen;
    if (isRtx) {
      this.karn(seq, segLen);
      this.totalRetransmits++;
      this.ev({ type: 'retransmit', seq, len: segLen, cause: len === 0 && fin ? 'fin' : this.rtxCause });
    } else if (!this.timing && len > 0) {
      this.startRttTiming(seq, now);
    }
    this.sndNxt = add(seq, segLen);
    this.sndMax = seqMax(this.sndMax, this.sndNxt);
  }

  /** Retransmits the first unacknowledged segment (fast retransmit, partial ACK, RTO). */
  private retransmitFirst(now: number, cause: 'rto' | 'fast'): number {
    const bufLen = this.sndBuf.length;
    const len = Math.min(bufLen, this.curMss());
    const finSent = this.finQueued && gt(this.sndMax, this.finSeq);
    const fin = finSent && len === bufLen;
    if (len === 0 && !fin) return 0;
    const payload = len > 0 ? this.sndBuf.read(0, len) : EMPTY;
    let flags = ACK;
    if (len > 0 && len === bufLen) flags |= PSH;
    if (fin) flags |= FIN;
    this.output(flags, this.sndUna, payload, now);
    this.karn(this.sndUna, len + (fin ? 1 : 0));
    this.totalRetransmits++;
    const segLen = len + (fin ? 1 : 0);
    if (this.inRecovery) this.prrOut += segLen;
    // The segment may reach past what was sent before (data queued since): that is sent now.
    const end = add(this.sndUna, segLen);
    if (gt(end, this.sndNxt)) this.sndNxt = end;
    if (gt(end, this.sndMax)) this.sndMax = end;
    this.ev({ type: 'retransmit', seq: this.sndUna, len: segLen, cause: len === 0 && fin ? 'fin' : cause });
    return segLen;
  }

  /** Arms the retransmit, persist, keep-alive and user timers as the state requires. */
  private armTimers(now: number): void {
    const s = this.state;
    if (s === 'CLOSED' || s === 'LISTEN' || s === 'TIME-WAIT') return;
    if (s === 'SYN-SENT' || s === 'SYN-RECEIVED') return; // handshake timers are set directly
    const outstanding = gt(this.sndMax, this.sndUna);
    const unsent = this.sndBuf.length - Math.max(0, sub(this.sndNxt, this.sndUna));
    // RFC 9293 3.8.6.1: with data waiting, a zero (or too small) window and nothing in flight,
    // the persist timer makes sure we probe; it stays while a probe is out and the window is
    // still zero. In every other case it goes, and the retransmit timer covers what is in flight.
    const canSend = s === 'ESTABLISHED' || s === 'CLOSE-WAIT' || s === 'FIN-WAIT-1' || s === 'LAST-ACK';
    // A corked partial segment with nothing in flight: the cork ceiling, not the persist timer.
    const corkHeld = canSend && unsent > 0 && !outstanding && this.corkHeld(unsent);
    if (!corkHeld) this.cancelTimer('cork');
    else if (!this.armed('cork')) this.setTimer('cork', now + Math.max(this.rtt.rto, (this.rtt.srtt ?? 0) + CORK_CEILING));
    if (canSend && unsent > 0 && !outstanding && !corkHeld) {
      if (!this.armed('persist')) this.setTimer('persist', now + this.persistInterval());
    } else if (!(this.armed('persist') && outstanding && this.sndWnd === 0)) {
      this.cancelTimer('persist');
    }
    if (outstanding) {
      if (!this.armed('retransmit') && !this.armed('persist')) this.setTimer('retransmit', now + this.rtt.rto);
    } else {
      this.cancelTimer('retransmit');
      this.cancelTimer('user-timeout');
    }
    if (outstanding && this.rackOn()) this.armProbe(now);
    // Keep-alive (RFC 9293 3.8.4, RFC 1122 4.2.3.6): off unless configured.
    if (this.config.keepAlive && (s === 'ESTABLISHED' || s === 'CLOSE-WAIT' || s === 'FIN-WAIT-2')) {
      if (!this.armed('keepalive')) this.setTimer('keepalive', now + this.config.keepAliveIdle);
    }
  }

  /** The unsent tail is a partial segment the cork holds (TCP_CORK, or MSG_MORE data), inside
   *  the peer's window (else the persist timer probes, RFC 9293 3.8.6.1). */
  private corkHeld(unsent: number): boolean {
    if (this.finQueued || this.pushQueued || !(this.corked || this.moreQueued)) return false;
    return unsent < this.curMss() && this.sndWnd - sub(this.sndNxt, this.sndUna) >= unsent;
  }

  /** The cork ceiling: the held partial segment goes, with PSH (Linux tcp_probe_timer ->
   *  tcp_write_wakeup). The cork stays on for later data. */
  private onCorkTimeout(now: number): void {
    this.moreQueued = false;
    this.pushQueued = true;
    this.flush(now);
    this.pushQueued = false;
    this.armTimers(now);
  }

  // ---------------------------------------------------------------- RACK-TLP (RFC 8985)

  // ---------------------------------------------------------------- ECN (RFC 3168 6.1)

  /** 6.1.1: the ECN flags of a SYN or SYN,ACK we send. */
  private ecnSynFlags(flags: number): number {
    // An ECN-setup SYN-ACK carries ECE and not CWR. As 6.1.1.1 does for the SYN (FreeBSD
    // ecn.maxretries): after ecnSynAckRetries retransmissions it goes without, and ECN is off.
    if (flags & ACK) {
      if (this.ecn.ok && this.retransmits > (this.config.ecnSynAckRetries ?? Infinity)) this.ecn.ok = false;
      return this.ecn.ok ? flags | ECE : flags;
    }
    // An ECN-setup SYN carries ECE and CWR; 6.1.1.1: after ecnSynRetries retransmissions
    // without an answer, the SYN goes without them.
    const synSent = ecnInitiates(this.config) && this.retransmits <= (this.config.ecnSynRetries ?? 1);
    if (synSent || this.ecnState) (this.ecnState ??= new EcnState()).synSent = synSent;
    return synSent ? flags | ECE | CWR : flags;
  }

  /** 6.1.1: whether ECN is on, from the peer's SYN or SYN,ACK. */
  private ecnNegotiate(seg: Segment): void {
    const f = seg.flags & (ECE | CWR);
    if (seg.flags & ACK) {
      // An ECN-setup SYN-ACK answers our ECN-setup SYN; one with both ECE and CWR is not one.
      const ok = this.ecn.synSent && f === ECE;
      if (ok || this.ecnState) (this.ecnState ??= new EcnState()).ok = ok;
    } else {
      // An ECN-setup SYN has ECE and CWR. A listener accepts it unless ECN is off; in a
      // simultaneous open only if our SYN asked too (as Linux tcp_ecn_rcv_syn).
      const ok = f === (ECE | CWR) && ecnAccepts(this.config) && (this.state === 'LISTEN' || this.ecn.synSent);
      if (ok || this.ecnState) (this.ecnState ??= new EcnState()).ok = ok;
    }
  }

  /** 6.1.4-6.1.6: a segment is ECN-capable only if it carries new data inside the peer's
   *  window: not a pure ACK, a retransmission or a window probe. */
  private ecnNewData(seq: number, len: number): boolean {
    return len > 0 && seq === this.sndMax && sub(seq, this.sndUna) < this.sndWnd;
  }

  /** 6.1.2: an ACK with ECE. Reduce cwnd and ssthresh once per window of data (not for ECE on
   *  ACKs of data sent before the last reduction, loss recovery's included), then CWR. */
  private ecnEcho(flight: number, now: number): void {
    const e = this.ecn;
    if (this.inRecovery || lt(this.sndUna, this.recover)) return;
    if (e.cwrEnd !== undefined && !gt(this.sndUna, e.cwrEnd)) return;
    this.cc.onEce(flight, now);
    e.cwrPending = true;
    e.cwrEnd = this.sndMax;
  }

  /** 6.1.3: a data segment. CWR ends the echo, then CE starts it (CE on the CWR segment itself
   *  is new congestion); the first CE-marked segment is acknowledged at once. */
  private ecnReceive(seg: Segment): void {
    if (seg.ecn !== undefined && seg.ecn !== ECN_NOT_ECT) this.ecn.seen = true;
    if (seg.flags & CWR) this.ecn.echo = false;
    if (seg.ecn === ECN_CE && !this.ecn.echo) {
      this.ecn.echo = true;
      this.ackNow = true;
    }
  }

  /** A loss reduction of cwnd. RFC 3168 6.1.2: after a reduction "for any reason (because of a
   *  retransmit timeout, a Fast Retransmit, or in response to an ECN Notification)", CWR goes
   *  on the first new data segment. */
  private onLoss(kind: LossKind, flight: number, now: number): void {
    // RFC 3168 6.1.2: "SHOULD NOT decrease ... ssthresh, if it has been decreased within the
    // last round trip time": a loss found by ACKs in the window already reduced for an ECE
    // (SND.UNA sent before SND.MAX at that reduction) is repaired without a second reduction.
    // A retransmission timeout still collapses cwnd to the loss window.
    if (kind === 'fast' && this.ecn.cwrEnd !== undefined && lt(this.sndUna, this.ecn.cwrEnd)) return;
    this.cc.onLoss(kind, flight, now);
    if (!this.ecn.ok) return;
    this.ecn.cwrPending = true;
    this.ecn.cwrEnd = this.sndMax;
  }

  private rackOn(): boolean {
    return this.sackOk && (this.config.rack ?? RACK_DEFAULT);
  }

  /** RFC 8985 3.4: RACK, not DupThresh (RFC 5681 3.2, RFC 6675 IsLost), marks losses and
   *  starts fast recovery (unless config.rackDupThresh keeps both). */
  private rackOnly(): boolean {
    return this.rackOn() && this.config.rackDupThresh !== true;
  }

  /** RFC 8985 6.2 step 4: the reordering window. */
  private reoWnd(): number {
    const r = this.rack;
    if (r.minRtt === Infinity) return 0;
    if (!r.reorderingSeen && (this.inRecovery || this.sb.sackedBytes() >= this.dupThresh * this.sndMss)) return 0;
    return Math.min((r.reoWndMult * r.minRtt) / 4, this.rtt.srtt ?? Infinity);
  }

  /** RFC 8985 6.2 (on each ACK) and 7.4 (the end of a probe episode). */
  private rackOnAck(seg: Segment, now: number): void {
    const sb = this.sb;
    // RFC 8985 6.2 step 4: a D-SACK means a retransmission was spurious: widen the reordering
    // window.
    const dsackSeen = isDsack(seg.options.sack, seg.ack);
    // Without a log nothing was sent since the connection began and no D-SACK came: a new
    // Rack would do nothing with this ACK, so none is made (an idle connection has none).
    const rack = dsackSeen ? this.rack : this.rackLog;
    if (rack !== undefined) {
      rack.onDsack(dsackSeen, this.sndUna, this.sndMax);
      rack.onAck(this.sndUna, sb.empty ? null : sb, now);
    }
    if (this.tlpEnd !== undefined && ge(this.sndUna, this.tlpEnd)) {
      // RFC 8985 7.4.2: a retransmitted probe acknowledged without a D-SACK for it repaired a
      // loss: the congestion window is reduced as for a loss (Linux tcp_process_tlp_ack).
      const first = seg.options.sack?.[0];
      const dsack = first !== undefined && le(first[1], seg.ack);
      if (this.tlpRtx && !dsack && !this.inRecovery) {
        const flight = sub(this.sndMax, this.sndUna);
        this.onLoss('fast', Math.max(flight, this.cc.cwnd), now);
        this.cc.onRecoveryEnd(flight);
      }
      this.tlpEnd = undefined;
    }
    if (this.rackLog === undefined) return; // an empty log: nothing lost, no timer
    const { lost, timeout } = this.rackLog.detect(now, this.reoWnd());
    if (lost > 0) this.rackRecovery(now);
    if (timeout > 0) {
      // RFC 8985 6.3: the reordering timer.
      const d = now + timeout;
      const cur = this.deadlines.retransmit;
      if (d < cur || cur === this.tlpDeadline) {
        this.reoDeadline = d;
        this.setTimer('retransmit', d);
      }
    }
  }

  /** RACK found lost segments: fast recovery (RFC 6675 5 entry, RFC 6582 `recover` rule). */
  private rackRecovery(now: number): void {
    if (this.inRecovery) return;
    // RFC 6582 `recover`: one reduction per window of data. A recovery undone as spurious
    // (Eifel) reduced nothing: RACK may start another before SND.UNA passes `recover`, or the
    // segment it marked lost would wait for the RTO.
    if (!ge(this.sndUna, this.recover) && !(this.undone && this.rackOnly())) return;
    this.undone = false;
    this.inRecovery = true;
    this.recover = this.sndMax;
    this.tlpEnd = undefined;
    if (this.tsOk) {
      this.undoTsVal = this.tsNow(now);
      this.undoCwnd = this.cc.cwnd;
      this.undoSsthresh = this.cc.ssthresh;
    }
    this.onLoss('fast', sub(this.sndMax, this.sndUna), now);
    this.prrEnter();
    this.rack.onRecovery();
    if (lt(this.rtxHigh, this.sndUna)) this.rtxHigh = this.sndUna;
    // RFC 6675 5 (4.3): the first lost segment goes at once, whatever the pipe.
    const l = this.rack.nextLost(this.sndUna);
    if (l) {
      const len = Math.min(this.curMss(), sub(l[1], l[0]));
      this.retransmitRange(l[0], len, now, 'fast');
      if (lt(this.rtxHigh, add(l[0], len))) this.rtxHigh = add(l[0], len);
    }
    this.setTimer('retransmit', now + this.rtt.rto);
  }

  private onReoTimeout(now: number): void {
    this.reoDeadline = -1;
    const { lost, timeout } = this.rack.detect(now, this.reoWnd());
    if (lost > 0) this.rackRecovery(now);
    if (this.inRecovery) this.sackRecoverySend(now);
    if (gt(this.sndMax, this.sndUna)) this.setTimer('retransmit', now + this.rtt.rto);
    if (timeout > 0 && now + timeout < this.deadlines.retransmit) {
      this.reoDeadline = now + timeout;
      this.setTimer('retransmit', this.reoDeadline);
    }
  }

  /** RFC 8985 7.2: arm the probe timeout (PTO) instead of the RTO when it comes first. */
  private armProbe(now: number): void {
    const s = this.state;
    if (s !== 'ESTABLISHED' && s !== 'CLOSE-WAIT' && s !== 'FIN-WAIT-1' && s !== 'LAST-ACK' && s !== 'CLOSING') return;
    const srtt = this.rtt.srtt;
    if (this.inRecovery || this.tlpEnd !== undefined || srtt === undefined || this.retransmits > 0) return;
    const cur = this.deadlines.retransmit;
    if (cur === this.reoDeadline || cur === this.tlpDeadline || cur === Infinity) return;
    // PTO = 2*SRTT, plus the worst-case delayed ACK when one segment is in flight. Plus 2 ms
    // (Linux TCP_TIMEOUT_MIN, tcp_schedule_loss_probe) so a PTO is never 0 on a fast path.
    let pto = 2 * srtt + 2;
    if (sub(this.sndMax, this.sndUna) <= this.sndMss) pto += 200;
    const d = Math.ceil(now + pto);
    if (d >= cur) return;
    this.tlpDeadline = d;
    this.setTimer('retransmit', d);
  }

  /** RFC 8985 7.3: the probe timeout fired: send one new segment if the windows allow, else
   *  retransmit the last one; then the RTO again. */
  private onProbeTimeout(now: number): void {
    this.tlpDeadline = -1;
    if (this.inRecovery || !gt(this.sndMax, this.sndUna)) {
      if (gt(this.sndMax, this.sndUna)) this.setTimer('retransmit', now + this.rtt.rto);
      return;
    }
    const off = sub(this.sndNxt, this.sndUna);
    const avail = this.sndBuf.length - off;
    if (this.sndNxt === this.sndMax && avail > 0 && this.sndWnd - off > 0) {
      const len = Math.min(avail, this.curMss(), this.sndWnd - off);
      this.sendData(off, len, this.finQueued && len === avail, now);
      this.tlpRtx = false;
    } else {
      const dataLen = Math.min(this.sndBuf.length, sub(this.sndMax, this.sndUna));
      const len = Math.min(this.curMss(), dataLen);
      this.retransmitRange(add(this.sndUna, dataLen - len), len, now, 'tlp');
      this.tlpRtx = true;
    }
    this.tlpEnd = this.sndMax;
    this.setTimer('retransmit', now + this.rtt.rto);
  }

  private persistInterval(): number {
    const base = Math.max(this.rtt.rto, this.config.rtoMin);
    return Math.min(this.config.rtoMax, base * 2 ** this.persistBackoff);
  }

  // ---------------------------------------------------------------- TIMEOUTS (3.10.8)

  onTimer(now: number): void {
    for (const t of TIMER_NAMES) {
      const d = this.deadlines[t];
      if (d > now) continue;
      this.deadlines[t] = Infinity;
      this.ev({ type: 'timer', timer: t, action: 'fire', deadline: d });
      this.firedAt = d;
      this.fire(t, now);
      if (this.state === 'CLOSED') return;
    }
  }

  private fire(t: TimerName, now: number): void {
    switch (t) {
      case 'retransmit':
        return this.onRetransmitTimeout(now);
      case 'persist':
        return this.onPersistTimeout(now);
      case 'keepalive':
        return this.onKeepAliveTimeout(now);
      case 'time-wait':
        // RFC 9293 3.10.8: time-wait timeout: delete the TCB, enter CLOSED.
        this.toClosed('2MSL timeout', undefined, false);
        return;
      case 'delayed-ack':
        if (isSynchronized(this.state) && this.state !== 'TIME-WAIT') this.sendAck(now);
        return;
      case 'user-timeout':
        // RFC 9293 3.8.4 / 3.10.8: user timeout: flush queues, signal, enter CLOSED.
        this.toClosed('user timeout', { code: 'ETIMEDOUT', message: 'connection aborted due to user timeout' });
        return;
      case 'cork':
        return this.onCorkTimeout(now);
      case 'open-timeout':
        // RFC 9293 3.8.3: give up on the open attempt (a listener's child goes back to LISTEN).
        if (this.state === 'SYN-RECEIVED' && this.passive) return this.resetToListen('open timeout');
        if (this.state === 'SYN-SENT' || this.state === 'SYN-RECEIVED') return this.timedOut('open timeout');
        return;
    }
  }

  private timedOut(cause: string): void {
    const code = this.softError ?? 'ETIMEDOUT';
    this.toClosed(cause, { code, message: code === 'ETIMEDOUT' ? 'connection timed out' : icmpMessage(code) });
  }

  private onRetransmitTimeout(now: number): void {
    if (this.rackOn() && this.firedAt === this.reoDeadline) return this.onReoTimeout(now);
    if (this.rackOn() && this.firedAt === this.tlpDeadline) return this.onProbeTimeout(now);
    this.rackLog?.clearLost();
    this.tlpEnd = undefined;
    const s = this.state;
    if (s === 'SYN-SENT' || s === 'SYN-RECEIVED' || this.sndUna === this.iss) {
      this.retransmits++;
      if (this.retransmits > this.config.synRetries) {
        if (s === 'SYN-RECEIVED' && this.passive) {
          this.resetToListen('SYN,ACK retries exhausted');
          return;
        }
        return this.timedOut('SYN retries exhausted');
      }
      this.rtt.backoff();
      this.timing = false; // Karn
      this.totalRetransmits++;
      const dropAt = this.config.synRtxDropOptions ?? 0;
      if (s === 'SYN-SENT' && dropAt > 0 && this.retransmits >= dropAt) this.synExtDropped = true;
      this.output(s === 'SYN-SENT' ? SYN : SYN | ACK, this.iss, EMPTY, now);
      if (s === 'FIN-WAIT-1') this.output(FIN | ACK, this.finSeq, EMPTY, now);
      this.ev({ type: 'retransmit', seq: this.iss, len: 1, cause: 'syn' });
      this.setTimer('retransmit', now + this.rtt.rto);
      return;
    }
    if (!gt(this.sndMax, this.sndUna)) return;
    this.retransmits++;
    // RFC 9293 3.8.3: past R1 we would give negative advice to IP (no routing to advise here);
    // past R2 we close the connection. (Against a zero window, processAck resets the count on
    // every answer: those retransmissions are window probes, 3.8.6.1.)
    if (this.retransmits > this.config.r2) return this.timedOut('retransmission timeout');
    const flight = sub(this.sndMax, this.sndUna);
    // RFC 5681 (4): ssthresh only on the first timeout of a series; later ones keep it.
    this.onLoss('rto', this.retransmits === 1 ? flight : 2 * this.cc.ssthresh, now);
    this.inRecovery = false;
    this.undoTsVal = undefined;
    this.undone = false;
    this.dupAcks = 0;
    // RFC 2018 8: the peer may renege on what it SACKed. Like Linux we keep the scoreboard
    // through one timeout (go-back-N then skips what the peer holds), and forget it when the
    // timer fires again without progress: then everything is sent again.
    if (this.retransmits > 1) this.sbLog?.clear();
    this.recover = this.sndMax; // RFC 6582 4: no fast retransmit for data sent before the RTO
    this.rtt.backoff(); // RFC 6298 (5.5)
    this.timing = false; // Karn: everything in flight will be sent again
    this.rtxCause = 'rto';
    // Go back N: resend from SND.UNA, first segment regardless of the peer's window.
    const n = this.retransmitFirst(now, 'rto');
    this.sndNxt = add(this.sndUna, n);
    this.setTimer('retransmit', now + this.rtt.rto); // RFC 6298 (5.6)
  }

  private onPersistTimeout(now: number): void {
    const s = this.state;
    if (s !== 'ESTABLISHED' && s !== 'CLOSE-WAIT' && s !== 'FIN-WAIT-1' && s !== 'LAST-ACK' && s !== 'CLOSING') return;
    const off = sub(this.sndNxt, this.sndUna);
    const avail = this.sndBuf.length - off;
    if (this.sndWnd > off && avail > 0) {
      // A small window we would not use (SWS): the override timeout sends what fits.
      this.flush(now, true);
    } else if (this.sndBuf.length > 0) {
      // RFC 9293 3.8.6.1: a zero-window probe with one byte of data.
      if (off === 0) {
        this.sendData(0, 1, false, now);
      } else {
        this.output(ACK, this.sndUna, this.sndBuf.read(0, 1), now);
      }
      this.persistBackoff++;
    }
    if (this.sndBuf.length > 0 && this.sndWnd === 0) this.setTimer('persist', now + this.persistInterval());
    this.armTimers(now);
  }

  private onKeepAliveTimeout(now: number): void {
    const s = this.state;
    if (s !== 'ESTABLISHED' && s !== 'CLOSE-WAIT' && s !== 'FIN-WAIT-2') return;
    if (gt(this.sndMax, this.sndUna) || this.sndBuf.length > 0) {
      // Data is moving or waiting: the retransmit timer covers it.
      this.setTimer('keepalive', now + this.config.keepAliveIdle);
      return;
    }
    if (this.keepAliveProbes >= this.config.keepAliveCount) return this.timedOut('keep-alive timeout');
    this.keepAliveProbes++;
    // RFC 1122 4.2.3.6: <SEQ=SND.NXT-1><ACK=RCV.NXT>, no data; the peer answers with an ACK.
    this.output(ACK, sub(this.sndMax, 1) >>> 0, EMPTY, now);
    this.setTimer('keepalive', now + this.config.keepAliveInterval);
  }

  /** Any arriving segment shows the peer is alive (called by the host via segmentArrives). */
  private noteAlive(now: number): void {
    if (!this.config.keepAlive) return;
    this.keepAliveProbes = 0;
    if (this.state === 'ESTABLISHED' || this.state === 'CLOSE-WAIT' || this.state === 'FIN-WAIT-2') {
      this.setTimer('keepalive', now + this.config.keepAliveIdle);
    }
  }
}

function icmpMessage(code: TcpErrorCode): string {
  switch (code) {
    case 'EHOSTUNREACH':
      return 'host unreachable';
    case 'ENETUNREACH':
      return 'network unreachable';
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'EMSGSIZE':
      return 'message too long';
    default:
      return 'connection aborted';
  }
}

/** The congestion-control options of a configuration. */
/** One CcOptions per config object (configs are shared, and never written: see reconfigure). */
const ccOptionsOf = new WeakMap<ConnectionConfig, CcOptions>();
function ccOptions(c: ConnectionConfig): CcOptions {
  let o = ccOptionsOf.get(c);
  if (o === undefined) ccOptionsOf.set(c, (o = { abcLimit: c.abcLimit, restartAfterIdle: c.restartAfterIdle }));
  return o;
}
