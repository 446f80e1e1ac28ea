#!/usr/bin/env node
// Finds every test/**/*.test.ts and runs them with Node's built-in runner (tsx as loader).
// Usage: node scripts/test.mjs [--only SUBSTRING[,SUBSTRING]] [--skip SUBSTRING] [extra node --test flags]
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { spawnSync } from 'node:child_process';

const args = process.argv.slice(2);
let only = [];
let skip = [];
const passthrough = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--only') only = args[++i].split(',');
  else if (args[i] === '--skip') skip = args[++i].split(',');
  else passthrough.push(args[i]);
}

function walk(dir, out) {
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (name.endsWith('.test.ts')) out.push(relative(process.cwd(), p));
  }
  return out;
}

let files = walk('test', []);
if (only.length) files = files.filter((f) => only.some((o) => f.includes(o)));
if (skip.length) files = files.filter((f) => !skip.some((s) => f.includes(s)));
if (files.length === 0) {
  console.log('no test files matched');
  process.exit(0);
}
const r = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=spec', ...passthrough, ...files], {
  stdio: 'inherit',
});
process.exit(r.status ?? 1);
