// Tiny parsers for link options written as text: '5ms', '1.5s', '250us'; '10Mbit', '1Gbps',
// '64kbit', '1MBps' (capital B = bytes); '1%', '0.01'. Numbers pass through unchanged
// (durations in ms, rates in bits/s, probabilities in [0, 1]).

export class UnitError extends RangeError {
  override name = 'UnitError';
}

const DURATION: Record<string, number> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, ms: 1, s: 1000, sec: 1000, m: 60000, min: 60000 };

/** Duration in milliseconds. A bare number (or numeric string) is ms. */
export function parseDuration(v: number | string, what = 'duration'): number {
  if (typeof v === 'number') {
    if (!Number.isFinite(v) || v < 0) throw new UnitError(`${what}: expected a non-negative number of ms, got ${v}`);
    return v;
  }
  const m = /^\s*([0-9]*\.?[0-9]+(?:e[+-]?[0-9]+)?)\s*([a-zµ]*)\s*$/i.exec(v);
  const unit = m ? (m[2] || 'ms').toLowerCase() : '';
  if (!m || !(unit in DURATION)) throw new UnitError(`${what}: cannot parse '${v}' (try '5ms', '1.5s', '200us')`);
  return Number(m[1]) * DURATION[unit];
}

/** Rate in bits per second. bit/kbit/Mbit/Gbit and bps/kbps/Mbps/Gbps are bits (decimal
 *  prefixes); Bps/kBps/MBps/GBps (capital B) are bytes. A bare number is bits/s.
 *  0, Infinity, 'unlimited' and 'inf' mean no rate limit (returned as Infinity). */
export function parseRate(v: number | string, what = 'rate'): number {
  if (typeof v === 'number') {
    if (Number.isNaN(v) || v < 0) throw new UnitError(`${what}: expected bits/s >= 0, got ${v}`);
    return v === 0 ? Infinity : v;
  }
  const s = v.trim();
  if (/^(unlimited|inf|infinity|none|0)$/i.test(s)) return Infinity;
  const m = /^([0-9]*\.?[0-9]+(?:e[+-]?[0-9]+)?)\s*([kmgt]?)(bit|bps|Bps|b)?(?:\/s)?$/i.exec(s);
  if (!m) throw new UnitError(`${what}: cannot parse '${v}' (try '10Mbit', '1Gbps', '500kbit')`);
  const prefix = { '': 1, k: 1e3, m: 1e6, g: 1e9, t: 1e12 }[m[2].toLowerCase()]!;
  // Case matters only for the byte forms: 'Bps' and 'B' mean bytes.
  const bytes = m[3] === 'Bps' || m[3] === 'B';
  const n = Number(m[1]) * prefix * (bytes ? 8 : 1);
  return n === 0 ? Infinity : n;
}

/** Probability in [0, 1]: 0.01, '0.01' or '1%'. */
export function parseProbability(v: number | string, what = 'probability'): number {
  let p: number;
  if (typeof v === 'number') p = v;
  else {
    const m = /^\s*([0-9]*\.?[0-9]+(?:e[+-]?[0-9]+)?)\s*(%?)\s*$/.exec(v);
    if (!m) throw new UnitError(`${what}: cannot parse '${v}' (try '1%' or 0.01)`);
    p = Number(m[1]) / (m[2] ? 100 : 1);
  }
  if (!(p >= 0 && p <= 1)) throw new UnitError(`${what}: must be between 0 and 1 (or 0%..100%), got ${v}`);
  return p;
}

/** Non-negative integer count (queue limits, MTU). */
export function parseCount(v: number | string, what = 'count'): number {
  const n = typeof v === 'number' ? v : /^\s*[0-9]+\s*$/.test(v) ? Number(v) : NaN;
  if (!Number.isInteger(n) || n < 0) throw new UnitError(`${what}: expected a non-negative integer, got ${v}`);
  return n;
}
