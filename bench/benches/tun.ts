// tun: the kernel's TCP (Node `net` in a child process, in a network namespace we create)
// sends to synack (this process) over a TUN device moved into that namespace, at MTU 1500 and
// 65000; the yardstick is kernel -> kernel over a veth pair between two namespaces, same MTU,
// same bytes. Root only, and only when the TUN addon is built; skipped with a reason otherwise.
// Every namespace is deleted (and every child killed by PID) even on failure.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { HostStack } from '../../src/stack/host.js';
import { RealTimeScheduler } from '../../src/sim/realtime.js';
import { TunLink, tunAddonProblem } from '../../src/link/tun.js';
import { setupTun, parseCidr } from '../../src/link/tun-setup.js';
import { listenOn, tryAccept } from '../lib/synack.js';
import { nowMs, round, gbps, ratio, fmtBytes } from '../lib/util.js';

type Row = [string, string, string, string, string];
const PEER = join(dirname(fileURLToPath(import.meta.url)), '..', 'lib', 'tcp-peer.mjs');

function sh(cmd: string, args: string[]): string {
  return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

export function tunSkipReason(): string | null {
  if (process.platform !== 'linux') return `needs Linux (this is ${process.platform})`;
  if (process.getuid?.() !== 0) return 'needs root (TUN device, network namespaces)';
  if (!existsSync('/dev/net/tun')) return '/dev/net/tun is missing';
  const addon = tunAddonProblem();
  if (addon) return `TUN addon unavailable: ${addon.message}`;
  try {
    sh('ip', ['-V']);
  } catch {
    return '`ip` (iproute2) is missing';
  }
  return null;
}

/** Namespaces and children of one run, all removed by cleanup(). */
class Scope {
  private readonly nss: string[] = [];
  private readonly kids: ChildProcess[] = [];
  private n = 0;
  ns(): string {
    const name = `skb${process.pid.toString(36)}${++this.n}`;
    sh('ip', ['netns', 'add', name]);
    this.nss.push(name);
    sh('ip', ['-n', name, 'link', 'set', 'lo', 'up']);
    return name;
  }
  /** Run the peer in a namespace; resolves with its last JSON line. `ready` resolves when it
   *  prints 'ready' (receivers). */
  peer(ns: string, args: string[]): { done: Promise<Record<string, number>>; ready: Promise<void> } {
    const p = spawn('ip', ['netns', 'exec', ns, process.execPath, PEER, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.kids.push(p);
    let out = '';
    let err = '';
    let readyFn!: () => void;
    const ready = new Promise<void>((r) => (readyFn = r));
    p.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('ready')) readyFn();
    });
    p.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    const done = new Promise<Record<string, number>>((resolve, reject) => {
      p.on('exit', (code) => {
        const lines = out.trim().split('\n').filter((l) => l.startsWith('{'));
        if (code === 0 && lines.length) resolve(JSON.parse(lines[lines.length - 1]));
        else reject(new Error(`tcp-peer ${args[0]} exited ${code}: ${err.trim() || out.trim()}`));
      });
    });
    done.catch(() => {});
    return { done, ready };
  }
  cleanup(): void {
    for (const k of this.kids) if (k.exitCode === null && k.pid) try { process.kill(k.pid, 'SIGKILL'); } catch { /* gone */ }
    for (const ns of this.nss) try { sh('ip', ['netns', 'del', ns]); } catch { /* gone */ }
  }
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let t: NodeJS.Timeout;
  return Promise.race([p, new Promise<T>((_, rej) => (t = setTimeout(() => rej(new Error(`${what}: no result after ${ms / 1000} s`)), ms)))]).finally(() => clearTimeout(t));
}

/** Kernel (child in a namespace) -> synack (this process) over TUN. */
async function kernelToSynack(scope: Scope, mtu: number, bytes: number): Promise<{ seconds: number; bytes: number; inSegs: number; outSegs: number }> {
  const ns = scope.ns();
  const link = TunLink.open({ mtu });
  try {
    execFileSync('ip', ['link', 'set', 'dev', link.name, 'netns', ns], { stdio: 'pipe' });
    setupTun({ dev: link.name, mtu, addrs: [parseCidr('10.99.0.2/24')], kernelAddrs: ['10.99.0.1'], netns: ns });
    const sched = new RealTimeScheduler();
    const h = new HostStack({ name: 'synack', scheduler: sched, rng: 3 });
    h.addInterface({ name: 'tun0', port: link, addresses: ['10.99.0.2/24'] });
    const lfd = listenOn(h, '10.99.0.2', 5001);
    let got = 0;
    let t0 = 0;
    let t1 = 0;
    const finished = new Promise<void>((resolve) => {
      h.sockets.watch(lfd, (ev) => {
        if (ev !== 'accept') return;
        const s = tryAccept(h, lfd);
        if (s < 0) return;
        h.sockets.watch(s, (e) => {
          if (e !== 'readable' && e !== 'eof') return;
          while (h.sockets.inq(s) > 0) {
            if (got === 0) t0 = nowMs();
            got += h.sockets.read(s, 1 << 20).length;
          }
          if (got >= bytes && !t1) {
            t1 = nowMs();
            resolve();
          }
          if (e === 'eof') h.sockets.close(s); // our FIN: the sender's 'close' follows
        });
      });
    });
    const sender = scope.peer(ns, ['send', '10.99.0.2', '5001', String(bytes)]);
    await withTimeout(Promise.race([finished, sender.done.then(() => finished)]), 300_000, `tun mtu ${mtu}`);
    await withTimeout(sender.done, 30_000, 'tun sender exit');
    sched.close();
    const c = h.counters();
    return { seconds: (t1 - t0) / 1000, bytes: got, inSegs: c.tcpInSegs, outSegs: c.tcpOutSegs };
  } finally {
    link.close();
  }
}

/** Kernel -> kernel over a veth pair between two namespaces. */
async function kernelToKernel(scope: Scope, mtu: number, bytes: number): Promise<{ seconds: number; bytes: number }> {
  const a = scope.ns();
  const b = scope.ns();
  const va = `${a}a`.slice(-15);
  const vb = `${b}b`.slice(-15);
  sh('ip', ['link', 'add', va, 'mtu', String(mtu), 'netns', a, 'type', 'veth', 'peer', 'name', vb, 'mtu', String(mtu), 'netns', b]);
  sh('ip', ['-n', a, 'addr', 'add', '10.98.0.1/24', 'dev', va]);
  sh('ip', ['-n', b, 'addr', 'add', '10.98.0.2/24', 'dev', vb]);
  sh('ip', ['-n', a, 'link', 'set', va, 'up']);
  sh('ip', ['-n', b, 'link', 'set', vb, 'up']);
  const recv = scope.peer(b, ['recv', '10.98.0.2', '5001', String(bytes)]);
  await withTimeout(recv.ready, 30_000, 'veth receiver start');
  const send = scope.peer(a, ['send', '10.98.0.2', '5001', String(bytes)]);
  const r = await withTimeout(recv.done, 300_000, `veth mtu ${mtu}`);
  await withTimeout(send.done, 30_000, 'veth sender exit');
  return { seconds: r.seconds, bytes: r.received };
}

export async function tunBench(bytes: number, log: (s: string) => void): Promise<{ json: Record<string, unknown>; rows: Row[]; notes: string[] }> {
  const reason = tunSkipReason();
  if (reason) {
    log(`  tun: skipped: ${reason}`);
    return { json: { skipped: reason }, rows: [['tun', 'skipped', '', '', reason]], notes: [] };
  }
  const json: Record<string, unknown> = {};
  const rows: Row[] = [];
  for (const mtu of [1500, 65000]) {
    const scope = new Scope();
    try {
      const k = await kernelToKernel(scope, mtu, bytes);
      let s: { seconds: number; bytes: number; inSegs: number; outSegs: number } | null = null;
      let error: string | undefined;
      try {
        s = await kernelToSynack(scope, mtu, bytes);
      } catch (e) {
        error = (e as Error).message;
      }
      const sG = s ? gbps(s.bytes, s.seconds) : NaN;
      const kG = gbps(k.bytes, k.seconds);
      json[`mtu${mtu}`] = {
        synack_gbps: round(sG), kernel_gbps: round(kG), ratio: ratio(sG, kG), bytes,
        ...(s ? { synack_in_segs: s.inSegs, synack_out_segs: s.outSegs } : {}), ...(error ? { error } : {}),
      };
      rows.push([`tun ${fmtBytes(bytes)} MTU ${mtu} (kernel -> synack)`, s ? `${round(sG)} Gbit/s` : 'failed', `${round(kG)} Gbit/s`, `${ratio(sG, kG)}`, error ?? `${s ? round(s.seconds) : '-'} s vs ${round(k.seconds)} s; kernel->kernel over veth; synack got ${s?.inSegs} segs, sent ${s?.outSegs}`]);
    } catch (e) {
      json[`mtu${mtu}`] = { error: (e as Error).message };
      rows.push([`tun MTU ${mtu}`, 'failed', '', '', (e as Error).message]);
    } finally {
      scope.cleanup();
    }
  }
  return {
    json,
    rows,
    notes: ['tun: sender is Node net in a child process in a fresh namespace; receiver is synack (this process, real-time scheduler) over TUN, or Node net in a second namespace over veth. Timed at the receiver from first to last byte.'],
  };
}
