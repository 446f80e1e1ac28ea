// The TUN link on its own, before any stack: the test answers ICMP echo itself, and sends echo
// requests the kernel answers. Proves the addon, the poll/drain loop, writes, device setup, IPv4
// and IPv6, MTU 1500 and 65000.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { TunLink } from '../../src/link/tun.js';
import { setupTun, parseCidr } from '../../src/link/tun-setup.js';
import { ipChecksum, interopSkipReason, moveToNetns, Netns, ROOT, uniqueName } from './helpers.js';

const PYPING = join(import.meta.dirname, 'pyping.py');

/** Bytes of an IPv6 address in text form (full or with ::). */
function v6Bytes(a: string): Uint8Array {
  const [h, t] = a.includes('::') ? a.split('::') : [a, undefined];
  const hs = h ? h.split(':') : [];
  const ts = t ? t.split(':') : [];
  const groups = t === undefined ? hs : [...hs, ...Array(8 - hs.length - ts.length).fill('0'), ...ts];
  const b = new Uint8Array(16);
  groups.forEach((g, i) => {
    const v = parseInt(g, 16);
    b[i * 2] = v >> 8;
    b[i * 2 + 1] = v & 0xff;
  });
  return b;
}

function pseudoSum6(p: Uint8Array, len: number, next: number): number {
  let s = 0;
  for (let i = 8; i < 40; i += 2) s += (p[i] << 8) | p[i + 1];
  s += (len >>> 16) + (len & 0xffff) + next;
  return s;
}

/** Turns an ICMP(v6) echo request into its reply in place; returns false for anything else. */
function echoReply(p: Uint8Array): boolean {
  const ver = p[0] >> 4;
  if (ver === 4) {
    const ihl = (p[0] & 0x0f) * 4;
    if (p[9] !== 1 || p[ihl] !== 8) return false;
    const src = p.slice(12, 16);
    p.copyWithin(12, 16, 20);
    p.set(src, 16);
    p[8] = 64; // ttl
    p[10] = p[11] = 0;
    const hc = ipChecksum(p, 0, ihl);
    p[10] = hc >> 8;
    p[11] = hc & 0xff;
    p[ihl] = 0; // echo reply
    p[ihl + 2] = p[ihl + 3] = 0;
    const total = (p[2] << 8) | p[3];
    const c = ipChecksum(p, ihl, total);
    p[ihl + 2] = c >> 8;
    p[ihl + 3] = c & 0xff;
    return true;
  }
  if (ver === 6) {
    if (p[6] !== 58 || p[40] !== 128) return false;
    const src = p.slice(8, 24);
    p.copyWithin(8, 24, 40);
    p.set(src, 24);
    p[7] = 64;
    p[40] = 129;
    p[42] = p[43] = 0;
    const len = (p[4] << 8) | p[5];
    const c = ipChecksum(p, 40, 40 + len, pseudoSum6(p, len, 58));
    p[42] = c >> 8;
    p[43] = c & 0xff;
    return true;
  }
  return false;
}

/** An ICMP(v6) echo request from `src` to `dst` with `size` payload bytes. */
function echoRequest(family: 4 | 6, src: string, dst: string, id: number, seq: number, size: number): Uint8Array {
  if (family === 4) {
    const p = new Uint8Array(20 + 8 + size);
    p[0] = 0x45;
    p[2] = p.length >> 8;
    p[3] = p.length & 0xff;
    p[6] = 0x40; // DF
    p[8] = 64;
    p[9] = 1;
    p.set(src.split('.').map(Number), 12);
    p.set(dst.split('.').map(Number), 16);
    const hc = ipChecksum(p, 0, 20);
    p[10] = hc >> 8;
    p[11] = hc & 0xff;
    p[20] = 8;
    p[24] = id >> 8;
    p[25] = id & 0xff;
    p[26] = seq >> 8;
    p[27] = seq & 0xff;
    for (let i = 0; i < size; i++) p[28 + i] = (i * 31 + seq) & 0xff;
    const c = ipChecksum(p, 20, p.length);
    p[22] = c >> 8;
    p[23] = c & 0xff;
    return p;
  }
  const len = 8 + size;
  const p = new Uint8Array(40 + len);
  p[0] = 0x60;
  p[4] = len >> 8;
  p[5] = len & 0xff;
  p[6] = 58;
  p[7] = 64;
  p.set(v6Bytes(src), 8);
  p.set(v6Bytes(dst), 24);
  p[40] = 128;
  p[44] = id >> 8;
  p[45] = id & 0xff;
  p[46] = seq >> 8;
  p[47] = seq & 0xff;
  for (let i = 0; i < size; i++) p[48 + i] = (i * 31 + seq) & 0xff;
  const c = ipChecksum(p, 40, p.length, pseudoSum6(p, len, 58));
  p[42] = c >> 8;
  p[43] = c & 0xff;
  return p;
}

interface Case {
  family: 4 | 6;
  mtu: number;
  size: number;
}

const cases: Case[] = [
  { family: 4, mtu: 1500, size: 56 },
  { family: 4, mtu: 1500, size: 1472 }, // exactly one full 1500-byte packet
  { family: 4, mtu: 65000, size: 64000 },
  { family: 6, mtu: 1500, size: 56 },
  { family: 6, mtu: 65000, size: 64000 },
];

for (const c of cases) {
  test(`raw TUN IPv${c.family} mtu ${c.mtu}: kernel pings the link (${c.size} B) and the test answers; the kernel answers the test's pings`, { timeout: 30000 }, async (t) => {
    const skip = interopSkipReason(['python3']);
    if (skip) return t.skip(skip);
    let ns: Netns | undefined;
    let link: TunLink | undefined;
    let failed = true;
    try {
      ns = new Netns('r');
      const dev = uniqueName('t');
      link = TunLink.open({ name: dev, mtu: c.mtu });
      assert.equal(link.name, dev);
      moveToNetns(dev, ns.name);
      const sub = (process.pid % 200) + 20;
      const cidr = c.family === 4 ? `10.${sub}.${c.mtu === 1500 ? 1 : 2}.2/24` : `fd00:${sub}:${c.mtu === 1500 ? 1 : 2}::2/64`;
      const setup = setupTun({ dev, mtu: c.mtu, addrs: [parseCidr(cidr)], netns: ns.name });
      const { kernel, synack } = setup.pairs[0];
      ns.startCapture(dev, `raw-v${c.family}-mtu${c.mtu}`);
      await ns.captureReady();

      const replies: Uint8Array[] = [];
      let echoed = 0;
      link.onReceive = (p) => {
        const ver = p[0] >> 4;
        const isReply = ver === 4 ? p[9] === 1 && p[20] === 0 : p[6] === 58 && p[40] === 129;
        if (isReply) {
          replies.push(p);
          return;
        }
        if (echoReply(p)) {
          echoed++;
          link!.send(p);
        }
      };

      // Kernel -> TUN: the kernel pings synack's address; the test answers.
      const r = await ns.run('python3', [PYPING, synack, String(c.size), '3'], { timeoutMs: 15_000 });
      assert.equal(r.code, 0, `pyping failed: ${r.stdout}${r.stderr}`);
      assert.equal(r.stdout.toString().trim().split('\n').filter((l) => l.endsWith('True')).length, 3);
      assert.ok(echoed >= 3);

      // TUN -> kernel: the test pings the kernel's address; the kernel answers.
      for (let seq = 0; seq < 3; seq++) link.send(echoRequest(c.family, synack, kernel, 0x5a5a, seq, c.size));
      for (let i = 0; i < 100 && replies.length < 3; i++) await new Promise((res) => setTimeout(res, 20));
      assert.equal(replies.length, 3, `kernel echo replies: ${replies.length}, link stats ${JSON.stringify(link.stats)}`);
      for (const p of replies) assert.equal(p.length, (c.family === 4 ? 28 : 48) + c.size);
      assert.deepEqual(link.stats.txErrors, {});
      failed = false;
    } finally {
      link?.close();
      const kept = (await ns?.cleanup(failed)) ?? [];
      if (kept.length) t.diagnostic(`pcap kept: ${kept.join(', ')}`);
    }
  });
}

test('raw TUN: impairment drops the configured share of packets, seeded and repeatable', { timeout: 30000 }, async (t) => {
  const skip = interopSkipReason(['python3']);
  if (skip) return t.skip(skip);
  const dropped: number[] = [];
  for (let run = 0; run < 2; run++) {
    let ns: Netns | undefined;
    let link: TunLink | undefined;
    try {
      ns = new Netns('i');
      const dev = uniqueName('t');
      link = TunLink.open({ name: dev, mtu: 1500, impair: { seed: 42, lossOut: 0.5 } });
      moveToNetns(dev, ns.name);
      const { kernel, synack } = setupTun({ dev, mtu: 1500, addrs: [parseCidr('10.77.0.2/24')], netns: ns.name }).pairs[0];
      let replies = 0;
      link.onReceive = (p) => {
        if (p[0] >> 4 === 4 && p[9] === 1 && p[20] === 0) replies++;
      };
      for (let seq = 0; seq < 200; seq++) link.send(echoRequest(4, synack, kernel, 7, seq, 16));
      for (let i = 0; i < 100 && replies < 200 - link.stats.impairDroppedOut; i++) await new Promise((res) => setTimeout(res, 10));
      assert.equal(replies, 200 - link.stats.impairDroppedOut);
      assert.ok(link.stats.impairDroppedOut > 60 && link.stats.impairDroppedOut < 140, `dropped ${link.stats.impairDroppedOut}`);
      dropped.push(link.stats.impairDroppedOut);
    } finally {
      link?.close();
      await ns?.cleanup(false);
    }
  }
  assert.equal(dropped[0], dropped[1], 'same seed, same drops');
});

test('raw TUN: an open link does not keep process.exit() waiting', { timeout: 30000 }, (t) => {
  const skip = interopSkipReason();
  if (skip) return t.skip(skip);
  const dev = uniqueName('x');
  const script = `
    import { TunLink } from './src/link/tun.ts';
    const l = TunLink.open({ name: ${JSON.stringify(dev)} });
    l.onReceive = () => {};
    setTimeout(() => process.exit(0), 50);
  `;
  const started = Date.now();
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: ROOT, timeout: 10_000, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.ok(Date.now() - started < 8000);
});

test('TUN link without the addon: TunLink.open throws TunUnavailableError naming the fix', { timeout: 30000 }, () => {
  const script = `
    import { TunLink } from './src/link/tun.ts';
    try { TunLink.open({ name: 'x' }); console.log('opened'); }
    catch (e) { console.log(e.name, e.reason, e.message); }
  `;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: ROOT,
    timeout: 20_000,
    encoding: 'utf8',
    env: { ...process.env, SYNACK_TUN_ADDON: '/nonexistent/synack_tun.node' },
  });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^TunUnavailableError addon-missing .*not built.*npm run build:native/);
});

test('raw TUN: close() from inside onReceive stops delivery at once and the kernel deletes the device', { timeout: 30000 }, async (t) => {
  const skip = interopSkipReason(['python3']);
  if (skip) return t.skip(skip);
  let ns: Netns | undefined;
  let link: TunLink | undefined;
  try {
    ns = new Netns('z');
    const dev = uniqueName('t');
    link = TunLink.open({ name: dev, mtu: 1500 });
    moveToNetns(dev, ns.name);
    const { synack } = setupTun({ dev, mtu: 1500, addrs: [parseCidr('10.78.0.2/24')], netns: ns.name }).pairs[0];
    let calls = 0;
    const l = link;
    l.onReceive = () => {
      calls++;
      l.close();
    };
    // Several packets queued at once: only the first is delivered.
    await ns.run('python3', ['-c', `
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(20): s.sendto(b'x', ('${synack}', 9))
`], { timeoutMs: 10_000 });
    for (let i = 0; i < 100 && calls === 0; i++) await new Promise((r) => setTimeout(r, 10));
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(calls, 1);
    assert.ok(l.isClosed);
    l.send(new Uint8Array(40)); // a send after close is ignored, never throws
    const show = spawnSync('ip', ['-n', ns.name, 'link', 'show', 'dev', dev], { encoding: 'utf8' });
    assert.notEqual(show.status, 0, `device still there: ${show.stdout}`);
  } finally {
    link?.close();
    await ns?.cleanup(false);
  }
});
