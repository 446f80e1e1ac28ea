// The CLI as a user runs it: `node bin/synack.js ...` in a child process.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';

function synack(...args: string[]) {
  const r = spawnSync(process.execPath, ['bin/synack.js', ...args], { encoding: 'utf8', timeout: 60000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

test('CLI: --help lists the commands and exits 0', () => {
  const r = synack('--help');
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /Usage: synack <command>/);
  assert.match(r.out, /^\s+demo\s+\S/m);
  assert.match(r.out, /^\s+help\s+\S/m);
  assert.equal(r.err, '');
});

test('CLI: no arguments and `help` print the same command list', () => {
  const none = synack();
  const help = synack('help');
  assert.equal(none.code, 0);
  assert.equal(help.code, 0);
  assert.equal(none.out, synack('--help').out);
  assert.equal(help.out, none.out);
});

test('CLI: unknown command -> clear error on stderr, exit 2', () => {
  const r = synack('nonsense');
  assert.equal(r.code, 2);
  assert.equal(r.out, '');
  assert.match(r.err, /unknown command 'nonsense'/);
  assert.match(r.err, /synack --help/);
});

test('CLI: misspelt command gets a suggestion', () => {
  const r = synack('dmeo');
  assert.equal(r.code, 2);
  assert.match(r.err, /did you mean 'demo'/);
});

test('CLI: <cmd> --help shows its usage; help <cmd> too', () => {
  const r = synack('demo', '--help');
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /^Usage: synack demo/);
  assert.equal(synack('help', 'demo').out, r.out);
  assert.equal(synack('help', 'nonsense').code, 2);
});

test('CLI: bad flag -> error naming the flag, exit 2', () => {
  const r = synack('demo', '--bogus');
  assert.equal(r.code, 2);
  assert.match(r.err, /unknown flag --bogus/);
  assert.match(r.err, /Usage: synack demo/);
  const top = synack('--bogus');
  assert.equal(top.code, 2);
  assert.match(top.err, /unknown option --bogus/);
});

test('CLI: --version prints the package version', () => {
  const r = synack('--version');
  assert.equal(r.code, 0);
  assert.match(r.out, /^synack \d+\.\d+\.\d+/);
});
