// Shared machinery for the interop tests: a network namespace per test, processes tracked by
// PID and always killed, a tcpdump capture kept only when the test fails.
import { execFileSync, spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { tunAddonProblem } from '../../src/link/tun.js';

export const ROOT = resolve(import.meta.dirname, '..', '..');
export const OUT_DIR = join(ROOT, 'test-output', 'interop');
export const SYNACK_BIN = join(ROOT, 'bin', 'synack.js');

let counter = 0;
/** A unique short name (<= 15 bytes, an interface-name limit): syi<pid base36><tag><n>. */
export function uniqueName(tag = ''): string {
  counter++;
  return `syi${process.pid.toString(36)}${tag}${counter}`.slice(0, 15);
}

function have(cmd: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

let cachedReason: string | null | undefined;
/** Why the interop tests cannot run here, or null. */
export function interopSkipReason(tools: string[] = []): string | null {
  if (cachedReason === undefined) cachedReason = computeSkipReason();
  if (cachedReason) return cachedReason;
  const missing = tools.filter((t) => !have(t));
  return missing.length ? `missing tools: ${missing.join(', ')}` : null;
}

function computeSkipReason(): string | null {
  if (process.platform !== 'linux') return `interop tests need Linux (this is ${process.platform})`;
  if (process.getuid?.() !== 0) return 'interop tests need root (network namespaces, TUN devices)';
  if (!existsSync('/dev/net/tun')) return '/dev/net/tun is missing';
  const addon = tunAddonProblem();
  if (addon) return addon.message;
  if (!have('ip')) return '`ip` (iproute2) is missing';
  // Can we create a namespace at all (containers may forbid it)?
  const probe = `skprobe${process.pid}`;
  try {
    execFileSync('ip', ['netns', 'add', probe], { stdio: 'pipe' });
  } catch (e) {
    return `cannot create a network namespace: ${String((e as { stderr?: Buffer }).stderr ?? e).trim()}`;
  } finally {
    try {
      execFileSync('ip', ['netns', 'del', probe], { stdio: 'ignore' });
    } catch {
      /* was not created */
    }
  }
  return null;
}

export function sha256(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Deterministic pseudo-random bytes (a test's payload). */
export function patternBytes(n: number, seed = 1): Buffer {
  const w = new Int32Array((n + 3) >> 2);
  let x = (seed * 2654435761) | 0 || 1;
  for (let i = 0; i < w.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    w[i] = x;
  }
  return Buffer.from(w.buffer, 0, n);
}

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: Buffer;
  stderr: string;
}

/** A network namespace owned by one test, with the processes it started. */
export class Netns {
  readonly name: string;
  private readonly procs = new Set<ChildProcess>();
  private captures: { proc: ChildProcess; file: string }[] = [];
  private deleted = false;

  constructor(tag = 'n') {
    this.name = uniqueName(tag);
    execFileSync('ip', ['netns', 'add', this.name], { stdio: 'pipe' });
    execFileSync('ip', ['-n', this.name, 'link', 'set', 'lo', 'up'], { stdio: 'pipe' });
  }

  /** Run a command inside the namespace synchronously (throws on failure). */
  execSync(cmd: string, args: string[], input?: string | Buffer): string {
    return execFileSync('ip', ['netns', 'exec', this.name, cmd, ...args], {
      encoding: 'utf8',
      input,
      stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      maxBuffer: 64 << 20,
    });
  }

  /** Start a process inside the namespace; tracked and killed by PID in cleanup(). */
  spawn(cmd: string, args: string[], opts: SpawnOptions = {}): ChildProcess {
    const p = spawn('ip', ['netns', 'exec', this.name, cmd, ...args], { stdio: 'pipe', ...opts });
    this.procs.add(p);
    p.on('exit', () => this.procs.delete(p));
    p.on('error', () => this.procs.delete(p));
    return p;
  }

  /** Run to completion and collect output (with a timeout that kills it). */
  run(cmd: string, args: string[], opts: { input?: Buffer | string; timeoutMs?: number } = {}): Promise<RunResult> {
    const p = this.spawn(cmd, args);
    return collect(p, opts);
  }

  /** `ss -tanH` inside the namespace: [state, local, peer] rows. */
  sockets(): { state: string; local: string; peer: string }[] {
    const out = this.execSync('ss', ['-tanH']);
    return out
      .split('\n')
      .map((l) => l.trim().split(/\s+/))
      .filter((f) => f.length >= 5)
      .map((f) => ({ state: f[0], local: f[3], peer: f[4] }));
  }

  /** Start tcpdump on `dev` (headers only); kept in test-output/interop/ when the test fails. */
  startCapture(dev: string, label: string): void {
    if (!have('tcpdump')) return;
    mkdirSync(OUT_DIR, { recursive: true });
    const file = join(OUT_DIR, `${label.replace(/[^A-Za-z0-9_.-]+/g, '_')}.${this.name}.pcap`);
    const p = this.spawn('tcpdump', ['-i', dev, '-s', '160', '-U', '-n', '-w', file], { stdio: 'ignore' });
    this.captures.push({ proc: p, file });
  }

  /** Wait until tcpdump is actually capturing (it opens the file when ready). */
  async captureReady(): Promise<void> {
    for (const c of this.captures) {
      for (let i = 0; i < 100 && !existsSync(c.file); i++) await sleep(20);
    }
  }

  /** Kill every process by PID, stop captures (delete them unless `keep`), delete the namespace. */
  async cleanup(keep: boolean): Promise<string[]> {
    const kept: string[] = [];
    for (const c of this.captures) {
      await killAndWait(c.proc, 'SIGINT');
      if (keep && existsSync(c.file)) {
        kept.push(c.file);
      } else {
        rmSync(c.file, { force: true });
      }
    }
    this.captures = [];
    await Promise.all([...this.procs].map((p) => killAndWait(p, 'SIGTERM')));
    if (!this.deleted) {
      this.deleted = true;
      try {
        // Any process still inside the namespace (a grandchild) dies with it: kill by PID.
        const pids = execFileSync('ip', ['netns', 'pids', this.name], { encoding: 'utf8' })
          .split(/\s+/).filter(Boolean).map(Number);
        for (const pid of pids) {
          try {
            process.kill(pid, 'SIGKILL');
          } catch {
            /* gone */
          }
        }
      } catch {
        /* namespace already gone */
      }
      try {
        execFileSync('ip', ['netns', 'del', this.name], { stdio: 'ignore' });
      } catch {
        /* already gone */
      }
    }
    return kept;
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export function killAndWait(p: ChildProcess, sig: NodeJS.Signals = 'SIGTERM', graceMs = 2000): Promise<void> {
  if (p.exitCode !== null || p.signalCode !== null || p.pid === undefined) return Promise.resolve();
  return new Promise((res) => {
    const t = setTimeout(() => {
      try {
        process.kill(p.pid!, 'SIGKILL');
      } catch {
        /* gone */
      }
    }, graceMs);
    p.once('exit', () => {
      clearTimeout(t);
      res();
    });
    try {
      process.kill(p.pid!, sig);
    } catch {
      clearTimeout(t);
      res();
    }
  });
}

export function collect(p: ChildProcess, opts: { input?: Buffer | string; timeoutMs?: number } = {}): Promise<RunResult> {
  return new Promise((res, rej) => {
    const out: Buffer[] = [];
    let err = '';
    p.stdout?.on('data', (d: Buffer) => out.push(d));
    p.stderr?.on('data', (d: Buffer) => (err += d.toString()));
    const t = setTimeout(() => {
      err += `\n[killed after ${opts.timeoutMs} ms]`;
      try {
        process.kill(p.pid!, 'SIGKILL');
      } catch {
        /* gone */
      }
    }, opts.timeoutMs ?? 30_000);
    p.on('error', (e) => {
      clearTimeout(t);
      rej(e);
    });
    p.on('close', (code, signal) => {
      clearTimeout(t);
      res({ code, signal, stdout: Buffer.concat(out), stderr: err });
    });
    if (p.stdin) {
      p.stdin.on('error', () => {});
      if (opts.input !== undefined) p.stdin.end(opts.input);
      else p.stdin.end();
    }
  });
}

/** Move a device into a namespace. */
export function moveToNetns(dev: string, ns: string): void {
  execFileSync('ip', ['link', 'set', 'dev', dev, 'netns', ns], { stdio: 'pipe' });
}

// ---- raw IP helpers for tests that answer packets themselves -------------------------------

export function ipChecksum(b: Uint8Array, start = 0, end = b.length, initial = 0): number {
  let s = initial;
  for (let i = start; i + 1 < end; i += 2) s += (b[i] << 8) | b[i + 1];
  if ((end - start) & 1) s += b[end - 1] << 8;
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return ~s & 0xffff;
}

// ---- synack as a child process (`synack tun ...` inside the namespace) ---------------------

export interface Subnet {
  family: 4 | 6;
  cidr: string;
  kernel: string;
  synack: string;
  /** Host part for URLs ("[fd00::2]" for IPv6). */
  urlHost: string;
}

let subnetCounter = 0;
/** A fresh subnet for one device (10.x for IPv4, fd00:5a:... for IPv6). */
export function subnet(family: 4 | 6): Subnet {
  subnetCounter++;
  const a = 100 + (process.pid % 100);
  const b = subnetCounter % 250;
  if (family === 4) {
    return { family, cidr: `10.${a}.${b}.2/24`, kernel: `10.${a}.${b}.1`, synack: `10.${a}.${b}.2`, urlHost: `10.${a}.${b}.2` };
  }
  const p = `fd00:5a:${a.toString(16)}:${b.toString(16)}`;
  return { family, cidr: `${p}::2/64`, kernel: `${p}::1`, synack: `${p}::2`, urlHost: `[${p}::2]` };
}

export interface SynackOptions {
  dev: string;
  net: Subnet;
  mtu: number;
  /** Extra flags before the action (impairments, --seed ...). */
  extra?: string[];
  /** Where synack writes its pcap (kept by the test only when it fails). */
  pcap?: string;
}

function synackArgs(o: SynackOptions): string[] {
  const a = [SYNACK_BIN, 'tun', '--dev', o.dev, '--addr', o.net.cidr, '--mtu', String(o.mtu), ...(o.extra ?? [])];
  if (o.pcap) a.push('--pcap', o.pcap, '--snaplen', '128');
  return a;
}

export interface SynackServer {
  proc: ChildProcess;
  stderr(): string;
  /** SIGTERM (SIGKILL after a grace period) and wait. */
  stop(): Promise<void>;
  /** synack's connection states by count (LISTEN left out). */
  connections(): Promise<Record<string, number>>;
}

/** Start `synack tun ... serve` in the namespace and wait until it says ready. */
export async function startSynackServer(ns: Netns, o: SynackOptions & { port: number; mode: 'echo' | 'discard' | 'http' }): Promise<SynackServer> {
  const proc = ns.spawn(process.execPath, [...synackArgs(o), 'serve', '--port', String(o.port), '--mode', o.mode], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  await new Promise<void>((res, rej) => {
    const t = setTimeout(() => rej(new Error(`synack serve did not get ready in 30 s:\n${err}`)), 30_000);
    proc.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
      if (err.includes('synack tun: ready')) {
        clearTimeout(t);
        res();
      }
    });
    proc.on('exit', (code, sig) => {
      clearTimeout(t);
      rej(new Error(`synack serve exited (${code ?? sig}) before ready:\n${err}`));
    });
  });
  let seen = 0;
  /** synack's own connection states (LISTEN left out), via SIGUSR1. */
  const connections = async (): Promise<Record<string, number>> => {
    const before = err.length;
    process.kill(proc.pid!, 'SIGUSR1');
    for (let i = 0; i < 200; i++) {
      const m = /synack tun: connections (\{.*\})\n/.exec(err.slice(Math.max(before, seen)));
      if (m) {
        seen = err.length;
        return JSON.parse(m[1]) as Record<string, number>;
      }
      await sleep(10);
    }
    throw new Error('synack did not report its connections');
  };
  return { proc, stderr: () => err, stop: () => killAndWait(proc, 'SIGTERM', 3000), connections };
}

/** Run `synack tun ... connect HOST:PORT` to completion. */
export function runSynackConnect(
  ns: Netns,
  o: SynackOptions & { host: string; port: number; file?: string; input?: Buffer | string; timeoutMs?: number },
): Promise<RunResult> {
  const hostPort = o.host.includes(':') ? `[${o.host}]:${o.port}` : `${o.host}:${o.port}`;
  const args = [...synackArgs(o), 'connect', hostPort];
  if (o.file) args.push('--file', o.file);
  const p = ns.spawn(process.execPath, args);
  return collect(p, { input: o.input ?? '', timeoutMs: o.timeoutMs ?? 60_000 });
}

const BAD_STATES = new Set(['ESTAB', 'SYN-SENT', 'SYN-RECV', 'FIN-WAIT-1', 'FIN-WAIT-2', 'CLOSE-WAIT', 'LAST-ACK', 'CLOSING']);

/** Wait (up to `ms`) until no kernel socket involving `port` is in a transient state, then return
 *  the rows involving that port (LISTEN excluded). */
export async function settledSockets(ns: Netns, port: number, ms = 5000): Promise<{ state: string; local: string; peer: string }[]> {
  const deadline = Date.now() + ms;
  const mine = () => ns.sockets().filter((r) => r.state !== 'LISTEN' && (r.local.endsWith(`:${port}`) || r.peer.endsWith(`:${port}`)));
  let rows = mine();
  while (rows.some((r) => BAD_STATES.has(r.state)) && Date.now() < deadline) {
    await sleep(50);
    rows = mine();
  }
  return rows;
}

/** Assert-friendly summary: counts by state. */
export function stateCounts(rows: { state: string }[]): Record<string, number> {
  const c: Record<string, number> = {};
  for (const r of rows) c[r.state] = (c[r.state] ?? 0) + 1;
  return c;
}

/** A file in test-output/interop/ for this test's artifacts. */
export function artifact(label: string, ext: string): string {
  mkdirSync(OUT_DIR, { recursive: true });
  return join(OUT_DIR, `${label.replace(/[^A-Za-z0-9_.-]+/g, '_')}.${process.pid}.${ext}`);
}

/** Keep (on failure) or delete (on success) artifacts; returns the kept ones. */
export function settleArtifacts(files: string[], keep: boolean): string[] {
  const kept: string[] = [];
  for (const f of files) {
    if (!existsSync(f)) continue;
    if (keep) kept.push(f);
    else rmSync(f, { force: true });
  }
  return kept;
}

export function writeArtifact(file: string, text: string): void {
  mkdirSync(OUT_DIR, { recursive: true });
  writeFileSync(file, text);
}

/** Wait (up to `ms`) until synack holds no connection except in TIME-WAIT; returns its states. */
export async function synackSettled(server: SynackServer, ms = 5000): Promise<Record<string, number>> {
  const deadline = Date.now() + ms;
  let c = await server.connections();
  while (Object.keys(c).some((s) => s !== 'TIME-WAIT') && Date.now() < deadline) {
    await sleep(100);
    c = await server.connections();
  }
  return c;
}
