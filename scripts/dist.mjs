#!/usr/bin/env node
// The compiled tree: `tsc` output of src/ and bench/ in dist/, used by bin/synack.js and
// `npm run bench` when it is up to date (plain JS runs 1.3-1.6x faster than through tsx, whose
// esbuild keepNames wraps every closure in __name). Everything falls back to tsx when dist/ is
// missing or stale, so nothing depends on it.
//
//   node scripts/dist.mjs                 build when stale (npm's "prepare" runs this; exits 0)
//   node scripts/dist.mjs --run FILE ...  build when stale, then run dist/FILE (a .js path under
//                                         dist, e.g. bench/run.js) with the remaining arguments;
//                                         through tsx from the .ts source when no build is there
//
// dist/ mirrors the repository layout (dist/src, dist/bench) and links back to what the code
// finds relative to itself (package.json, build/ for the TUN addon, lab/, native/).
// Freshness: dist/.stamp.json lists every input file with its size and mtime.
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync, copyFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const DIST = join(root, 'dist');
const STAMP = '.stamp.json';
const INPUTS = ['src', 'bench'];
const LINKS = ['package.json', 'build', 'lab', 'native'];

function walk(dir, out) {
  let names;
  try {
    names = readdirSync(dir, { withFileTypes: true });
  } catch {
    return out;
  }
  for (const d of names) {
    const p = join(dir, d.name);
    if (d.isDirectory()) {
      if (d.name !== 'results' && d.name !== 'node_modules') walk(p, out);
    } else if (d.name.endsWith('.ts') || d.name.endsWith('.mjs')) out.push(p);
  }
  return out;
}

/** Every input file with size and mtime: the stamp of a build of exactly these sources. */
function fingerprint() {
  const files = INPUTS.flatMap((d) => walk(join(root, d), [])).sort();
  files.push(join(root, 'tsconfig.json'));
  return files.map((f) => {
    try {
      const st = statSync(f);
      return `${relative(root, f)} ${st.size} ${Math.floor(st.mtimeMs)}`;
    } catch {
      return `${relative(root, f)} missing`;
    }
  });
}

/** True when dist/ holds a build of the current sources. */
export function distFresh() {
  try {
    const stamp = JSON.parse(readFileSync(join(DIST, STAMP), 'utf8'));
    const now = fingerprint();
    return Array.isArray(stamp.files) && stamp.files.length === now.length && stamp.files.every((l, i) => l === now[i]);
  } catch {
    return false;
  }
}

/** Build dist/ when stale. Returns true when a fresh build is in place; never throws. */
export function ensureDist({ quiet = false } = {}) {
  const say = (m) => {
    if (!quiet) console.error(`synack: dist: ${m}`);
  };
  try {
    if (distFresh()) return true;
    const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
    if (!existsSync(tsc)) {
      say('typescript is not installed; running through tsx');
      return false;
    }
    const files = fingerprint();
    const tmp = join(root, `dist.tmp-${process.pid}`);
    rmSync(tmp, { recursive: true, force: true });
    const cfg = join(root, `tsconfig.dist-${process.pid}.json`);
    writeFileSync(
      cfg,
      JSON.stringify({ extends: './tsconfig.json', compilerOptions: { outDir: relative(root, tmp), rootDir: '.', noEmitOnError: false }, include: INPUTS.map((d) => `${d}/**/*.ts`) }),
    );
    let r;
    try {
      r = spawnSync(process.execPath, [tsc, '-p', cfg], { cwd: root, encoding: 'utf8' });
    } finally {
      rmSync(cfg, { force: true });
    }
    // Type errors do not stop the emit (tsx does not type-check either): require the output.
    if (!existsSync(join(tmp, 'src', 'tools', 'cli.js')) || !existsSync(join(tmp, 'bench', 'run.js'))) {
      rmSync(tmp, { recursive: true, force: true });
      say(`tsc produced no output (${(r.error?.message ?? r.stderr ?? r.stdout ?? '').trim().split('\n')[0] || 'no message'}); running through tsx`);
      return false;
    }
    for (const f of walk(join(root, 'bench'), [])) {
      if (f.endsWith('.mjs')) {
        const to = join(tmp, relative(root, f));
        mkdirSync(dirname(to), { recursive: true });
        copyFileSync(f, to);
      }
    }
    for (const l of LINKS) {
      if (existsSync(join(root, l))) symlinkSync(join('..', l), join(tmp, l));
    }
    writeFileSync(join(tmp, STAMP), JSON.stringify({ built: new Date().toISOString(), files }));
    // Swap in whole: a concurrent reader sees the old tree, the new one, or none (-> tsx).
    const old = join(root, `dist.old-${process.pid}`);
    if (existsSync(DIST)) renameSync(DIST, old);
    renameSync(tmp, DIST);
    rmSync(old, { recursive: true, force: true });
    return true;
  } catch (e) {
    say(`build failed (${e?.message ?? e}); running through tsx`);
    return false;
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  if (args[0] === '--run') {
    const file = args[1];
    if (!file || !file.endsWith('.js')) {
      console.error('usage: node scripts/dist.mjs --run PATH.js [args...]');
      process.exit(2);
    }
    const ok = ensureDist({ quiet: true });
    const argv = ok
      ? [join(DIST, file), ...args.slice(2)]
      : ['--import', 'tsx', join(root, file.replace(/\.js$/, '.ts')), ...args.slice(2)];
    if (!ok) console.error('synack: running through tsx (no up-to-date dist/)');
    const r = spawnSync(process.execPath, argv, { stdio: 'inherit' });
    process.exit(r.status ?? 1);
  }
  ensureDist();
  process.exit(0);
}

export { DIST, pathToFileURL };
