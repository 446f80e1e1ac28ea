// Small helpers shared by the benches: time, sizes, memory, formatting.
import v8 from 'node:v8';
import vm from 'node:vm';

export const nowMs = (): number => performance.now();

/** '1G', '100M', '64K', '12345' -> bytes (powers of 1024 for K/M/G). */
export function parseBytes(s: string): number {
  const m = /^([0-9]+(?:\.[0-9]+)?)\s*([kmgKMG]?)[bB]?$/.exec(s.trim());
  if (!m) throw new Error(`bench: bad size '${s}' (try 1G, 100M, 64K)`);
  const mul = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[m[2].toLowerCase() as '' | 'k' | 'm' | 'g'];
  return Math.round(Number(m[1]) * mul);
}

export function fmtBytes(n: number): string {
  if (n >= 1024 ** 3) return `${(n / 1024 ** 3).toFixed(n % 1024 ** 3 ? 2 : 0)} GiB`;
  if (n >= 1024 ** 2) return `${(n / 1024 ** 2).toFixed(n % 1024 ** 2 ? 1 : 0)} MiB`;
  if (n >= 1024) return `${(n / 1024).toFixed(n % 1024 ? 1 : 0)} KiB`;
  return `${n} B`;
}

/** Gigabits per second. */
export const gbps = (bytes: number, seconds: number): number => (bytes * 8) / seconds / 1e9;

export function round(x: number, digits = 3): number {
  if (!Number.isFinite(x)) return x;
  const p = 10 ** Math.max(0, digits - Math.max(0, Math.floor(Math.log10(Math.abs(x) || 1)) + 1));
  return Math.round(x * p) / p;
}

export function ratio(a: number, b: number): number {
  return b > 0 ? round(a / b, 3) : NaN;
}

let gcFn: (() => void) | null = null;
/** A full GC (enables --expose-gc at run time when the process was started without it). */
export function fullGc(): void {
  if (!gcFn) {
    const g = (globalThis as { gc?: () => void }).gc;
    if (g) gcFn = g;
    else {
      v8.setFlagsFromString('--expose-gc');
      gcFn = vm.runInNewContext('gc') as () => void;
    }
  }
  gcFn();
  gcFn();
}

export interface Mem {
  heapUsed: number;
  external: number;
  arrayBuffers: number;
  rss: number;
}

export function memNow(gc = true): Mem {
  if (gc) fullGc();
  const m = process.memoryUsage();
  return { heapUsed: m.heapUsed, external: m.external, arrayBuffers: m.arrayBuffers, rss: m.rss };
}

export function memDelta(a: Mem, b: Mem): Mem {
  return { heapUsed: b.heapUsed - a.heapUsed, external: b.external - a.external, arrayBuffers: b.arrayBuffers - a.arrayBuffers, rss: b.rss - a.rss };
}

/** Yield to Node's event loop (lets sockets, timers and GC finalizers run). */
export const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

/** CPU seconds (user + system) this process used since `from` (process.cpuUsage()). On a busy
 *  machine, wall clock counts time other processes took the CPU; CPU time does not, and for
 *  Node net over loopback it includes the kernel's TCP work done in our system calls. */
export function cpuSince(from: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(from);
  return (d.user + d.system) / 1e6;
}
