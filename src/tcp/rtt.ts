// RFC 6298: the retransmission timer. SRTT/RTTVAR from samples, Karn's algorithm (the caller
// only feeds samples from segments that were not retransmitted, or from timestamps), and
// exponential back-off bounded by the configured floor and ceiling (Linux: 200 ms, 120 s).

export class RttEstimator {
  srtt: number | undefined;
  rttvar = 0;
  /** The RTO before back-off. */
  private baseRto: number;
  /** Number of back-offs applied since the last valid sample. */
  backoffs = 0;

  constructor(
    private readonly rtoMin: number,
    private readonly rtoMax: number,
    rtoInitial: number,
    /** ConnectionConfig.rtoSlop: added once the RTO is measured or backed off. */
    private readonly slop = 0,
  ) {
    // RFC 6298 (2.1): until a measurement is made, RTO = 1 s (configurable).
    this.baseRto = rtoInitial;
  }

  /** The current RTO, back-off included. */
  get rto(): number {
    const slop = this.srtt !== undefined || this.backoffs > 0 ? this.slop : 0;
    return Math.min(this.rtoMax, this.baseRto * 2 ** this.backoffs + slop);
  }

  /** RFC 6298 (2.2), (2.3): a new RTT measurement `r` (ms). */
  sample(r: number): void {
    r = Math.max(0, r);
    if (this.srtt === undefined) {
      this.srtt = r;
      this.rttvar = r / 2;
    } else {
      // alpha = 1/8, beta = 1/4
      this.rttvar = 0.75 * this.rttvar + 0.25 * Math.abs(this.srtt - r);
      this.srtt = 0.875 * this.srtt + 0.125 * r;
    }
    // RFC 6298 (2.4), (2.5): RTO = SRTT + max(G, 4*RTTVAR), clamped (G = 1 ms clock).
    this.baseRto = Math.min(this.rtoMax, Math.max(this.rtoMin, this.srtt + Math.max(1, 4 * this.rttvar)));
    // RFC 6298 (5.7) note: a new sample after back-off resets it.
    this.backoffs = 0;
  }

  /** RFC 6298 (5.5): the timer expired; double the RTO (up to the ceiling). */
  backoff(): void {
    if (this.rto < this.rtoMax) this.backoffs++;
  }

  /** RFC 6298 (5.7): after SYN timeouts, the RTO for data starts again at 3 s unless measured. */
  resetBackoff(): void {
    this.backoffs = 0;
  }
}
