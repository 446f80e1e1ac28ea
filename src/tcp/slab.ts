// Small byte arrays carved out of 64 KiB slabs shared by every connection (as Node's Buffer pool
// does): one allocation per 64 KiB rather than one per segment payload or per read. A carved
// array is never written again once handed out, so it may be kept (queued on a link, recorded,
// returned to the user) for as long as anyone likes. A caller wanting its ArrayBuffer must use
// byteOffset/byteLength. A slab a caller detached (transferred) has length 0 and is replaced.
const SLAB = 64 * 1024;
let slab = new Uint8Array(0);
let slabUsed = 0;

/** A fresh n-byte array (a view into a shared slab for n up to 16 KiB). */
export function carve(n: number): Uint8Array {
  if (n > SLAB / 4) return new Uint8Array(n);
  if (slabUsed + n > slab.length) {
    slab = new Uint8Array(SLAB);
    slabUsed = 0;
  }
  const out = slab.subarray(slabUsed, slabUsed + n);
  slabUsed += n;
  return out;
}

/** The ring of every buffer holding none: one shared empty array (never written: a buffer
 *  replaces it before the first byte goes in), not an ArrayBuffer per idle connection. */
export const NO_RING = new Uint8Array(0);
