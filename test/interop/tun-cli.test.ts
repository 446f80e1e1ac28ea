// `synack tun` refuses clearly when it cannot work: addon missing, not root, no /dev/net/tun,
// bad arguments. (No device is created in any of these.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { ROOT, SYNACK_BIN } from './helpers.js';
import { tun } from '../../src/tools/commands/tun.js';
import { parseArgs } from '../../src/tools/args.js';

function synack(args: string[], opts: { env?: NodeJS.ProcessEnv; wrap?: string[] } = {}) {
  const argv = [...(opts.wrap ?? []), process.execPath, SYNACK_BIN, 'tun', ...args];
  return spawnSync(argv[0], argv.slice(1), { cwd: ROOT, encoding: 'utf8', timeout: 30_000, env: { ...process.env, ...opts.env } });
}

const SERVE = ['--dev', 'syiclitest', '--addr', '10.250.0.2/24', 'serve', '--port', '80'];

test('synack tun without the addon: exit 1, says it is not built and how to build it', { timeout: 60000 }, () => {
  const r = synack(SERVE, { env: { SYNACK_TUN_ADDON: '/nonexistent/synack_tun.node' } });
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, /native addon is not built.*npm run build:native/);
});

test('synack tun as a non-root user: exit 1, says it needs root', { timeout: 60000 }, (t) => {
  if (process.getuid?.() !== 0) {
    const r = synack(SERVE);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /needs root/);
    return;
  }
  if (!existsSync('/usr/bin/setpriv')) return t.skip('setpriv is missing (needed to drop root)');
  const drop = ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups'];
  const canRead = spawnSync(drop[0], [...drop.slice(1), process.execPath, '-e', `require('fs').accessSync(${JSON.stringify(SYNACK_BIN)}, 4)`]);
  if (canRead.status !== 0) return t.skip(`user nobody cannot read ${SYNACK_BIN} (checkout not world-readable)`);
  const r = synack(SERVE, { wrap: drop });
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, /needs root/);
});

test('synack tun without /dev/net/tun: exit 1, says it is missing', { timeout: 60000 }, (t) => {
  if (process.getuid?.() !== 0) return t.skip('needs root (hides /dev/net in a private mount namespace)');
  if (!existsSync('/usr/bin/unshare')) return t.skip('unshare is missing');
  const r = synack(SERVE, { wrap: ['unshare', '-m', '--propagation', 'private', 'sh', '-c', 'mount -t tmpfs none /dev/net && exec "$@"', 'sh'] });
  if (/mount:|unshare:/.test(r.stderr)) return t.skip(`cannot make a private mount namespace here: ${r.stderr.trim()}`);
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, /\/dev\/net\/tun is missing/);
});

test('synack tun usage errors: exit 2 with the reason', { timeout: 60000 }, async () => {
  const cases: [string[], RegExp][] = [
    [['--addr', '10.1.1.2/33', 'serve', '--port', '1'], /bad prefix/],
    [['--addr', '10.1.1.2/24', 'serve'], /serve needs --port/],
    [['--addr', '10.1.1.2/24', 'connect'], /connect takes one HOST:PORT/],
    [['--addr', '10.1.1.2/24', '--mtu', '70000', 'serve', '--port', '1'], /--mtu must be/],
    [['serve', '--port', '1'], /--addr ADDR\/PREFIX is required/],
    [['--addr', '10.1.1.2/24'], /serve or connect/],
    [['--addr', '10.1.1.2/24', '--loss', '2', 'serve', '--port', '1'], /probability/],
  ];
  for (const [args, re] of cases) {
    let err = '';
    const io = { out: () => {}, err: (s: string) => void (err += s) };
    const code = await tun.run(parseArgs(args, tun.flags, 'tun', io));
    assert.equal(code, 2, `${args.join(' ')}: ${err}`);
    assert.match(err, re, args.join(' '));
  }
});
