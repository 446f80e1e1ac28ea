// Heap measurement for leak checks: a full GC first when one can be had (node --expose-gc, or
// the flag set at run time), so heapUsed reflects live objects.
import v8 from 'node:v8';
import vm from 'node:vm';

let gcFn: (() => void) | null = null;
function getGc(): (() => void) | null {
  if (gcFn) return gcFn;
  const g = (globalThis as { gc?: () => void }).gc;
  if (typeof g === 'function') return (gcFn = g);
  try {
    v8.setFlagsFromString('--expose-gc');
    gcFn = vm.runInNewContext('gc') as () => void;
  } catch {
    gcFn = null;
  }
  return gcFn;
}

/** process.memoryUsage().heapUsed after a full GC (when available). */
export function heapUsed(): number {
  const gc = getGc();
  if (gc) {
    gc();
    gc();
  }
  return process.memoryUsage().heapUsed;
}

export function gcAvailable(): boolean {
  return getGc() !== null;
}
