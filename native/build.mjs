#!/usr/bin/env node
// Builds the TUN addon (native/tun.c -> build/Release/synack_tun.node) with node-gyp against the
// Node headers already installed on this machine (never a download). Run by `npm ci`/`npm install`
// as this package's "install" script. When the addon cannot be built it prints why and exits 0:
// everything else works without it, and the TUN link then reports itself unavailable.
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const say = (msg) => console.log(`synack: TUN addon: ${msg}`);

function skip(why) {
  say(`not built: ${why}`);
  say('everything else works; `synack tun` and the interop tests will say the addon is missing.');
  process.exit(0);
}

if (process.env.SYNACK_SKIP_NATIVE) skip('SYNACK_SKIP_NATIVE is set');
if (process.platform !== 'linux') skip(`TUN support is Linux-only (this is ${process.platform})`);

// node-gyp: the one npm ships (npm tells scripts where it is), else the usual global places.
const gypCandidates = [
  process.env.npm_config_node_gyp,
  process.env.npm_execpath && join(dirname(process.env.npm_execpath), '..', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
  join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
  '/usr/lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js',
  '/usr/local/lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js',
].filter(Boolean);
const gyp = gypCandidates.find((p) => existsSync(p));
if (!gyp) skip(`node-gyp not found (looked in: ${gypCandidates.join(', ')})`);

// Headers: a prefix holding include/node/node_api.h for the running node.
const dirCandidates = [
  process.env.npm_config_nodedir,
  resolve(dirname(process.execPath), '..'),
  '/usr',
  '/usr/local',
].filter(Boolean);
const nodedir = dirCandidates.find((d) => existsSync(join(d, 'include', 'node', 'node_api.h')));
if (!nodedir) {
  skip(`Node headers not found (no include/node/node_api.h under ${dirCandidates.join(', ')}); ` +
    'install them (e.g. the nodejs/libnode-dev package) and run `npm run build:native`');
}

function have(cmd) {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}
const missing = ['make', 'python3'].filter((c) => !have(c));
if (!have('cc') && !have('gcc')) missing.push('a C compiler (cc/gcc)');
if (missing.length) skip(`missing build tools: ${missing.join(', ')}`);

say(`building with ${gyp} --nodedir=${nodedir}`);
const r = spawnSync(process.execPath, [gyp, 'rebuild', `--nodedir=${nodedir}`, '--loglevel=warn'], {
  cwd: root,
  stdio: ['ignore', 'pipe', 'pipe'],
  encoding: 'utf8',
  timeout: 180_000,
  env: { ...process.env, npm_config_nodedir: nodedir },
});
if (r.status !== 0) {
  const out = `${r.stdout ?? ''}${r.stderr ?? ''}`.trim().split('\n').slice(-25).join('\n');
  skip(`node-gyp failed (${r.error ? r.error.message : `exit ${r.status}`}):\n${out}`);
}
const built = join(root, 'build', 'Release', 'synack_tun.node');
if (!existsSync(built)) skip(`node-gyp finished but ${built} is missing`);
say(`built ${built}`);
