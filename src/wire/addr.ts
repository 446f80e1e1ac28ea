// IP address text <-> bytes. IPv4 dotted quad (RFC 791 style, no octal/short forms), IPv6 text
// forms of RFC 4291 2.2 (incl. '::' and embedded IPv4), canonical output per RFC 5952 4.

function parseDecimalOctet(text: string, start: number, end: number): number {
  const n = end - start;
  if (n < 1 || n > 3) return -1;
  // Leading zeros are ambiguous (octal in inet_aton), so reject them.
  if (n > 1 && text.charCodeAt(start) === 48) return -1;
  let v = 0;
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return -1;
    v = v * 10 + c;
  }
  return v > 255 ? -1 : v;
}

function parseIPv4Into(text: string, out: Uint8Array, offset: number): boolean {
  let part = 0;
  let start = 0;
  for (let i = 0; i <= text.length; i++) {
    if (i === text.length || text.charCodeAt(i) === 46 /* . */) {
      if (part > 3) return false;
      const v = parseDecimalOctet(text, start, i);
      if (v < 0) return false;
      out[offset + part++] = v;
      start = i + 1;
    }
  }
  return part === 4;
}

/** '192.0.2.1' -> 4 bytes, or null. */
export function parseIPv4(text: string): Uint8Array | null {
  if (typeof text !== 'string' || text.length > 15) return null;
  const out = new Uint8Array(4);
  return parseIPv4Into(text, out, 0) ? out : null;
}

function parseHexGroup(text: string): number {
  if (text.length < 1 || text.length > 4) return -1;
  let v = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    let d: number;
    if (c >= 48 && c <= 57) d = c - 48;
    else if (c >= 97 && c <= 102) d = c - 87;
    else if (c >= 65 && c <= 70) d = c - 55;
    else return -1;
    v = (v << 4) | d;
  }
  return v;
}

/** RFC 4291 2.2 text forms: 'x:x:x:x:x:x:x:x', '::' compression, 'x:x:x:x:x:x:d.d.d.d'. */
export function parseIPv6(text: string): Uint8Array | null {
  if (typeof text !== 'string' || text.length < 2 || text.length > 45) return null;
  const out = new Uint8Array(16);
  const dbl = text.indexOf('::');
  if (dbl !== -1 && text.indexOf('::', dbl + 1) !== -1) return null;
  const headText = dbl === -1 ? text : text.slice(0, dbl);
  const tailText = dbl === -1 ? '' : text.slice(dbl + 2);
  const head = headText === '' ? [] : headText.split(':');
  const tail = tailText === '' ? [] : tailText.split(':');
  // Words from each side; an embedded IPv4 may only be the last piece (RFC 4291 2.2 item 3).
  const words: number[] = [];
  const parseSide = (parts: string[], isLast: boolean, into: number[]): boolean => {
    for (let i = 0; i < parts.length; i++) {
      const p = parts[i];
      if (isLast && i === parts.length - 1 && p.indexOf('.') !== -1) {
        const v4 = new Uint8Array(4);
        if (!parseIPv4Into(p, v4, 0)) return false;
        into.push((v4[0] << 8) | v4[1], (v4[2] << 8) | v4[3]);
        continue;
      }
      const g = parseHexGroup(p);
      if (g < 0) return false;
      into.push(g);
    }
    return true;
  };
  const tailWords: number[] = [];
  if (!parseSide(head, dbl === -1, words)) return null;
  if (!parseSide(tail, true, tailWords)) return null;
  if (dbl === -1) {
    if (words.length !== 8) return null;
  } else if (words.length + tailWords.length > 7) {
    return null; // '::' stands for one or more zero groups
  }
  for (let i = 0; i < words.length; i++) {
    out[i * 2] = words[i] >> 8;
    out[i * 2 + 1] = words[i] & 0xff;
  }
  const base = 8 - tailWords.length;
  for (let i = 0; i < tailWords.length; i++) {
    out[(base + i) * 2] = tailWords[i] >> 8;
    out[(base + i) * 2 + 1] = tailWords[i] & 0xff;
  }
  return out;
}

export function formatIPv4(bytes: Uint8Array): string {
  return `${bytes[0]}.${bytes[1]}.${bytes[2]}.${bytes[3]}`;
}

/** RFC 5952 4: lowercase, no leading zeros, longest (first on tie) run of >= 2 zero groups as '::'. */
export function formatIPv6(bytes: Uint8Array): string {
  // RFC 5952 5: IPv4-mapped addresses keep the dotted quad.
  let mapped = bytes[10] === 0xff && bytes[11] === 0xff;
  for (let i = 0; i < 10 && mapped; i++) if (bytes[i] !== 0) mapped = false;
  if (mapped) return `::ffff:${bytes[12]}.${bytes[13]}.${bytes[14]}.${bytes[15]}`;
  let bestStart = -1;
  let bestLen = 1;
  let runStart = -1;
  for (let i = 0; i <= 8; i++) {
    const zero = i < 8 && bytes[i * 2] === 0 && bytes[i * 2 + 1] === 0;
    if (zero) {
      if (runStart < 0) runStart = i;
    } else if (runStart >= 0) {
      if (i - runStart > bestLen) {
        bestStart = runStart;
        bestLen = i - runStart;
      }
      runStart = -1;
    }
  }
  let s = '';
  for (let i = 0; i < 8; i++) {
    if (i === bestStart) {
      s += '::';
      i += bestLen - 1;
      continue;
    }
    if (s !== '' && !s.endsWith(':')) s += ':';
    s += ((bytes[i * 2] << 8) | bytes[i * 2 + 1]).toString(16);
  }
  return s;
}

export function parseAddr(text: string): { family: 4 | 6; bytes: Uint8Array } | null {
  const v4 = parseIPv4(text);
  if (v4) return { family: 4, bytes: v4 };
  const v6 = parseIPv6(text);
  return v6 ? { family: 6, bytes: v6 } : null;
}

/** 4 bytes -> dotted quad, 16 bytes -> RFC 5952 text; anything else -> '?'. */
export function formatAddr(bytes: Uint8Array): string {
  if (bytes.length === 4) return formatIPv4(bytes);
  if (bytes.length === 16) return formatIPv6(bytes);
  return '?';
}

export function isIPv4(text: string): boolean {
  return parseIPv4(text) !== null;
}

export function isIPv6(text: string): boolean {
  return parseIPv6(text) !== null;
}

/** '10.0.0.1/24' or '2001:db8::/32' -> address bytes and prefix length, or null. */
export function parseCidr(text: string): { family: 4 | 6; bytes: Uint8Array; prefix: number } | null {
  if (typeof text !== 'string') return null;
  const slash = text.indexOf('/');
  if (slash < 0) return null;
  const a = parseAddr(text.slice(0, slash));
  const p = text.slice(slash + 1);
  if (!a || !/^(0|[1-9][0-9]{0,2})$/.test(p)) return null;
  const prefix = Number(p);
  if (prefix > (a.family === 4 ? 32 : 128)) return null;
  return { family: a.family, bytes: a.bytes, prefix };
}

/** True when the first `prefix` bits of addr and net match (same family only). */
export function inPrefix(addr: Uint8Array, net: Uint8Array, prefix: number): boolean {
  if (addr.length !== net.length || prefix < 0 || prefix > addr.length * 8) return false;
  const whole = prefix >> 3;
  for (let i = 0; i < whole; i++) if (addr[i] !== net[i]) return false;
  const rem = prefix & 7;
  if (rem === 0) return true;
  const mask = (0xff << (8 - rem)) & 0xff;
  return (addr[whole] & mask) === (net[whole] & mask);
}

/** Byte-wise equality of two addresses. */
export function addrEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
