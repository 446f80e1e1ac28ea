// Both directions under loss: kernel-side random drops (iptables -m statistic inside the test's
// namespace, 2% and 10%, on the TUN device in and out) and synack-side loss, delay, jitter,
// reordering and duplication injected in the TUN link (seeded). Bytes checked with SHA-256,
// kernel socket states checked after each transfer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { payloadSha256 } from '../../src/tools/commands/tun.js';
import {
  artifact, interopSkipReason, killAndWait, Netns, patternBytes, runSynackConnect, settleArtifacts, settledSockets,
  sha256, sleep, startSynackServer, stateCounts, subnet, synackSettled, uniqueName, writeArtifact, type SynackServer,
} from './helpers.js';

const MB = 1_000_000;

interface LossCase {
  name: string;
  family: 4 | 6;
  /** Kernel-side drop probability (iptables), or 0. */
  kernelLoss: number;
  /** synack-side impairment flags. */
  impair: string[];
  bytes: number;
}

const CASES: LossCase[] = [
  { name: 'kernel drops 2%', family: 4, kernelLoss: 0.02, impair: [], bytes: 2 * MB },
  { name: 'kernel drops 10%', family: 4, kernelLoss: 0.1, impair: [], bytes: 512 * 1000 },
  { name: 'kernel drops 2%', family: 6, kernelLoss: 0.02, impair: [], bytes: 2 * MB },
  {
    name: 'synack link: 3% loss, 5% reordered, 1% duplicated, 2 ms delay + 2 ms jitter',
    family: 4, kernelLoss: 0,
    impair: ['--loss', '0.03', '--reorder', '0.05', '--reorder-ms', '4', '--duplicate', '0.01', '--delay', '2', '--jitter', '2', '--seed', '7'],
    bytes: 2 * MB,
  },
  {
    name: 'synack link: 10% loss in, 10% loss out',
    family: 6, kernelLoss: 0,
    impair: ['--loss-in', '0.1', '--loss-out', '0.1', '--seed', '11'],
    bytes: 512 * 1000,
  },
];

function addKernelLoss(ns: Netns, family: 4 | 6, dev: string, p: number): void {
  const tool = family === 6 ? 'ip6tables' : 'iptables';
  for (const [chain, dir] of [['INPUT', '-i'], ['OUTPUT', '-o']]) {
    execFileSync('ip', ['netns', 'exec', ns.name, tool, '-w', '-A', chain, dir, dev, '-m', 'statistic', '--mode', 'random',
      '--probability', String(p), '-j', 'DROP'], { stdio: 'pipe' });
  }
}

function dropCounts(ns: Netns, family: 4 | 6): string {
  try {
    const rows = ns.execSync(family === 6 ? 'ip6tables' : 'iptables', ['-w', '-L', '-v', '-n', '-x']).split('\n').filter((l) => l.includes('DROP'));
    return rows.map((l, i) => `${l.trim().split(/\s+/)[0]} ${i === 0 ? 'in' : 'out'}`).join(', ');
  } catch {
    return '';
  }
}

for (const c of CASES) {
  const tools = c.kernelLoss > 0 ? ['curl', 'socat', 'ss', c.family === 6 ? 'ip6tables' : 'iptables'] : ['curl', 'socat', 'ss'];
  const tag = `loss-${c.family}-${c.name.replace(/[^a-z0-9]+/gi, '_')}`;

  test(`${c.name}, IPv${c.family}: kernel curl GET + POST ${c.bytes / 1000} KB from synack's http server`, { timeout: 150000 }, async (t) => {
    const skip = interopSkipReason(tools);
    if (skip) return t.skip(skip);
    let failed = true;
    const ns = new Netns('l');
    const tmp = mkdtempSync(join(tmpdir(), 'synack-interop-'));
    const pcap = artifact(`${tag}-server`, 'pcap');
    const logFile = artifact(`${tag}-server`, 'log');
    let server: SynackServer | undefined;
    try {
      const net = subnet(c.family);
      const dev = uniqueName('d');
      if (c.kernelLoss > 0) addKernelLoss(ns, c.family, dev, c.kernelLoss);
      // A duplicated final ACK reaches synack after it has closed (LAST-ACK -> CLOSED), and synack
      // rightly answers with RST (RFC 9293 3.10.7.1); Linux by default lets that RST end its
      // TIME-WAIT (RFC 1337 hazard). RFC 1337 protection keeps the kernel's states predictable.
      ns.execSync('sysctl', ['-qw', 'net.ipv4.tcp_rfc1337=1']);
      server = await startSynackServer(ns, { dev, net, mtu: 1500, port: 80, mode: 'http', pcap, extra: c.impair });
      const out = join(tmp, 'get.bin');
      const started = Date.now();
      const g = await ns.run('curl', ['-sS', '-g', '--max-time', '90', '-o', out, `http://${net.urlHost}/bytes/${c.bytes}`], { timeoutMs: 100_000 });
      assert.equal(g.code, 0, g.stderr);
      const body = readFileSync(out);
      assert.equal(body.length, c.bytes);
      assert.equal(sha256(body), payloadSha256(c.bytes));
      const getSecs = (Date.now() - started) / 1000;

      const data = patternBytes(c.bytes, 99);
      const file = join(tmp, 'post.bin');
      writeFileSync(file, data);
      const p = await ns.run('curl', ['-sS', '-g', '--max-time', '90', '--data-binary', `@${file}`, `http://${net.urlHost}/sha256`], { timeoutMs: 100_000 });
      assert.equal(p.code, 0, p.stderr);
      assert.equal(p.stdout.toString(), sha256(data));
      t.diagnostic(`GET ${getSecs.toFixed(2)} s, total ${((Date.now() - started) / 1000).toFixed(2)} s; kernel drops: ${dropCounts(ns, c.family) || 'none'}`);
      const rows = await settledSockets(ns, 80, 15_000);
      assert.deepEqual(stateCounts(rows), { 'TIME-WAIT': 2 }, JSON.stringify(rows));
      assert.deepEqual(await synackSettled(server, 15_000), {}, 'synack connection states');
      failed = false;
    } finally {
      await server?.stop();
      if (server && failed) writeArtifact(logFile, server.stderr());
      const kept = [...settleArtifacts([pcap, logFile], failed), ...(await ns.cleanup(failed))];
      rmSync(tmp, { recursive: true, force: true });
      if (kept.length) t.diagnostic(`kept: ${kept.join(', ')}`);
    }
  });

  test(`${c.name}, IPv${c.family}: synack sends ${c.bytes / 1000} KB to a kernel socat echo and gets it back`, { timeout: 150000 }, async (t) => {
    const skip = interopSkipReason(tools);
    if (skip) return t.skip(skip);
    let failed = true;
    const ns = new Netns('l');
    const tmp = mkdtempSync(join(tmpdir(), 'synack-interop-'));
    const pcap = artifact(`${tag}-client`, 'pcap');
    const logFile = artifact(`${tag}-client`, 'log');
    try {
      const net = subnet(c.family);
      const dev = uniqueName('d');
      if (c.kernelLoss > 0) addKernelLoss(ns, c.family, dev, c.kernelLoss);
      const srv = ns.spawn('socat', ['-t', '60', `TCP${c.family}-LISTEN:9000,reuseaddr,fork`, 'EXEC:cat'], { stdio: 'ignore' });
      for (let i = 0; i < 200 && !ns.sockets().some((r) => r.state === 'LISTEN' && r.local.endsWith(':9000')); i++) await sleep(25);
      const data = patternBytes(c.bytes, 21);
      const file = join(tmp, 'in.bin');
      writeFileSync(file, data);
      const started = Date.now();
      const r = await runSynackConnect(ns, {
        dev, net, mtu: 1500, pcap, host: net.kernel, port: 9000, file, timeoutMs: 120_000,
        extra: [...c.impair, '--linger', '2000'],
      });
      if (r.code !== 0) writeArtifact(logFile, r.stderr);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout.length, data.length);
      assert.equal(sha256(r.stdout), sha256(data));
      t.diagnostic(`${((Date.now() - started) / 1000).toFixed(2)} s; kernel drops: ${dropCounts(ns, c.family) || 'none'}`);
      const rows = await settledSockets(ns, 9000, 15_000);
      assert.deepEqual(stateCounts(rows), {}, JSON.stringify(rows));
      await killAndWait(srv);
      failed = false;
    } finally {
      const kept = [...settleArtifacts([pcap, logFile], failed), ...(await ns.cleanup(failed))];
      rmSync(tmp, { recursive: true, force: true });
      if (kept.length) t.diagnostic(`kept: ${kept.join(', ')}`);
    }
  });
}
