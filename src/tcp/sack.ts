// The sender's SACK scoreboard (RFC 2018, RFC 6675): which bytes above SND.UNA the peer holds.
// Ranges are sorted, disjoint and not touching; sequence numbers compare modulo 2^32.
import { ge, gt, le, lt, sub } from './seq.js';

/** RFC 2883 4.1: the first SACK block of an ACK is a D-SACK when it lies at or below the
 *  cumulative ACK or inside the second block. */
export function isDsack(blocks: ReadonlyArray<readonly [number, number]> | undefined, ack: number): boolean {
  const b0 = blocks?.[0];
  if (b0 === undefined) return false;
  const b1 = blocks![1];
  return le(b0[1], ack) || (b1 !== undefined && ge(b0[0], b1[0]) && le(b0[1], b1[1]));
}

export class Scoreboard {
  /** [start, end) ranges the peer has SACKed, sorted. */
  readonly ranges: Array<[number, number]> = [];

  get empty(): boolean {
    return this.ranges.length === 0;
  }

  /** End of the highest SACKed range (RFC 6675 "HighData" side: what FACK calls fack). */
  get highest(): number | undefined {
    return this.ranges.length ? this.ranges[this.ranges.length - 1][1] : undefined;
  }

  sackedBytes(): number {
    let n = 0;
    for (const [s, e] of this.ranges) n += sub(e, s);
    return n;
  }

  /** Adds the blocks of one ACK that lie in (sndUna, sndMax]; D-SACK blocks (below the
   *  cumulative ACK) are skipped. Returns the bytes newly SACKed. */
  update(blocks: ReadonlyArray<readonly [number, number]>, sndUna: number, sndMax: number): number {
    let added = 0;
    for (const [l, r] of blocks) {
      if (!lt(l, r) || le(r, sndUna) || gt(r, sndMax)) continue;
      const s = lt(l, sndUna) ? sndUna : l;
      added += this.add(s, r);
    }
    return added;
  }

  private add(s: number, e: number): number {
    const before = this.sackedBytes();
    let i = 0;
    while (i < this.ranges.length && lt(this.ranges[i][1], s)) i++;
    let j = i;
    let ns = s;
    let ne = e;
    while (j < this.ranges.length && le(this.ranges[j][0], e)) {
      if (lt(this.ranges[j][0], ns)) ns = this.ranges[j][0];
      if (gt(this.ranges[j][1], ne)) ne = this.ranges[j][1];
      j++;
    }
    this.ranges.splice(i, j - i, [ns, ne]);
    return this.sackedBytes() - before;
  }

  /** Forgets everything at or below the cumulative ACK. */
  trim(sndUna: number): void {
    while (this.ranges.length && le(this.ranges[0][1], sndUna)) this.ranges.shift();
    if (this.ranges.length && lt(this.ranges[0][0], sndUna)) this.ranges[0][0] = sndUna;
  }

  clear(): void {
    this.ranges.length = 0;
  }

  /** If `seq` is SACKed, the end of its range. */
  sackedEnd(seq: number): number | undefined {
    for (const [s, e] of this.ranges) {
      if (gt(s, seq)) return undefined;
      if (lt(seq, e)) return e;
    }
    return undefined;
  }

  /** Start of the first SACKed range after `seq` (to clip a retransmission before it). */
  nextStart(seq: number): number | undefined {
    for (const [s] of this.ranges) if (gt(s, seq)) return s;
    return undefined;
  }

  /** The first un-SACKed range at or after `from` and below `limit`, or undefined. */
  holeAfter(from: number, limit: number): [number, number] | undefined {
    let at = from;
    for (const [s, e] of this.ranges) {
      if (le(e, at)) continue;
      if (lt(at, s)) return lt(s, limit) ? [at, s] : lt(at, limit) ? [at, limit] : undefined;
      at = e; // inside this range: skip past it
    }
    return lt(at, limit) ? [at, limit] : undefined;
  }

  /** SACKed bytes below `seq`. */
  sackedBelow(seq: number): number {
    let n = 0;
    for (const [s, e] of this.ranges) {
      if (le(seq, s)) break;
      n += sub(lt(seq, e) ? seq : e, s);
    }
    return n;
  }

  /** Un-SACKed bytes in [from, to). */
  holeBytes(from: number, to: number): number {
    let n = 0;
    let at = from;
    while (lt(at, to)) {
      const h = this.holeAfter(at, to);
      if (!h) break;
      n += sub(h[1], h[0]);
      at = h[1];
    }
    return n;
  }
}


