// Congestion control behind one small interface, so CUBIC can be added beside NewReno.
// The connection detects loss (3 duplicate ACKs, RTO) and tracks the recovery point; the
// algorithm only decides cwnd and ssthresh.

import { Cubic } from './cubic.js';

export type LossKind = 'rto' | 'fast';

/** How much of cwnd the sender has been using (Linux tcp_cwnd_validate), for RFC 9438 5.8 /
 *  RFC 7661: `limited`, the last transmission stopped because cwnd was full; `maxFlight`, the
 *  most bytes in flight since the window that was in flight then was acknowledged. */
export interface CwndUsage {
  limited: boolean;
  maxFlight: number;
}

/** Options shared by the algorithms (ConnectionConfig carries them). */
export interface CcOptions {
  /** RFC 3465 2.2 L, in SMSS: the most one ACK grows cwnd by in slow start. Absent = 2;
   *  Infinity = every byte acknowledged (Linux tcp_slow_start). */
  abcLimit?: number;
  /** RFC 5681 4.1 restart window after an idle period longer than the RTO. Absent = on. */
  restartAfterIdle?: boolean;
}

/** RFC 9438 5.8, RFC 7661 4.3 (as Linux tcp_is_cwnd_limited): cwnd grows only while the sender
 *  uses it. In slow start a flow counts as cwnd-limited while cwnd < 2 * the most it had in
 *  flight, so cwnd still reaches twice what one window carried. No usage given: always grow. */
export function isCwndLimited(cwnd: number, ssthresh: number, usage: CwndUsage | undefined): boolean {
  if (usage === undefined || usage.limited) return true;
  return cwnd < ssthresh && cwnd < 2 * usage.maxFlight;
}

/** RFC 3465 2.2: slow start adds min(acked, L*SMSS); L absent (or not positive) = 2. */
export function slowStartIncrease(acked: number, mss: number, abcLimit: number | undefined): number {
  const l = abcLimit !== undefined && abcLimit > 0 ? abcLimit : 2;
  return Math.min(acked, l * mss);
}

export interface CongestionControl {
  readonly name: string;
  /** Congestion window, bytes. */
  readonly cwnd: number;
  /** Slow-start threshold, bytes. */
  readonly ssthresh: number;
  /** New data acknowledged outside recovery (`acked` bytes); `rtt` (ms): the smoothed RTT,
   *  when one has been measured (RFC 9438 4.2 needs it for W_cubic(t + RTT)); `usage`: how much
   *  of cwnd was used (absent: cwnd grows as if it were full). */
  onAck(acked: number, now: number, rtt?: number, usage?: CwndUsage): void;
  /** A duplicate ACK while in fast recovery (RFC 5681 3.2 step 4: inflate). */
  onDupAck(): void;
  /** Loss detected. `flight` is the data outstanding (FlightSize) when it was detected. */
  onLoss(kind: LossKind, flight: number, now: number): void;
  /** RFC 3168 6.1.2: an ACK carried ECE (a router marked our data CE): reduce cwnd and
   *  ssthresh as for a loss, but without loss recovery (cwnd = the new ssthresh). `flight` is
   *  the data outstanding. The connection calls it at most once per window of data. */
  onEce(flight: number, now: number): void;
  /** RFC 6582 3.2 step 5: a partial ACK during recovery acknowledged `acked` bytes. */
  onPartialAck(acked: number): void;
  /** RFC 6582 3.2 step 6: a full ACK ended recovery; `flight` is what is still outstanding. */
  onRecoveryEnd(flight: number): void;
  /** The MSS changed (path MTU). */
  setMss(mss: number): void;
  /** RFC 3522 / RFC 4015: the loss was spurious (the original segment arrived); go back to the
   *  window from before onLoss. Optional: without it the reduction simply stands. */
  undo?(cwnd: number, ssthresh: number): void;
  /** New data goes out with nothing in flight, `idle` ms after data was last sent; `rto` is the
   *  current retransmission timeout. RFC 5681 4.1: after an idle period longer than the RTO,
   *  restart from the initial window (unless CcOptions.restartAfterIdle is false); RFC 9438
   *  5.8: idle time is not curve time. Optional. */
  onTransmitStart?(now: number, idle: number, rto: number): void;
}

/** RFC 5681 + RFC 6582 NewReno, with RFC 3465 byte counting (L = 2*SMSS) in slow start. */
export class NewReno implements CongestionControl {
  readonly name = 'newreno';
  cwnd: number;
  ssthresh = 0x7fffffff;
  private bytesAcked = 0; // RFC 3465 appropriate byte counting in congestion avoidance

  constructor(
    private mss: number,
    private readonly initialWindow: number,
    private readonly opts: CcOptions = {},
  ) {
    // RFC 6928: IW = min(10*MSS, max(2*MSS, 14600)) with 10 segments; we take the configured count.
    this.cwnd = initialWindow * mss;
  }

  setMss(mss: number): void {
    this.mss = mss;
  }

  onAck(acked: number, _now?: number, _rtt?: number, usage?: CwndUsage): void {
    // RFC 7661 4.3 / RFC 9438 5.8: no growth while the sender does not use its window.
    if (!isCwndLimited(this.cwnd, this.ssthresh, usage)) return;
    if (this.cwnd < this.ssthresh) {
      // RFC 5681 3.1 (2): slow start, cwnd += min(N, SMSS) (RFC 3465 2.2: up to L*SMSS).
      this.cwnd += slowStartIncrease(acked, this.mss, this.opts.abcLimit);
    } else {
      // RFC 5681 3.1 (3): congestion avoidance, about one SMSS per RTT.
      this.bytesAcked += acked;
      if (this.bytesAcked >= this.cwnd) {
        this.bytesAcked -= this.cwnd;
        this.cwnd += this.mss;
      }
    }
  }

  onDupAck(): void {
    // RFC 5681 3.2 (4): each additional duplicate ACK inflates cwnd by SMSS.
    this.cwnd += this.mss;
  }

  onLoss(kind: LossKind, flight: number): void {
    // RFC 5681 (4): ssthresh = max(FlightSize / 2, 2*SMSS).
    this.ssthresh = Math.max(Math.floor(flight / 2), 2 * this.mss);
    this.bytesAcked = 0;
    if (kind === 'rto') {
      // RFC 5681 3.1 (5): after an RTO, cwnd = loss window = 1 SMSS.
      this.cwnd = this.mss;
    } else {
      // RFC 5681 3.2 (3): cwnd = ssthresh + 3*SMSS.
      this.cwnd = this.ssthresh + 3 * this.mss;
    }
  }

  onEce(flight: number): void {
    // RFC 3168 6.1.2: "halves the congestion window cwnd and reduces ssthresh"; as RFC 5681 (4)
    // does for a loss: ssthresh = max(FlightSize / 2, 2*SMSS), then cwnd = ssthresh.
    this.ssthresh = Math.max(Math.floor(flight / 2), 2 * this.mss);
    this.cwnd = Math.min(this.cwnd, this.ssthresh);
    this.bytesAcked = 0;
  }

  onPartialAck(acked: number): void {
    // RFC 6582 3.2 (5): deflate by the amount acked, add back one SMSS if that was >= SMSS.
    this.cwnd = Math.max(this.mss, this.cwnd - acked + (acked >= this.mss ? this.mss : 0));
  }

  onRecoveryEnd(flight: number): void {
    // RFC 6582 3.2 (6) option 1: cwnd = min(ssthresh, max(FlightSize, SMSS) + SMSS).
    this.cwnd = Math.min(this.ssthresh, Math.max(flight, this.mss) + this.mss);
  }

  undo(cwnd: number, ssthresh: number): void {
    // RFC 4015 3.2: restore the congestion state from before the spurious reduction.
    this.cwnd = Math.max(this.cwnd, cwnd);
    this.ssthresh = Math.max(this.ssthresh, ssthresh);
  }

  onTransmitStart(now: number, idle: number, rto: number): void {
    void now;
    if (!(idle > rto) || this.opts.restartAfterIdle === false) return;
    // RFC 5681 4.1: idle longer than the RTO: cwnd = min(RW, cwnd), RW = the initial window.
    // RFC 2861 (as Linux tcp_cwnd_restart): ssthresh keeps 3/4 of the old cwnd, so slow start
    // climbs back quickly.
    const rw = this.initialWindow * this.mss;
    if (this.cwnd <= rw) return;
    this.ssthresh = Math.max(this.ssthresh, Math.floor((3 * this.cwnd) / 4));
    this.cwnd = rw;
    this.bytesAcked = 0;
  }
}

export function makeCongestionControl(
  name: 'cubic' | 'newreno',
  mss: number,
  initialWindow: number,
  opts: CcOptions = {},
): CongestionControl {
  return name === 'cubic' ? new Cubic(mss, initialWindow, opts) : new NewReno(mss, initialWindow, opts);
}
