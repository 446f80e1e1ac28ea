// `synack scenario` and `synack demo` as a user runs them: node bin/synack.js in a child process.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { readPcapng, isCaptureError } from '../../src/link/pcapng.js';
import { describePacket } from '../../src/wire/packet.js';
import { SCENARIOS } from '../../src/tools/scenarios/index.js';

const BIN = resolve('bin/synack.js');

function synack(args: string[], cwd?: string) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 120_000, cwd, maxBuffer: 256 * 1024 * 1024 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

test('scenario --list: every scenario, one per line, with its title', () => {
  const r = synack(['scenario', '--list']);
  assert.equal(r.code, 0, r.err);
  const lines = r.out.trim().split('\n');
  assert.equal(lines.length, SCENARIOS.length);
  for (const s of SCENARIOS) assert.ok(lines.some((l) => l.startsWith(s.name + ' ') && l.includes(s.title)), s.name);
});

test('scenario handshake: a ladder with states beside the segments, a summary, exit 0', () => {
  const dir = mkdtempSync(join(tmpdir(), 'synack-scn-'));
  try {
    const pcap = join(dir, 'hs.pcapng');
    const r = synack(['scenario', 'handshake', '--pcap', pcap]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /SYN-SENT\s+\|-+ S seq \d+ len 0 win \d+ -+>\| LISTEN/);
    assert.match(r.out, /\| SYN-RECEIVED\n/);
    assert.match(r.out, /TIME-WAIT -> CLOSED \(2MSL timeout\)/);
    assert.match(r.out, /^handshake: ok; client SYN-SENT > ESTABLISHED/m);
    const cap = readPcapng(new Uint8Array(readFileSync(pcap)));
    assert.ok(!isCaptureError(cap));
    if (!isCaptureError(cap)) assert.deepEqual(cap.slice(0, 3).map((p) => describePacket(p.data)?.flags), ['S', 'S.', '.']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('scenario --json: one trace event per line with type, host, t; states and segments in full', () => {
  const r = synack(['scenario', 'simultaneous-close', '--json']);
  assert.equal(r.code, 0, r.err);
  const lines = r.out.trim().split('\n');
  const events = lines.map((l) => JSON.parse(l));
  for (const e of events) {
    assert.equal(typeof e.type, 'string');
    assert.ok(e.host === 'client' || e.host === 'server', JSON.stringify(e));
    assert.equal(typeof e.t, 'number');
  }
  const states = events.filter((e) => e.type === 'state');
  assert.ok(states.some((e) => e.host === 'client' && e.from === 'FIN-WAIT-1' && e.to === 'CLOSING'));
  assert.ok(states.some((e) => e.host === 'server' && e.from === 'CLOSING' && e.to === 'TIME-WAIT'));
  const segs = events.filter((e) => e.type === 'segment');
  assert.ok(segs.length >= 14);
  for (const s of segs) {
    assert.ok(s.dir === 'in' || s.dir === 'out');
    for (const k of ['flags', 'seq', 'ack', 'len']) assert.ok(k in s, `${k} in ${JSON.stringify(s)}`);
  }
  assert.ok(events.some((e) => e.type === 'timer' && e.timer === 'time-wait'));
});

test('scenario: unknown name -> clear error naming the known ones, exit 2', () => {
  const r = synack(['scenario', 'handshak']);
  assert.equal(r.code, 2);
  assert.equal(r.out, '');
  assert.match(r.err, /unknown scenario 'handshak'/);
  assert.match(r.err, /handshake/);
  const none = synack(['scenario']);
  assert.equal(none.code, 2);
  const bad = synack(['scenario', 'bulk', '--loss', '5']);
  assert.equal(bad.code, 2);
  assert.match(bad.err, /loss must be a probability/);
});

test('scenario bulk --bytes 10000000 --loss 0.05 --seed 7 --json: every byte, hash matches, CLOSED', () => {
  const r = synack(['scenario', 'bulk', '--bytes', '10000000', '--loss', '0.05', '--seed', '7', '--json']);
  assert.equal(r.code, 0, r.err);
  const events = r.out.trim().split('\n').map((l) => JSON.parse(l));
  const last = (host: string) => events.filter((e) => e.type === 'state' && e.host === host).pop();
  assert.equal(last('client')?.to, 'CLOSED');
  assert.equal(last('server')?.to, 'CLOSED');
  const read = events.filter((e) => e.type === 'data' && e.host === 'server' && e.dir === 'read').reduce((n, e) => n + e.bytes, 0);
  assert.equal(read, 10_000_000);
  assert.ok(events.some((e) => e.type === 'link' && e.action === 'lost'));
});

test('demo --no-lab: the whole lifecycle, exit 0, demo.pcapng written', () => {
  const dir = mkdtempSync(join(tmpdir(), 'synack-demo-'));
  try {
    const r = synack(['demo', '--no-lab'], dir);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /GET \/ HTTP\/1\.1/);
    assert.match(r.out, /HTTP\/1\.1 200 OK/);
    assert.match(r.out, /FIN-WAIT-2 -> TIME-WAIT/);
    assert.match(r.out, /TIME-WAIT -> CLOSED/);
    const file = join(dir, 'demo.pcapng');
    assert.ok(existsSync(file));
    const cap = readPcapng(new Uint8Array(readFileSync(file)));
    assert.ok(!isCaptureError(cap));
    if (!isCaptureError(cap)) {
      const flags = cap.map((p) => describePacket(p.data)?.flags);
      assert.deepEqual(flags.slice(0, 3), ['S', 'S.', '.']);
      assert.ok(flags.filter((f) => f?.includes('F')).length === 2, flags.join(' '));
      assert.equal(flags[flags.length - 1], '.');
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('scenario bulk without --json: a long ladder is abbreviated (first and last 40 rows), --full prints every row', () => {
  const short = synack(['scenario', 'bulk', '--bytes', '300000', '--seed', '2']);
  assert.equal(short.code, 0, short.err);
  const elided = short.out.split('\n').filter((l: string) => /… \d+ events elided \(use --full for all\) …/.test(l));
  assert.ok(elided.length >= 1, short.out.slice(0, 2000));
  assert.match(short.out, /LISTEN -> SYN-RECEIVED/);
  assert.match(short.out, /TIME-WAIT -> CLOSED/);
  const full = synack(['scenario', 'bulk', '--bytes', '300000', '--seed', '2', '--full']);
  assert.equal(full.code, 0, full.err);
  assert.doesNotMatch(full.out, /events elided/);
  const n = elided.reduce((s, l) => s + Number(/… (\d+) events/.exec(l)![1]), 0);
  assert.equal(full.out.split('\n').length, short.out.split('\n').length - elided.length + n, 'the elided counts add up to the rows --full prints');
});
