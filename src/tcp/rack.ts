// RACK-TLP (RFC 8985): time-based loss detection. Pure bookkeeping: a log of the segments in
// flight with the time each was (last) sent; the connection feeds it transmissions and ACKs and
// asks which segments are lost. The tail loss probe's timing lives in the connection.
import { ge, gt, le, lt, sub } from './seq.js';

/** One transmitted segment (RFC 8985 5.1 per-segment variables). */
interface TxSeg {
  start: number;
  end: number;
  /** RFC 8985: Segment.xmit_ts, the time it was last (re)sent. */
  t: number;
  /** Transmission order (a counter): breaks ties between segments sent in the same clock tick. */
  n: number;
  /** RFC 8985: Segment.retransmitted. */
  rtx: boolean;
  /** SACKed (or ACKed) already: delivered. */
  sacked: boolean;
  /** Marked lost and not yet sent again. */
  lost: boolean;
}

/** The SACK scoreboard as RACK reads it: the end of the SACKed run covering a sequence number. */
export interface SackedEnds {
  sackedEnd(seq: number): number | undefined;
}

/** Segments in the log at most (the log is the send window; the oldest fall off past this). */
const MAX_LOG = 4096;

export class Rack {
  private segs: TxSeg[] = [];
  /** segs[head..] is the log: delivered segments leave from the front by moving `head` (the
   *  array is compacted now and then), not by shifting the whole array on every ACK. */
  private head = 0;
  /** RFC 8985 5.2: RACK.xmit_ts, RACK.end_seq, RACK.rtt, RACK.min_RTT, RACK.fack. */
  xmitTs = -Infinity;
  endSeq = 0;
  /** Transmission order of the segment that set RACK.xmit_ts. */
  private xmitN = -1;
  private txCount = 0;
  /** A retransmission restamped a segment in the log: transmission order no longer follows
   *  sequence order (false again once the log empties). Lets the common case stop scanning. */
  private restamped = false;
  rtt = 0;
  minRtt = Infinity;
  private fack: number | undefined;
  /** RFC 8985 5.2: RACK.reordering_seen. */
  reorderingSeen = false;
  /** RFC 8985 6.2 step 4: RACK.reo_wnd_mult, RACK.dsack_round, RACK.reo_wnd_persist. */
  reoWndMult = 1;
  private dsackRound: number | undefined;
  private reoWndPersist = 16;
  /** Retransmissions marked lost so far (a count that only grows). */
  lostRtxCount = 0;

  get size(): number {
    return this.segs.length - this.head;
  }

  clear(): void {
    this.segs.length = 0;
    this.head = 0;
    this.xmitTs = -Infinity;
    this.xmitN = -1;
    this.fack = undefined;
    this.restamped = false;
  }

  /** A transmission of [start, end) at `now`: new data is appended, a retransmission restamps the
   *  segments it covers (RFC 8985 6.1). */
  sent(start: number, end: number, now: number): void {
    if (!lt(start, end)) return;
    const segs = this.segs;
    const last = segs.length > this.head ? segs[segs.length - 1] : undefined;
    if (!last || ge(start, last.end)) {
      if (segs.length - this.head >= MAX_LOG) this.advance(this.head + 1);
      segs.push({ start, end, t: now, n: this.txCount++, rtx: false, sacked: false, lost: false });
      return;
    }
    for (let i = this.head; i < segs.length; i++) {
      const s = segs[i];
      if (le(end, s.start)) break;
      if (le(s.end, start)) continue;
      // A retransmission covering part of a segment (a smaller MSS now) splits it: the rest
      // keeps its own state.
      if (gt(start, s.start)) {
        segs.splice(i, 0, { ...s, end: start });
        s.start = start;
        i++;
      }
      if (lt(end, s.end)) {
        segs.splice(i + 1, 0, { ...s, start: end });
        s.end = end;
      }
      s.t = now;
      s.n = this.txCount;
      s.rtx = true;
      s.lost = false;
      this.restamped = true;
    }
    if (gt(end, last.end)) segs.push({ start: last.end, end, t: now, n: this.txCount, rtx: false, sacked: false, lost: false });
    this.txCount++;
  }

  /** RFC 8985 6.2 steps 1-3 for an ACK: everything below `una` and every segment `sacked` says
   *  is delivered; the most recently sent of those sets RACK.xmit_ts / end_seq / rtt. */
  onAck(una: number, sacked: SackedEnds | null, now: number): void {
    const segs = this.segs;
    let drop = 0;
    for (let i = this.head; i < segs.length; i++) {
      const s = segs[i];
      const cum = le(s.end, una);
      if (cum) drop = i + 1;
      // Nothing SACKed (`sacked` null): only the cumulatively acknowledged prefix is news.
      else if (sacked === null) break;
      if (s.sacked) continue;
      if (!cum) {
        const x = sacked!.sackedEnd(s.start);
        if (x === undefined || lt(x, s.end)) continue;
      }
      s.sacked = true;
      s.lost = false;
      const rtt = now - s.t;
      // Step 2: a retransmitted segment ACKed sooner than min_RTT after the retransmission was
      // delivered by the original: it says nothing about when.
      if (s.rtx && rtt < this.minRtt) continue;
      if (rtt >= 0 && rtt < this.minRtt) this.minRtt = rtt;
      // RACK_sent_after, with the transmission order for ties in time: RFC 8985 breaks them by
      // sequence number, which puts a retransmission sent in the same tick after new data
      // before it (and then a retransmission that is not lost looks lost).
      if (s.n > this.xmitN) {
        this.xmitTs = s.t;
        this.xmitN = s.n;
        this.endSeq = s.end;
        this.rtt = Math.max(0, rtt);
      }
      // Step 3: a segment delivered below the highest one delivered before was reordered.
      if (!s.rtx) {
        if (this.fack !== undefined && lt(s.end, this.fack)) this.reorderingSeen = true;
        else this.fack = s.end;
      }
    }
    if (drop > 0) this.advance(drop);
  }

  /** The log starts at segs[to]: drops what is before, compacting once half the array is dead. */
  private advance(to: number): void {
    const segs = this.segs;
    this.head = to;
    if (to >= segs.length) {
      segs.length = 0;
      this.head = 0;
      this.restamped = false;
    } else if (to >= 64 && 2 * to >= segs.length) {
      segs.splice(0, to);
      this.head = 0;
    }
  }

  /** RFC 8985 6.2 step 5 (RACK_detect_loss): marks lost every segment sent before the
   *  most recently delivered one by more than `reoWnd`. Returns how many are newly lost and the
   *  time until the next one would be (0: none pending). */
  detect(now: number, reoWnd: number): { lost: number; timeout: number } {
    let lost = 0;
    let timeout = 0;
    for (let i = this.head; i < this.segs.length; i++) {
      const s = this.segs[i];
      if (s.sacked || s.lost) continue;
      // RACK_sent_after(RACK.xmit_ts, RACK.end_seq, seg.xmit_ts, seg.end_seq)
      const before = this.xmitN > s.n;
      if (!before) {
        // Without retransmissions in the log, transmission order is sequence order: every later
        // segment was sent after this one too.
        if (!this.restamped) break;
        continue;
      }
      const remaining = s.t + this.rtt + reoWnd - now;
      if (remaining <= 0) {
        s.lost = true;
        lost++;
        if (s.rtx) this.lostRtxCount++;
      } else timeout = Math.max(timeout, remaining);
    }
    return { lost, timeout };
  }

  /** RFC 8985 6.2 step 4, on each ACK: at most one widening per round trip (until SND.UNA
   *  passes what was SND.NXT at the D-SACK); the widening persists for 16 recoveries. */
  onDsack(dsack: boolean, sndUna: number, sndNxt: number): void {
    if (this.dsackRound !== undefined && ge(sndUna, this.dsackRound)) this.dsackRound = undefined;
    if (dsack && this.dsackRound === undefined) {
      this.reoWndMult++;
      this.dsackRound = sndNxt;
      this.reoWndPersist = 16;
    }
  }

  /** A loss recovery starts: after 16 without a D-SACK the window narrows again. */
  onRecovery(): void {
    if (--this.reoWndPersist <= 0) {
      this.reoWndMult = 1;
      this.reoWndPersist = 16;
    }
  }

  /** The first segment marked lost and not sent again at or after `from`, if any. */
  nextLost(from: number): [number, number] | undefined {
    for (let i = this.head; i < this.segs.length; i++) {
      const s = this.segs[i];
      if (s.lost && gt(s.end, from)) return [lt(s.start, from) ? from : s.start, s.end];
    }
    return undefined;
  }

  /** Bytes of segments marked lost (not sent again) in [from, to): not in flight (RFC 6675 pipe). */
  lostBytes(from: number, to: number): number {
    let n = 0;
    for (let i = this.head; i < this.segs.length; i++) {
      const s = this.segs[i];
      if (!lt(s.start, to)) break;
      if (!s.lost || le(s.end, from)) continue;
      n += sub(lt(s.end, to) ? s.end : to, gt(s.start, from) ? s.start : from);
    }
    return n;
  }

  /** An RTO: every mark is off (go-back-N resends everything anyway). */
  clearLost(): void {
    for (let i = this.head; i < this.segs.length; i++) this.segs[i].lost = false;
  }
}
