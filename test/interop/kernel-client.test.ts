// Kernel client -> synack server, over a TUN device inside a namespace the test creates:
// curl GET and POST of 1 KB, 1 MB and 100 MB against `synack tun serve --mode http`, 200
// parallel curls, and socat half-close against `--mode echo`. IPv4 and IPv6, MTU 1500 and 65000.
// Every byte is checked (SHA-256); afterwards the kernel's sockets must have settled as they
// should (curl/socat closed first, so the kernel holds TIME-WAIT; nothing in CLOSE-WAIT,
// LAST-ACK or FIN-WAIT-2).
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { payloadSha256 as payloadSha256Uncached } from '../../src/tools/commands/tun.js';
import {
  artifact, interopSkipReason, Netns, patternBytes, settleArtifacts, settledSockets, sha256, startSynackServer,
  stateCounts, subnet, synackSettled, uniqueName, writeArtifact, type SynackServer,
} from './helpers.js';

const MB = 1_000_000;

const digests = new Map<number, string>();
function payloadSha256(n: number): string {
  let d = digests.get(n);
  if (d === undefined) digests.set(n, (d = payloadSha256Uncached(n)));
  return d;
}

/** Runs `fn` as a subtest; records a failure in `state` so the parent keeps its artifacts. */
async function sub(t: TestContext, state: { failed: boolean }, name: string, fn: (st: TestContext) => Promise<void>): Promise<void> {
  await t.test(name, async (st) => {
    try {
      await fn(st);
    } catch (e) {
      state.failed = true;
      throw e;
    }
  });
}

interface Cfg {
  family: 4 | 6;
  mtu: number;
  sizes: number[];
}

// 100 MB in each family and at each MTU (not the full cross product: CI time).
const CONFIGS: Cfg[] = [
  { family: 4, mtu: 1500, sizes: [1000, MB, 100 * MB] },
  { family: 6, mtu: 1500, sizes: [1000, MB, 10 * MB] },
  { family: 4, mtu: 65000, sizes: [1000, MB, 10 * MB] },
  { family: 6, mtu: 65000, sizes: [1000, MB, 100 * MB] },
];

for (const cfg of CONFIGS) {
  const label = `kernel-client-http-v${cfg.family}-mtu${cfg.mtu}`;
  test(`kernel curl -> synack http server, IPv${cfg.family}, MTU ${cfg.mtu}`, { timeout: 240000 }, async (t) => {
    const skip = interopSkipReason(['curl', 'ss']);
    if (skip) return t.skip(skip);
    const state = { failed: false };
    const ns = new Netns('k');
    const tmp = mkdtempSync(join(tmpdir(), 'synack-interop-'));
    const pcap = artifact(label, 'pcap');
    const logFile = artifact(label, 'log');
    let server: SynackServer | undefined;
    try {
      const net = subnet(cfg.family);
      server = await startSynackServer(ns, { dev: uniqueName('d'), net, mtu: cfg.mtu, port: 80, mode: 'http', pcap });
      let timeWaits = 0;
      const checkSockets = async (newConns: number): Promise<void> => {
        const rows = await settledSockets(ns, 80);
        const c = stateCounts(rows);
        timeWaits += newConns;
        assert.deepEqual(c, { 'TIME-WAIT': timeWaits }, `kernel sockets on port 80: ${JSON.stringify(rows)}`);
        // synack closed second (passive close): nothing left on its side.
        assert.deepEqual(await synackSettled(server!), {}, 'synack connection states');
      };

      for (const size of cfg.sizes) {
        await sub(t, state, `GET /bytes/${size}: body byte-for-byte, kernel ends in TIME-WAIT`, async (st) => {
          const out = join(tmp, 'get.bin');
          const r = await ns.run('curl', ['-sS', '-g', '--max-time', '120', '-o', out, '-w', '%{size_download} %{time_total}',
            `http://${net.urlHost}/bytes/${size}`], { timeoutMs: 130_000 });
          assert.equal(r.code, 0, `curl: ${r.stderr}`);
          const body = readFileSync(out);
          assert.equal(body.length, size);
          assert.equal(sha256(body), payloadSha256(size));
          const [, secs] = r.stdout.toString().split(' ').map(Number);
          if (size >= 100 * MB) st.diagnostic(`GET ${size / MB} MB in ${secs.toFixed(2)} s = ${((size * 8) / secs / 1e6).toFixed(0)} Mbit/s`);
          rmSync(out);
          await checkSockets(1);
        });
        await sub(t, state, `POST /sha256 of ${size} bytes: server's digest matches`, async (st) => {
          const file = join(tmp, 'post.bin');
          const data = patternBytes(size, size);
          writeFileSync(file, data);
          const r = await ns.run('curl', ['-sS', '-g', '--max-time', '120', '--data-binary', `@${file}`,
            '-H', 'content-type: application/octet-stream', '-w', '\n%{size_upload} %{time_total}',
            `http://${net.urlHost}/sha256`], { timeoutMs: 130_000 });
          assert.equal(r.code, 0, `curl: ${r.stderr}`);
          const [digest, stats] = r.stdout.toString().split('\n');
          assert.equal(digest, sha256(data));
          const [up, secs] = stats.split(' ').map(Number);
          assert.equal(up, size);
          if (size >= 100 * MB) st.diagnostic(`POST ${size / MB} MB in ${secs.toFixed(2)} s = ${((size * 8) / secs / 1e6).toFixed(0)} Mbit/s`);
          rmSync(file);
          await checkSockets(1);
        });
      }

      if (cfg.mtu === 1500) {
        await sub(t, state, '200 parallel curls: every body right, one TIME-WAIT per connection', async () => {
          // One curl process running 200 transfers at once (--parallel-immediate: a new connection
          // for each rather than waiting to reuse one): 200 processes would measure fork, not TCP.
          const args = ['-sS', '-g', '--max-time', '60', '--parallel', '--parallel-immediate', '--parallel-max', '200',
            '-w', '%{num_connects} %{http_code} %{url}\n'];
          for (let i = 1; i <= 200; i++) args.push(`http://${net.urlHost}/bytes/${1000 + i * 37}`, '-o', join(tmp, `p${i}`));
          const r = await ns.run('curl', args, { timeoutMs: 90_000 });
          assert.equal(r.code, 0, r.stderr);
          const lines = r.stdout.toString().trim().split('\n');
          assert.equal(lines.length, 200, r.stderr);
          const conns = lines.reduce((a, l) => a + Number(l.split(' ')[0]), 0);
          assert.ok(lines.every((l) => l.split(' ')[1] === '200'), r.stdout.toString());
          const bad: number[] = [];
          for (let i = 1; i <= 200; i++) {
            if (sha256(readFileSync(join(tmp, `p${i}`))) !== payloadSha256(1000 + i * 37)) bad.push(i);
            rmSync(join(tmp, `p${i}`));
          }
          assert.deepEqual(bad, [], 'transfers with wrong bodies');
          assert.ok(conns >= 100, `curl opened only ${conns} connections`);
          await checkSockets(conns);
        });
      }
    } catch (e) {
      state.failed = true;
      throw e;
    } finally {
      await server?.stop();
      if (server && state.failed) writeArtifact(logFile, server.stderr());
      const kept = [...settleArtifacts([pcap, logFile], state.failed), ...(await ns.cleanup(state.failed))];
      rmSync(tmp, { recursive: true, force: true });
      if (kept.length) t.diagnostic(`kept: ${kept.join(', ')}`);
    }
  });
}

for (const cfg of [{ family: 4 as const, mtu: 1500 }, { family: 6 as const, mtu: 65000 }]) {
  const label = `kernel-client-halfclose-v${cfg.family}-mtu${cfg.mtu}`;
  test(`socat half-close -> synack echo, IPv${cfg.family}, MTU ${cfg.mtu}: client shuts down writing, server keeps sending`, { timeout: 240000 }, async (t) => {
    const skip = interopSkipReason(['socat', 'ss']);
    if (skip) return t.skip(skip);
    let failed = true;
    const ns = new Netns('h');
    const tmp = mkdtempSync(join(tmpdir(), 'synack-interop-'));
    const pcap = artifact(label, 'pcap');
    const logFile = artifact(label, 'log');
    let server: SynackServer | undefined;
    try {
      const net = subnet(cfg.family);
      server = await startSynackServer(ns, { dev: uniqueName('d'), net, mtu: cfg.mtu, port: 7, mode: 'echo', pcap });
      const data = patternBytes(10 * MB, 7);
      const file = join(tmp, 'in.bin');
      writeFileSync(file, data);
      // socat sends the file, shuts down its write side at EOF (-t: keep reading for 60 s after),
      // and prints whatever comes back until synack's FIN.
      const addr = cfg.family === 6 ? `TCP6:[${net.synack}]:7` : `TCP4:${net.synack}:7`;
      const res = await ns.run('socat', ['-t', '60', `OPEN:${file},rdonly!!-`, addr], { timeoutMs: 90_000 });
      assert.equal(res.code, 0, res.stderr);
      assert.equal(res.stdout.length, data.length, 'echoed length');
      assert.equal(sha256(res.stdout), sha256(data));
      const rows = await settledSockets(ns, 7);
      assert.deepEqual(stateCounts(rows), { 'TIME-WAIT': 1 }, JSON.stringify(rows));
      assert.deepEqual(await synackSettled(server), {}, 'synack connection states');
      failed = false;
    } finally {
      await server?.stop();
      if (server && failed) writeArtifact(logFile, server.stderr());
      const kept = [...settleArtifacts([pcap, logFile], failed), ...(await ns.cleanup(failed))];
      rmSync(tmp, { recursive: true, force: true });
      if (kept.length) t.diagnostic(`kept: ${kept.join(', ')}`);
    }
  });
}

test('kernel without window scaling, timestamps or SACK, with ECN; synack closes first (Connection: close); a slow reader', { timeout: 240000 }, async (t) => {
  const skip = interopSkipReason(['curl', 'ss', 'python3']);
  if (skip) return t.skip(skip);
  const label = 'kernel-client-plain-tcp';
  const state = { failed: false };
  const ns = new Netns('p');
  const tmp = mkdtempSync(join(tmpdir(), 'synack-interop-'));
  const pcap = artifact(label, 'pcap');
  const logFile = artifact(label, 'log');
  let server: SynackServer | undefined;
  try {
    // Per-namespace sysctls: this kernel offers none of the RFC 7323 / RFC 2018 options.
    for (const [k, v] of [['tcp_window_scaling', '0'], ['tcp_timestamps', '0'], ['tcp_sack', '0'], ['tcp_ecn', '1']]) {
      ns.execSync('sysctl', ['-qw', `net.ipv4.${k}=${v}`]);
    }
    const net = subnet(4);
    server = await startSynackServer(ns, { dev: uniqueName('d'), net, mtu: 1500, port: 80, mode: 'http', pcap });
    const get = async (size: number, extra: string[]): Promise<void> => {
      const out = join(tmp, 'get.bin');
      const r = await ns.run('curl', ['-sS', '--max-time', '60', ...extra, '-o', out, `http://${net.urlHost}/bytes/${size}`], { timeoutMs: 70_000 });
      assert.equal(r.code, 0, r.stderr);
      const body = readFileSync(out);
      assert.equal(body.length, size);
      assert.equal(sha256(body), payloadSha256(size));
    };
    await sub(t, state, 'GET 5 MB and POST 5 MB without options (and an ECN-setup SYN)', async () => {
      await get(5 * MB, []);
      const data = patternBytes(5 * MB, 5);
      const file = join(tmp, 'post.bin');
      writeFileSync(file, data);
      const r = await ns.run('curl', ['-sS', '--max-time', '60', '--data-binary', `@${file}`, `http://${net.urlHost}/sha256`], { timeoutMs: 70_000 });
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout.toString(), sha256(data));
      assert.deepEqual(stateCounts(await settledSockets(ns, 80)), { 'TIME-WAIT': 2 });
      assert.deepEqual(await synackSettled(server!), {});
    });
    await sub(t, state, 'Connection: close: synack is the active closer, so TIME-WAIT is on synack and the kernel holds nothing', async () => {
      // A client that closes only after synack's FIN (curl may close at the same time: a race).
      const client = [
        'import socket, sys',
        `s = socket.create_connection(('${net.synack}', 80))`,
        "s.sendall(b'GET /bytes/100000 HTTP/1.1\\r\\nHost: synack\\r\\nConnection: close\\r\\n\\r\\n')",
        'data = b""',
        'while True:',
        '    d = s.recv(65536)',
        '    if not d: break',
        '    data += d',
        's.close()',
        'sys.stdout.buffer.write(data)',
      ].join('\n');
      const r = await ns.run('python3', ['-c', client], { timeoutMs: 30_000 });
      assert.equal(r.code, 0, r.stderr);
      const split = r.stdout.indexOf('\r\n\r\n');
      assert.equal(sha256(r.stdout.subarray(split + 4)), payloadSha256(100_000));
      assert.deepEqual(stateCounts(await settledSockets(ns, 80)), { 'TIME-WAIT': 2 }, 'only the earlier two');
      assert.deepEqual(await synackSettled(server!), { 'TIME-WAIT': 1 });
    });
    await sub(t, state, 'a slow reader (curl --limit-rate): the window closes and reopens, every byte arrives', async () => {
      await get(2 * MB, ['--limit-rate', '1M']);
      assert.deepEqual(stateCounts(await settledSockets(ns, 80)), { 'TIME-WAIT': 3 });
    });
  } catch (e) {
    state.failed = true;
    throw e;
  } finally {
    await server?.stop();
    if (server && state.failed) writeArtifact(logFile, server.stderr());
    const kept = [...settleArtifacts([pcap, logFile], state.failed), ...(await ns.cleanup(state.failed))];
    rmSync(tmp, { recursive: true, force: true });
    if (kept.length) t.diagnostic(`kept: ${kept.join(', ')}`);
  }
});
