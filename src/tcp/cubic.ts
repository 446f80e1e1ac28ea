// CUBIC congestion control (RFC 9438) behind the CongestionControl interface. Pure: no clock of
// its own, `now` (ms) is handed in. The curve is computed in segments (as the RFC writes it) and
// cwnd is kept in bytes (as the interface does); W_max and W_est are kept in bytes too, so a
// change of MSS only rescales the unit the curve is evaluated in.
//
// RFC 9438 4.2 needs an RTT for the target W_cubic(t + RTT): `onAck` takes it as its optional
// third argument (the connection passes its SRTT); when it is not given the target is W_cubic(t)
// (RTT taken as 0), which only makes the growth lag the curve by one RTT.

import { isCwndLimited, slowStartIncrease, type CcOptions, type CongestionControl, type CwndUsage, type LossKind } from './congestion.js';

/** RFC 9438 5.1: C = 0.4 (segments / s^3). */
export const CUBIC_C = 0.4;
/** RFC 9438 4.6: beta_cubic = 0.7. */
export const CUBIC_BETA = 0.7;
/** RFC 9438 4.3: alpha_cubic = 3 * (1 - beta) / (1 + beta), the Reno-friendly additive increase. */
export const CUBIC_ALPHA = (3 * (1 - CUBIC_BETA)) / (1 + CUBIC_BETA);

/** Windows never grow past this (32-bit window arithmetic everywhere else). */
const MAX_WINDOW = 0x7fffffff;
/** Without an RTT, an ACK gap this long (ms) is taken as idleness (RFC 6298 (2.1) initial RTO). */
const IDLE_GAP_NO_RTT = 1000;

/** RFC 6928: IW = min(10*MSS, max(2*MSS, 14600)); generalised to the configured segment count. */
export function initialWindowBytes(mss: number, segments: number): number {
  return Math.min(segments * mss, Math.max(2 * mss, segments * 1460));
}

/** RFC 9438 4.1 eq. 2: K = cubic_root((W_max - cwnd_epoch) / C), windows in segments, K in s. */
export function cubicK(wMaxSeg: number, cwndEpochSeg: number, c = CUBIC_C): number {
  return Math.cbrt(Math.max(0, wMaxSeg - cwndEpochSeg) / c);
}

/** RFC 9438 4.1 eq. 1: W_cubic(t) = C * (t - K)^3 + W_max, in segments, t in s. */
export function wCubic(t: number, k: number, wMaxSeg: number, c = CUBIC_C): number {
  return c * (t - k) ** 3 + wMaxSeg;
}

export class Cubic implements CongestionControl {
  readonly name = 'cubic';
  /** cwnd in bytes, fractional; `cwnd` exposes it floored. */
  private w: number;
  ssthresh = MAX_WINDOW;

  /** RFC 9438 4.1: start of the current congestion-avoidance epoch (ms), undefined = none yet. */
  private epochStart: number | undefined;
  /** RFC 9438 4.1: K (s) of the current epoch. */
  private k = 0;
  /** RFC 9438 4.1: W_max (bytes), the window just before the last reduction. 0: no loss yet. */
  private wMax = 0;
  /** RFC 9438 4.3: W_est (bytes), the Reno-friendly estimate. */
  private wEst = 0;
  /** RFC 9438 4.3: cwnd_prior (bytes), the window when ssthresh was last set. */
  private cwndPrior = 0;
  /** RFC 9438 4.3: alpha_cubic, or 1 once W_est has reached cwnd_prior. */
  private alpha = CUBIC_ALPHA;
  /** RFC 9438 4.8: the next epoch is the first congestion avoidance after a timeout. */
  private afterRto = false;
  /** A timeout with no ACK since: a repeated timeout keeps ssthresh (RFC 5681 (4) note). */
  private rtoPending = false;
  /** Between onLoss('fast') and onRecoveryEnd (or a timeout). */
  private recovering = false;
  /** Time of the last ACK seen by onAck (ms), for the idle detection of RFC 9438 5.8. */
  private lastAck: number | undefined;
  /** The last RTT handed to onAck (ms), if any. */
  private rtt: number | undefined;
  /** onTransmitStart has been called: idle periods are known from transmissions, so the
   *  ACK-gap estimate in onAck stays off (it would shift the epoch twice). */
  private txHooked = false;
  /** The state before the last fast-recovery reduction, for undo() (RFC 4015). */
  private prior: { wMax: number; cwndPrior: number; k: number; epochStart: number | undefined; wEst: number; alpha: number } | undefined;

  constructor(
    private mss: number,
    private readonly initialWindow: number,
    private readonly opts: CcOptions = {},
  ) {
    // RFC 9438 4.10 / RFC 5681 3.1: start in slow start from the RFC 6928 initial window.
    this.w = initialWindowBytes(mss, initialWindow);
  }

  get cwnd(): number {
    return Math.floor(this.w);
  }

  /** The curve's state, for tests and traces (windows in bytes, K in s, epoch start in ms). */
  snapshot(): { wMax: number; k: number; wEst: number; epochStart: number | undefined; alpha: number } {
    return { wMax: this.wMax, k: this.k, wEst: this.wEst, epochStart: this.epochStart, alpha: this.alpha };
  }

  setMss(mss: number): void {
    if (!(mss > 0) || !Number.isFinite(mss)) return;
    this.mss = mss;
    this.w = Math.max(this.w, mss);
  }

  /** New data acknowledged outside recovery. `rtt` (ms, optional): the current RTT estimate;
   *  `usage` (optional): how much of cwnd the sender used. */
  onAck(acked: number, now: number, rtt?: number, usage?: CwndUsage): void {
    if (!(acked > 0) || !Number.isFinite(acked) || !Number.isFinite(now)) return;
    if (rtt !== undefined && Number.isFinite(rtt) && rtt >= 0) this.rtt = rtt;
    this.rtoPending = false;
    const gap = this.lastAck === undefined || this.txHooked ? 0 : now - this.lastAck;
    this.lastAck = now;

    // RFC 9438 5.8: "CUBIC does not increase the congestion window if a flow is application
    // limited" (Linux bictcp_cong_avoid: tcp_is_cwnd_limited).
    if (!isCwndLimited(this.w, this.ssthresh, usage)) return;

    if (this.w < this.ssthresh) {
      // RFC 5681 3.1 (2) with RFC 3465 2.2 (L*SMSS per ACK, L = 2 by default): slow start.
      const inc = slowStartIncrease(acked, this.mss, this.opts.abcLimit);
      this.setW(Math.min(this.w + inc, Math.max(this.ssthresh, this.w)));
      return;
    }

    if (this.epochStart === undefined) {
      this.startEpoch(now);
    } else {
      // RFC 9438 5.8: t excludes idle periods. With no hook on transmission, idleness shows as
      // an ACK gap far longer than an RTT; shift the epoch by it (less the RTT the first ACK
      // after idleness takes), so cwnd does not leap along the curve for time spent unused.
      const threshold = this.rtt !== undefined ? Math.max(2 * this.rtt, 200) : IDLE_GAP_NO_RTT;
      if (gap > threshold) this.epochStart += gap - (this.rtt ?? 0);
    }

    const mss = this.mss;
    const t = Math.max(0, now - (this.epochStart ?? now)) / 1000;
    const rttS = (this.rtt ?? 0) / 1000;
    const wMaxSeg = this.wMax / mss;

    // RFC 9438 4.3: W_est += alpha_cubic * segments_acked / cwnd (segments), in bytes here.
    this.wEst += (this.alpha * acked * mss) / this.w;
    if (this.alpha !== 1 && this.wEst >= this.cwndPrior) this.alpha = 1;

    const wCubicNow = wCubic(t, this.k, wMaxSeg) * mss;
    if (wCubicNow < this.wEst) {
      // RFC 9438 4.3: the Reno-friendly region.
      this.setW(Math.max(this.w, this.wEst));
      return;
    }
    // RFC 9438 4.2: target = W_cubic(t + RTT), clamped to [cwnd, 1.5*cwnd]; concave (4.4) while
    // below W_max, convex (4.5) above it. cwnd += (target - cwnd) / cwnd per segment acked.
    const target = Math.min(1.5 * this.w, Math.max(this.w, wCubic(t + rttS, this.k, wMaxSeg) * mss));
    this.setW(this.w + ((target - this.w) * acked) / this.w);
  }

  onDupAck(): void {
    // RFC 5681 3.2 (4) / RFC 6582 3.2 (4): each further duplicate ACK inflates cwnd by SMSS.
    this.setW(this.w + this.mss);
  }

  onLoss(kind: LossKind, flight: number, now: number): void {
    void flight; // RFC 9438 4.6 allows cwnd or FlightSize; we take cwnd (W_max is a cwnd).
    void now;
    const repeatedRto = kind === 'rto' && this.rtoPending;
    // RFC 4015: remember what a spurious fast retransmit would have to restore.
    this.prior =
      kind === 'fast' && !this.recovering
        ? { wMax: this.wMax, cwndPrior: this.cwndPrior, k: this.k, epochStart: this.epochStart, wEst: this.wEst, alpha: this.alpha }
        : undefined;
    if (!repeatedRto) {
      // The window the reduction applies to: during recovery cwnd is inflated by duplicate
      // ACKs, so the already-reduced ssthresh stands for it.
      const base = this.recovering ? Math.min(this.w, this.ssthresh) : this.w;
      // RFC 9438 4.7: fast convergence. A reduction below the last W_max means the flow is
      // losing share: release more, W_max = cwnd * (1 + beta) / 2.
      this.wMax = base < this.wMax ? (base * (1 + CUBIC_BETA)) / 2 : base;
      // RFC 9438 4.6: ssthresh = cwnd * beta, at least 2 segments.
      this.cwndPrior = base;
      this.ssthresh = Math.max(Math.floor(base * CUBIC_BETA), 2 * this.mss);
    }
    // RFC 9438 4.6: a new epoch starts at the first ACK after the reduction.
    this.epochStart = undefined;
    this.alpha = CUBIC_ALPHA;
    this.lastAck = undefined;
    if (kind === 'rto') {
      // RFC 9438 4.8 / RFC 5681 3.1 (5): cwnd = loss window = 1 SMSS, then slow start.
      this.w = this.mss;
      this.afterRto = true;
      this.rtoPending = true;
      this.recovering = false;
    } else {
      // RFC 9438 4.6: cwnd = ssthresh (the recovery's inflation comes from onDupAck).
      this.w = this.ssthresh;
      this.afterRto = false;
      this.recovering = true;
    }
  }

  /** RFC 9438 4.6 / RFC 3168 6.1.2: an ECE is a congestion event like a loss (beta_cubic,
   *  fast convergence, a new epoch), with cwnd = ssthresh at once and no recovery to end. */
  onEce(flight: number, now: number): void {
    if (this.recovering) return;
    this.onLoss('fast', flight, now);
    this.recovering = false;
    this.prior = undefined; // not a loss Eifel could find spurious
  }

  onPartialAck(acked: number): void {
    // RFC 6582 3.2 (5): deflate by the amount acked, add back one SMSS if that was >= SMSS.
    if (!(acked >= 0) || !Number.isFinite(acked)) return;
    this.rtoPending = false;
    this.setW(this.w - acked + (acked >= this.mss ? this.mss : 0));
  }

  onRecoveryEnd(flight: number): void {
    // RFC 6582 3.2 (6) option 1: cwnd = min(ssthresh, max(FlightSize, SMSS) + SMSS). The
    // epoch starts at the next ACK (RFC 9438 4.6).
    this.rtoPending = false;
    this.recovering = false;
    const f = Number.isFinite(flight) ? Math.max(flight, this.mss) : this.mss;
    this.setW(Math.min(this.ssthresh, f + this.mss));
    this.epochStart = undefined;
  }

  /** RFC 4015 3.2 / RFC 9438 4.9: the reduction was spurious (Eifel detected that the original
   *  segment arrived): go back to cwnd, ssthresh and W_max from before it, and carry on along
   *  the curve of the epoch that was interrupted. */
  undo(cwnd: number, ssthresh: number): void {
    this.recovering = false;
    this.rtoPending = false;
    this.setW(Math.max(this.w, cwnd));
    this.ssthresh = Math.max(this.ssthresh, ssthresh);
    const p = this.prior;
    this.prior = undefined;
    if (!p) return;
    this.wMax = p.wMax;
    this.cwndPrior = p.cwndPrior;
    this.k = p.k;
    this.epochStart = p.epochStart;
    this.wEst = p.wEst;
    this.alpha = p.alpha;
  }

  /** Data goes out with nothing in flight after `idle` ms without sending. */
  onTransmitStart(now: number, idle: number, rto: number): void {
    if (!Number.isFinite(now) || !(idle >= 0) || !Number.isFinite(idle)) return;
    this.txHooked = true;
    if (idle > rto && this.opts.restartAfterIdle !== false) {
      // RFC 5681 4.1 (RFC 9438 5.8 defers to it): restart from the initial window, min(RW,
      // cwnd). Like Linux tcp_cwnd_restart (RFC 2861), ssthresh keeps 3/4 of the old cwnd so
      // slow start climbs back; the curve starts a new epoch when congestion avoidance resumes.
      const rw = initialWindowBytes(this.mss, this.initialWindow);
      if (this.w > rw) {
        this.ssthresh = Math.max(this.ssthresh, Math.floor((3 * this.w) / 4));
        this.w = rw;
      }
      this.epochStart = undefined;
      return;
    }
    // RFC 9438 5.8: the time the flow was idle is not curve time (Linux bictcp_cwnd_event
    // CA_EVENT_TX_START shifts the epoch by it).
    if (this.epochStart !== undefined && idle > 0) this.epochStart = Math.min(now, this.epochStart + idle);
  }

  /** RFC 9438 4.1: a new epoch at `now`, from the current cwnd. */
  private startEpoch(now: number): void {
    this.epochStart = now;
    const cwndEpoch = this.w;
    if (this.afterRto || this.wMax <= cwndEpoch) {
      // RFC 9438 4.8: the first congestion avoidance after a timeout uses K = 0 and
      // W_max = cwnd at its start; likewise when cwnd already stands at or above W_max.
      this.afterRto = false;
      this.wMax = cwndEpoch;
      this.k = 0;
    } else {
      this.k = cubicK(this.wMax / this.mss, cwndEpoch / this.mss);
    }
    // RFC 9438 4.3: W_est = cwnd_epoch.
    this.wEst = cwndEpoch;
    if (this.cwndPrior === 0) this.cwndPrior = cwndEpoch;
  }

  private setW(w: number): void {
    // Never below 1 SMSS (the loss window), never NaN, never past the 32-bit window.
    this.w = Number.isFinite(w) ? Math.min(MAX_WINDOW, Math.max(this.mss, w)) : this.mss;
  }
}
