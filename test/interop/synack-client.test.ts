// synack client -> kernel server: `synack tun ... connect` inside a namespace the test creates,
// against python3 -m http.server and a socat echo server run by the kernel; a closed port gives
// ECONNREFUSED; a server killed mid-transfer gives ECONNRESET. Bytes checked with SHA-256; the
// kernel's sockets must settle (synack closes first, so the kernel ends with nothing: no
// CLOSE-WAIT, LAST-ACK or FIN-WAIT-2 left behind).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import {
  artifact, interopSkipReason, killAndWait, Netns, patternBytes, runSynackConnect, settleArtifacts, settledSockets,
  sha256, sleep, stateCounts, subnet, uniqueName, type Subnet,
} from './helpers.js';

const MB = 1_000_000;

/** Wait until the kernel listens on `port` in the namespace. */
async function listening(ns: Netns, port: number, proc: ChildProcess): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (ns.sockets().some((r) => r.state === 'LISTEN' && r.local.endsWith(`:${port}`))) return;
    if (proc.exitCode !== null) throw new Error(`server exited (${proc.exitCode}) before listening`);
    await sleep(25);
  }
  throw new Error(`nothing listens on ${port} after 5 s`);
}

interface Env {
  ns: Netns;
  net: Subnet;
  tmp: string;
  pcap: string;
  mtu: number;
}

/** One namespace, one subnet, artifacts kept on failure, everything removed after. */
async function withEnv(t: { skip(m: string): void; diagnostic(m: string): void }, label: string, family: 4 | 6, mtu: number, tools: string[],
  fn: (env: Env) => Promise<void>): Promise<void> {
  const skip = interopSkipReason(tools);
  if (skip) return t.skip(skip);
  let failed = true;
  const ns = new Netns('c');
  const tmp = mkdtempSync(join(tmpdir(), 'synack-interop-'));
  const pcap = artifact(label, 'pcap');
  try {
    await fn({ ns, net: subnet(family), tmp, pcap, mtu });
    failed = false;
  } finally {
    const kept = [...settleArtifacts([pcap], failed), ...(await ns.cleanup(failed))];
    rmSync(tmp, { recursive: true, force: true });
    if (kept.length) t.diagnostic(`kept: ${kept.join(', ')}`);
  }
}

for (const [family, mtu] of [[4, 1500], [6, 65000]] as const) {
  test(`synack GET from python3 http.server (kernel), IPv${family}, MTU ${mtu}: body byte-for-byte`, { timeout: 90000 }, (t) =>
    withEnv(t, `synack-client-http-v${family}-mtu${mtu}`, family, mtu, ['python3', 'ss'], async ({ ns, net, tmp, pcap }) => {
      const body = patternBytes(4 * MB, 11);
      writeFileSync(join(tmp, 'f.bin'), body);
      const srv = ns.spawn('python3', ['-m', 'http.server', '8000', '--bind', family === 6 ? '::' : '0.0.0.0', '--directory', tmp],
        { stdio: 'ignore' });
      await listening(ns, 8000, srv);
      const started = Date.now();
      const r = await runSynackConnect(ns, {
        dev: uniqueName('d'), net, mtu, pcap, host: net.kernel, port: 8000, extra: ['--linger', '300'],
        input: 'GET /f.bin HTTP/1.0\r\nHost: kernel\r\n\r\n',
      });
      const secs = (Date.now() - started) / 1000;
      assert.equal(r.code, 0, r.stderr);
      const out = r.stdout;
      const split = out.indexOf('\r\n\r\n');
      assert.ok(split > 0, `no HTTP header in ${out.subarray(0, 200).toString()}`);
      assert.match(out.subarray(0, split).toString(), /^HTTP\/1\.[01] 200/);
      const got = out.subarray(split + 4);
      assert.equal(got.length, body.length);
      assert.equal(sha256(got), sha256(body));
      t.diagnostic(`4 MB GET (incl. synack start-up) in ${secs.toFixed(2)} s`);
      const rows = await settledSockets(ns, 8000);
      assert.deepEqual(stateCounts(rows), {}, JSON.stringify(rows));
      await killAndWait(srv);
    }));

  test(`synack -> socat echo (kernel), IPv${family}, MTU ${mtu}: 10 MB echoed byte-for-byte after half-close`, { timeout: 90000 }, (t) =>
    withEnv(t, `synack-client-echo-v${family}-mtu${mtu}`, family, mtu, ['socat', 'ss'], async ({ ns, net, tmp, pcap }) => {
      const data = patternBytes(10 * MB, 3);
      const file = join(tmp, 'in.bin');
      writeFileSync(file, data);
      const srv = ns.spawn('socat', ['-t', '30', `TCP${family}-LISTEN:9000,reuseaddr,fork`, 'EXEC:cat'], { stdio: 'ignore' });
      await listening(ns, 9000, srv);
      const started = Date.now();
      const r = await runSynackConnect(ns, { dev: uniqueName('d'), net, mtu, pcap, host: net.kernel, port: 9000, file, extra: ['--linger', '300'] });
      const secs = (Date.now() - started) / 1000;
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout.length, data.length, `echoed ${r.stdout.length} of ${data.length}; ${r.stderr}`);
      assert.equal(sha256(r.stdout), sha256(data));
      t.diagnostic(`10 MB each way (incl. synack start-up) in ${secs.toFixed(2)} s`);
      const rows = await settledSockets(ns, 9000);
      assert.deepEqual(stateCounts(rows), {}, JSON.stringify(rows));
      await killAndWait(srv);
    }));
}

test('synack connect to a closed kernel port: ECONNREFUSED, exit 1', { timeout: 90000 }, (t) =>
  withEnv(t, 'synack-client-refused', 4, 1500, [], async ({ ns, net, pcap }) => {
    const r = await runSynackConnect(ns, { dev: uniqueName('d'), net, mtu: 1500, pcap, host: net.kernel, port: 9, extra: ['--linger', '0'] });
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /ECONNREFUSED/);
    assert.equal(r.stdout.length, 0);
  }));

test('synack connect IPv6 to a closed kernel port: ECONNREFUSED, exit 1', { timeout: 90000 }, (t) =>
  withEnv(t, 'synack-client-refused-v6', 6, 1500, [], async ({ ns, net, pcap }) => {
    const r = await runSynackConnect(ns, { dev: uniqueName('d'), net, mtu: 1500, pcap, host: net.kernel, port: 9, extra: ['--linger', '0'] });
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /ECONNREFUSED/);
  }));

const SINK = `
import socket, sys, time
fam = socket.AF_INET6 if sys.argv[1] == '6' else socket.AF_INET
s = socket.socket(fam, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('::' if fam == socket.AF_INET6 else '0.0.0.0', 9100))
s.listen(1)
c, _ = s.accept()
n = 0
while n < 262144:
    d = c.recv(65536)
    if not d:
        break
    n += len(d)
print('got', n, flush=True)
time.sleep(60)  # stop reading: unread data queues up until we are killed
`;

for (const family of [4, 6] as const) {
  test(`kernel server killed mid-transfer, IPv${family}: synack's connect fails with ECONNRESET`, { timeout: 90000 }, (t) =>
    withEnv(t, `synack-client-reset-v${family}`, family, 1500, ['python3', 'ss'], async ({ ns, net, tmp, pcap }) => {
      const file = join(tmp, 'big.bin');
      writeFileSync(file, patternBytes(20 * MB, 5));
      const srv = ns.spawn('python3', ['-c', SINK, String(family)], { stdio: ['ignore', 'pipe', 'pipe'] });
      let got = false;
      srv.stdout!.on('data', (d: Buffer) => {
        if (d.toString().includes('got')) got = true;
      });
      await listening(ns, 9100, srv);
      const run = runSynackConnect(ns, { dev: uniqueName('d'), net, mtu: 1500, pcap, host: net.kernel, port: 9100, file, extra: ['--linger', '0'] });
      for (let i = 0; i < 400 && !got; i++) await sleep(25);
      assert.ok(got, 'the kernel server never received 256 KB');
      await sleep(100);
      await killAndWait(srv, 'SIGKILL'); // close with unread data: the kernel sends RST
      const r = await run;
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, /ECONNRESET/);
      const rows = await settledSockets(ns, 9100);
      assert.deepEqual(stateCounts(rows), {}, JSON.stringify(rows));
    }));
}

for (const [reject, code] of [['icmp-port-unreachable', 'ECONNREFUSED'], ['icmp-admin-prohibited', 'EHOSTUNREACH']] as const) {
  test(`synack connect answered by ICMP (iptables REJECT --reject-with ${reject}): fails at once with ${code}`, { timeout: 90000 }, (t) =>
    withEnv(t, `synack-client-icmp-${reject}`, 4, 1500, ['iptables'], async ({ ns, net, pcap }) => {
      ns.execSync('iptables', ['-w', '-A', 'INPUT', '-p', 'tcp', '--dport', '9300', '-j', 'REJECT', '--reject-with', reject]);
      const started = Date.now();
      const r = await runSynackConnect(ns, { dev: uniqueName('d'), net, mtu: 1500, pcap, host: net.kernel, port: 9300, extra: ['--linger', '0'], timeoutMs: 20_000 });
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, new RegExp(code));
      // A hard ICMP error aborts SYN-SENT (RFC 5461 / RFC 1122 4.2.3.9): no SYN retransmission.
      assert.ok(Date.now() - started < 10_000, `took ${Date.now() - started} ms`);
    }));
}
