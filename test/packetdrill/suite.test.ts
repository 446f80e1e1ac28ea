// The visible conformance suite: every script under ../shared/conformance is run; the number of
// passing scripts per folder must not drop below test/packetdrill/baseline.json.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { runScriptFile, formatResult } from '../../src/tools/packetdrill/run.js';
import { CONFORMANCE_DIR, conformanceAvailable, listPktFiles, REPO_ROOT } from './conformance-files.js';

interface Baseline {
  passed: Record<string, number>;
  total: number;
}

function folderOf(rel: string): string {
  const parts = rel.split('/');
  return parts[0] === 'freebsd-tcp-testsuite' ? parts.slice(0, 2).join('/') : parts[0];
}

test('conformance: pass counts per folder do not drop below the recorded baseline', (t) => {
  if (!conformanceAvailable()) {
    t.skip(`${CONFORMANCE_DIR} is absent`);
    return;
  }
  const baseline = JSON.parse(readFileSync(join(REPO_ROOT, 'test', 'packetdrill', 'baseline.json'), 'utf8')) as Baseline;
  const passed: Record<string, number> = {};
  const counts = { PASS: 0, FAIL: 0, UNSUPPORTED: 0 };
  let slowest = 0;
  const runnerErrors: string[] = [];
  for (const f of listPktFiles(CONFORMANCE_DIR)) {
    const r = runScriptFile(f);
    counts[r.verdict]++;
    slowest = Math.max(slowest, r.realMs);
    const rel = relative(CONFORMANCE_DIR, f);
    if (r.verdict === 'PASS') passed[folderOf(rel)] = (passed[folderOf(rel)] ?? 0) + 1;
    if (r.message?.startsWith('runner error') || r.message?.startsWith('parse error')) runnerErrors.push(formatResult(r));
  }
  t.diagnostic(`${counts.PASS} passed, ${counts.FAIL} failed, ${counts.UNSUPPORTED} unsupported; slowest ${slowest.toFixed(0)} ms`);
  for (const [k, v] of Object.entries(passed)) t.diagnostic(`${k}: ${v} passed`);
  assert.deepEqual(runnerErrors, [], 'the runner itself must not crash on any script');
  for (const [folder, min] of Object.entries(baseline.passed)) {
    assert.ok((passed[folder] ?? 0) >= min, `${folder}: ${passed[folder] ?? 0} passed, baseline ${min}`);
  }
  assert.ok(counts.PASS >= baseline.total, `${counts.PASS} passed in all, baseline ${baseline.total}`);
  assert.ok(slowest < 2000, `slowest script took ${slowest} ms`);
});
