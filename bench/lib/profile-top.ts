// Summarise a V8 .cpuprofile (node --cpu-prof): self time per function, with file:line, as a
// share of all samples. Usage: node --import tsx bench/lib/profile-top.ts FILE.cpuprofile [N]
import { readFileSync, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}
interface Profile {
  nodes: Node[];
  samples: number[];
  timeDeltas: number[];
}

const sources = new Map<string, string[] | null>();
/** Line of a function in its source file. tsx hands V8 transpiled code, so the profile's line
 *  numbers are not the source's: find the definition by name instead (first match). */
function lineOf(url: string, fn: string, profLine: number): string {
  // A compiled tree (tsc --outDir DIR): PROFILE_SRC_MAP=DIR=SRC maps DIR/x.js to SRC/x.ts.
  const map = process.env.PROFILE_SRC_MAP?.split('=');
  if (map && map.length === 2 && url.startsWith(`file://${map[0]}/`) && url.endsWith('.js')) {
    url = `file://${map[1]}/${url.slice(`file://${map[0]}/`.length, -3)}.ts`;
  }
  if (!url.startsWith('file://') || fn === '(anonymous)' || !/\.ts$/.test(url)) return String(profLine + 1);
  let lines = sources.get(url);
  if (lines === undefined) {
    const path = fileURLToPath(url);
    lines = existsSync(path) ? readFileSync(path, 'utf8').split('\n') : null;
    sources.set(url, lines);
  }
  if (!lines) return String(profLine + 1);
  const name = fn.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const def = new RegExp(`(^|\\s)(class ${name}\\b|function\\*? ${name}\\b|(get |set |static |private |async |readonly |#)*${name}\\s*(<[^>]*>)?\\(|(const|let) ${name}\\s*=)`);
  const i = lines.findIndex((l) => def.test(l) && !/^\s*(\/\/|\*)/.test(l) && !/\b(return|if|while|for)\b/.test(l.split(name)[0]));
  return i >= 0 ? String(i + 1) : '?';
}

export function topFunctions(p: Profile, n = 25): Array<{ fn: string; where: string; selfPct: number; totalPct: number }> {
  const byId = new Map(p.nodes.map((x) => [x.id, x]));
  const self = new Map<number, number>();
  for (let i = 0; i < p.samples.length; i++) self.set(p.samples[i], (self.get(p.samples[i]) ?? 0) + (p.timeDeltas[i] ?? 0));
  const parent = new Map<number, number>();
  for (const x of p.nodes) for (const c of x.children ?? []) parent.set(c, x.id);
  const key = (x: Node): string => {
    const fn = x.callFrame.functionName || '(anonymous)';
    return `${fn}\t${x.callFrame.url.replace(/^file:\/\/\/tmp\/synack-dist\//, 'file:///x/').replace(/^file:\/\/.*?\/(src|bench|node_modules)\//, '$1/')}:${lineOf(x.callFrame.url, fn, x.callFrame.lineNumber)}`;
  };
  const selfBy = new Map<string, number>();
  const totalBy = new Map<string, number>();
  let all = 0;
  for (const [id, t] of self) {
    all += t;
    const x = byId.get(id)!;
    selfBy.set(key(x), (selfBy.get(key(x)) ?? 0) + t);
    // Total: count each function once per sample stack.
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const k = key(byId.get(cur)!);
      if (seen.has(k)) continue;
      seen.add(k);
      totalBy.set(k, (totalBy.get(k) ?? 0) + t);
    }
  }
  return [...selfBy.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([k, t]) => {
      const [fn, where] = k.split('\t');
      return { fn, where, selfPct: (100 * t) / all, totalPct: (100 * (totalBy.get(k) ?? 0)) / all };
    });
}

if (process.argv[1]?.endsWith('profile-top.ts')) {
  const p = JSON.parse(readFileSync(process.argv[2], 'utf8')) as Profile;
  for (const r of topFunctions(p, Number(process.argv[3] ?? 25))) {
    console.log(`${r.selfPct.toFixed(1).padStart(5)}% self ${r.totalPct.toFixed(1).padStart(5)}% total  ${r.fn}  ${r.where}`);
  }
}
