// The bench harness with tiny sizes, to keep it from rotting: it runs, prints one JSON object of
// the documented shape, and each figure is a finite positive number. Correctness only, no timing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '..', '..');

function positive(x: unknown, what: string): void {
  assert.equal(typeof x, 'number', `${what} is a number`);
  assert.ok(Number.isFinite(x as number) && (x as number) > 0, `${what} = ${String(x)} is finite and positive`);
}

test('bench --quick --json: every bench but tun gives the documented figures', () => {
  const r = spawnSync(
    process.execPath,
    ['--import', 'tsx', 'bench/run.ts', '--quick', '--json', '--no-save', '--only', 'bulk,crr,rr,conns,loss'],
    { cwd: ROOT, encoding: 'utf8', timeout: 60_000 },
  );
  assert.equal(r.status, 0, `bench exited ${r.status}: ${r.stderr}`);
  const lines = r.stdout.trim().split('\n');
  assert.equal(lines.length, 1, 'one JSON object on stdout, progress on stderr');
  const j = JSON.parse(lines[0]);
  for (const mtu of ['mtu65535', 'mtu1500']) {
    positive(j.bulk[mtu].synack_gbps, `bulk.${mtu}.synack_gbps`);
    positive(j.bulk[mtu].kernel_gbps, `bulk.${mtu}.kernel_gbps`);
    positive(j.bulk[mtu].ratio, `bulk.${mtu}.ratio`);
    assert.equal(j.bulk[mtu].bytes, 1024 * 1024, 'every byte arrived');
    positive(j.bulk[mtu].synack_net_gbps, `bulk.${mtu}.synack_net_gbps (stack.net)`);
    assert.ok(j.bulk[mtu].synack_net_bytes >= 1024 * 1024, 'stack.net carried every byte');
  }
  positive(j.crr.synack_per_s, 'crr.synack_per_s');
  positive(j.crr.kernel_per_s, 'crr.kernel_per_s');
  assert.equal(j.crr.synack_error, undefined, 'synack crr ran without error');
  positive(j.rr.synack_us, 'rr.synack_us');
  positive(j.rr.kernel_us, 'rr.kernel_us');
  positive(j.rr.synack_net_us, 'rr.synack_net_us (stack.net)');
  positive(j.conns.bytes_per_conn, 'conns.bytes_per_conn');
  assert.ok(j.conns.max_conns >= 1, 'conns opened');
  positive(j.loss.goodput_mbps, 'loss.goodput_mbps');
  positive(j.loss.mathis_mbps, 'loss.mathis_mbps');
  assert.ok(j.loss.segments_lost >= 0 && j.loss.retransmits >= 0);
  assert.equal(j.tun, undefined, 'tun not run when not asked for');
});

test('bench: an unknown bench name is a usage error (exit 2)', () => {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'bench/run.ts', '--only', 'nope', '--no-save'], { cwd: ROOT, encoding: 'utf8', timeout: 30_000 });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /unknown bench 'nope'/);
});
