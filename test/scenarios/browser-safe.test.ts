// The lab page bundles the scenario catalogue: src/tools/scenarios and everything it imports
// must be browser-safe (no node: imports, no Buffer, no process).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

function importsOf(file: string): string[] {
  const src = readFileSync(file, 'utf8');
  const out: string[] = [];
  const re = /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;
  for (let m = re.exec(src); m; m = re.exec(src)) out.push(m[1] ?? m[2]);
  return out;
}

test('scenario catalogue: no node: imports, Buffer or process anywhere in its import graph', () => {
  const start = resolve('src/tools/scenarios/index.ts');
  const seen = new Set<string>();
  const todo = [start];
  const problems: string[] = [];
  while (todo.length) {
    const f = todo.pop()!;
    if (seen.has(f)) continue;
    seen.add(f);
    const src = readFileSync(f, 'utf8').replace(/\/\/.*$/gm, '').replace(/\/\*[\s\S]*?\*\//g, '');
    if (/\bBuffer\s*\./.test(src) || /\bBuffer\.from|new Buffer\b/.test(src)) problems.push(`${f}: Buffer`);
    if (/\bprocess\.(env|argv|stdout|stderr|exit|hrtime|nextTick|cwd)\b/.test(src)) problems.push(`${f}: process`);
    for (const spec of importsOf(f)) {
      if (spec.startsWith('node:')) problems.push(`${f}: imports ${spec}`);
      else if (spec.startsWith('.')) {
        const ts = resolve(dirname(f), spec.replace(/\.js$/, '.ts'));
        if (existsSync(ts)) todo.push(ts);
        else problems.push(`${f}: cannot resolve ${spec}`);
      } else problems.push(`${f}: imports package ${spec}`);
    }
  }
  assert.ok(seen.size > 10, `walked ${seen.size} files`);
  assert.deepEqual(problems, []);
});
