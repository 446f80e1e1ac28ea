// The protocol core must run in a browser: no node: imports, Buffer or process in these files.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const files = [
  ...readdirSync('src/sim').filter((f) => f.endsWith('.ts')).map((f) => join('src/sim', f)),
  ...readdirSync('src/link').filter((f) => /^(sim-|pcap|units)/.test(f) && f.endsWith('.ts')).map((f) => join('src/link', f)),
  'src/trace/format.ts',
];

test('browser-safe: sim, simulated link, pcap and trace formatting use no Node-only APIs', () => {
  assert.ok(files.length >= 8, files.join(','));
  for (const f of files) {
    const src = readFileSync(f, 'utf8').replace(/\/\/.*$/gm, '').replace(/\/\*[\s\S]*?\*\//g, '');
    assert.doesNotMatch(src, /from\s+['"]node:|require\(|import\(['"]node:/, `${f} imports a Node module`);
    assert.doesNotMatch(src, /\bBuffer\b/, `${f} uses Buffer`);
    assert.doesNotMatch(src, /(?<![.\w])process\./, `${f} uses process`);
  }
});
