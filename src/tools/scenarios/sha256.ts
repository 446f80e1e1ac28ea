// SHA-256 (FIPS 180-4), incremental and synchronous, for verifying bulk transfers in the
// scenarios. Browser-safe: plain typed arrays, no node: imports, no WebCrypto (whose digest is
// asynchronous and one-shot).

const K = new Int32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);

/** Compress every whole 64-byte block of p[pos, pos+len) into state hs; returns bytes used.
 *  Reads straight from the Uint8Array into the caller's preallocated message schedule w (no
 *  allocation per block), keeps the working variables in locals, and unrolls the rounds by
 *  eight with the variables renamed instead of shifted (round t uses a..h rotated by t mod 8;
 *  FIPS 180-4 6.2.2). Faster than a rolled loop, and small enough that V8 optimises it early
 *  (a fully unrolled version was faster warm but slower on a fresh process's first run). */
function hashBlocks(w: Int32Array, hs: Int32Array, p: Uint8Array, pos: number, len: number): number {
  let a = hs[0] | 0, b = hs[1] | 0, c = hs[2] | 0, d = hs[3] | 0, e = hs[4] | 0, f = hs[5] | 0, g = hs[6] | 0, h = hs[7] | 0;
  let t1 = 0, t2 = 0, u = 0, i = 0, j = 0;
  const start = pos;
  while (len >= 64) {
    for (i = 0; i < 16; i++) {
      j = pos + (i << 2);
      w[i] = (p[j] << 24) | (p[j + 1] << 16) | (p[j + 2] << 8) | p[j + 3];
    }
    for (i = 16; i < 64; i++) {
      u = w[i - 2];
      t1 = ((u >>> 17) | (u << 15)) ^ ((u >>> 19) | (u << 13)) ^ (u >>> 10);
      u = w[i - 15];
      t2 = ((u >>> 7) | (u << 25)) ^ ((u >>> 18) | (u << 14)) ^ (u >>> 3);
      w[i] = (t1 + w[i - 7] + t2 + w[i - 16]) | 0;
    }
    for (i = 0; i < 64; i += 8) {
      t1 = (h + (((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7))) + ((e & f) ^ (~e & g)) + K[i] + w[i]) | 0;
      d = (d + t1) | 0;
      h = (t1 + (((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10))) + ((a & b) ^ (a & c) ^ (b & c))) | 0;
      t1 = (g + (((d >>> 6) | (d << 26)) ^ ((d >>> 11) | (d << 21)) ^ ((d >>> 25) | (d << 7))) + ((d & e) ^ (~d & f)) + K[i + 1] + w[i + 1]) | 0;
      c = (c + t1) | 0;
      g = (t1 + (((h >>> 2) | (h << 30)) ^ ((h >>> 13) | (h << 19)) ^ ((h >>> 22) | (h << 10))) + ((h & a) ^ (h & b) ^ (a & b))) | 0;
      t1 = (f + (((c >>> 6) | (c << 26)) ^ ((c >>> 11) | (c << 21)) ^ ((c >>> 25) | (c << 7))) + ((c & d) ^ (~c & e)) + K[i + 2] + w[i + 2]) | 0;
      b = (b + t1) | 0;
      f = (t1 + (((g >>> 2) | (g << 30)) ^ ((g >>> 13) | (g << 19)) ^ ((g >>> 22) | (g << 10))) + ((g & h) ^ (g & a) ^ (h & a))) | 0;
      t1 = (e + (((b >>> 6) | (b << 26)) ^ ((b >>> 11) | (b << 21)) ^ ((b >>> 25) | (b << 7))) + ((b & c) ^ (~b & d)) + K[i + 3] + w[i + 3]) | 0;
      a = (a + t1) | 0;
      e = (t1 + (((f >>> 2) | (f << 30)) ^ ((f >>> 13) | (f << 19)) ^ ((f >>> 22) | (f << 10))) + ((f & g) ^ (f & h) ^ (g & h))) | 0;
      t1 = (d + (((a >>> 6) | (a << 26)) ^ ((a >>> 11) | (a << 21)) ^ ((a >>> 25) | (a << 7))) + ((a & b) ^ (~a & c)) + K[i + 4] + w[i + 4]) | 0;
      h = (h + t1) | 0;
      d = (t1 + (((e >>> 2) | (e << 30)) ^ ((e >>> 13) | (e << 19)) ^ ((e >>> 22) | (e << 10))) + ((e & f) ^ (e & g) ^ (f & g))) | 0;
      t1 = (c + (((h >>> 6) | (h << 26)) ^ ((h >>> 11) | (h << 21)) ^ ((h >>> 25) | (h << 7))) + ((h & a) ^ (~h & b)) + K[i + 5] + w[i + 5]) | 0;
      g = (g + t1) | 0;
      c = (t1 + (((d >>> 2) | (d << 30)) ^ ((d >>> 13) | (d << 19)) ^ ((d >>> 22) | (d << 10))) + ((d & e) ^ (d & f) ^ (e & f))) | 0;
      t1 = (b + (((g >>> 6) | (g << 26)) ^ ((g >>> 11) | (g << 21)) ^ ((g >>> 25) | (g << 7))) + ((g & h) ^ (~g & a)) + K[i + 6] + w[i + 6]) | 0;
      f = (f + t1) | 0;
      b = (t1 + (((c >>> 2) | (c << 30)) ^ ((c >>> 13) | (c << 19)) ^ ((c >>> 22) | (c << 10))) + ((c & d) ^ (c & e) ^ (d & e))) | 0;
      t1 = (a + (((f >>> 6) | (f << 26)) ^ ((f >>> 11) | (f << 21)) ^ ((f >>> 25) | (f << 7))) + ((f & g) ^ (~f & h)) + K[i + 7] + w[i + 7]) | 0;
      e = (e + t1) | 0;
      a = (t1 + (((b >>> 2) | (b << 30)) ^ ((b >>> 13) | (b << 19)) ^ ((b >>> 22) | (b << 10))) + ((b & c) ^ (b & d) ^ (c & d))) | 0;
    }
    a = hs[0] = (hs[0] + a) | 0;
    b = hs[1] = (hs[1] + b) | 0;
    c = hs[2] = (hs[2] + c) | 0;
    d = hs[3] = (hs[3] + d) | 0;
    e = hs[4] = (hs[4] + e) | 0;
    f = hs[5] = (hs[5] + f) | 0;
    g = hs[6] = (hs[6] + g) | 0;
    h = hs[7] = (hs[7] + h) | 0;
    pos += 64;
    len -= 64;
  }
  return pos - start;
}

export class Sha256 {
  private readonly h = new Int32Array([
    0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
  ]);
  private readonly buf = new Uint8Array(64);
  private readonly w = new Int32Array(64);
  private bufLen = 0;
  /** Total bytes hashed (a double: exact up to 2^53). */
  private total = 0;
  private done = false;

  update(data: Uint8Array): this {
    if (this.done) throw new Error('Sha256: update after digest');
    this.total += data.length;
    let i = 0;
    if (this.bufLen > 0) {
      const n = Math.min(64 - this.bufLen, data.length);
      this.buf.set(data.subarray(0, n), this.bufLen);
      this.bufLen += n;
      i = n;
      if (this.bufLen < 64) return this;
      hashBlocks(this.w, this.h, this.buf, 0, 64);
      this.bufLen = 0;
    }
    i += hashBlocks(this.w, this.h, data, i, data.length - i);
    if (i < data.length) {
      this.buf.set(data.subarray(i), 0);
      this.bufLen = data.length - i;
    }
    return this;
  }

  digest(): Uint8Array {
    if (!this.done) {
      const bits = this.total * 8;
      const pad = new Uint8Array(this.bufLen < 56 ? 64 - this.bufLen : 128 - this.bufLen);
      pad[0] = 0x80;
      const v = new DataView(pad.buffer);
      v.setUint32(pad.length - 8, Math.floor(bits / 4294967296));
      v.setUint32(pad.length - 4, bits >>> 0);
      this.total -= pad.length; // update() counts the padding; undo that
      this.update(pad);
      this.done = true;
    }
    const out = new Uint8Array(32);
    const v = new DataView(out.buffer);
    for (let i = 0; i < 8; i++) v.setInt32(i * 4, this.h[i]);
    return out;
  }

  hex(): string {
    return toHex(this.digest());
  }
}

/** SHA-256 of `data` as lowercase hex. */
export function sha256Hex(data: Uint8Array): string {
  return new Sha256().update(data).hex();
}

export function toHex(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i++) s += (b[i] < 16 ? '0' : '') + b[i].toString(16);
  return s;
}
