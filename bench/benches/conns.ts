// conns: memory per idle established connection, and the wall-clock time to open and to close
// them. synack: N connections between two HostStacks on a SimLink (virtual time, delay 0), both
// ends in this process, so a connection costs two endpoints (sockets); the figure per connection
// is the delta over N, the figure per socket the delta over 2N. kernel counterpart: Node `net`
// over 127.0.0.1 with as many connections as the fd limit allows (its heap and RSS show Node's
// per-socket cost; the kernel's own socket memory is not in this process's RSS).
import net from 'node:net';
import { once } from 'node:events';
import { synPair, connectNb, listenOn, tryAccept } from '../lib/synack.js';
import { kernelServer } from '../lib/kernel.js';
import { memNow, memDelta, nowMs, round, fmtBytes, ratio, tick, type Mem } from '../lib/util.js';

type Row = [string, string, string, string, string];

/** Stop opening when the process gets this big (RSS) or when ArrayBuffers pass this much. */
const RSS_BUDGET = Math.min(12 * 1024 ** 3, Math.floor(require_os_totalmem() * 0.5));
const PER_PORT = 50_000;

function require_os_totalmem(): number {
  // Imported lazily so the module stays cheap to load.
  return (globalThis as { __benchTotalMem?: number }).__benchTotalMem ?? 24 * 1024 ** 3;
}

export interface SynConnsRun {
  requested: number;
  opened: number;
  openSeconds: number;
  closeSeconds: number;
  mem: Mem;
  perConn: number;
  perSocket: number;
  stopped?: string;
  bufBytes?: number;
}

export function synackConns(n: number, log: (s: string) => void, bufBytes?: number, timeBudgetMs = 120_000): SynConnsRun {
  const ports = Math.ceil(n / PER_PORT);
  const p = synPair({
    mtu: 1500,
    checksumOffload: true,
    delay: 0,
    tcp: bufBytes ? { rcvBuf: bufBytes, sndBuf: bufBytes } : undefined,
    limits: { maxSockets: n + ports + 16, maxConnections: n + 16, ephemeralMin: 1024, ephemeralMax: 65535, somaxconn: 65535, maxSynBacklog: 65535 },
  });
  const lfds: number[] = [];
  const clients: number[] = [];
  const servers: number[] = [];
  for (let i = 0; i < ports; i++) {
    const l = listenOn(p.b, p.bAddr, 6000 + i, 65535);
    lfds.push(l);
    // Accept on the listener's notification (no EAGAIN exception per scheduler step).
    p.b.sockets.watch(l, (ev) => {
      if (ev === 'accept') for (let s = tryAccept(p.b, l); s >= 0; s = tryAccept(p.b, l)) servers.push(s);
    });
  }
  const base = memNow();
  let stopped: string | undefined;
  const t0 = nowMs();
  const BATCH = 1000;
  try {
    for (let i = 0; i < n && !stopped; i += BATCH) {
      const m = Math.min(BATCH, n - i);
      for (let j = 0; j < m; j++) {
        const fd = p.a.sockets.socket(4);
        connectNb(p.a, fd, p.bAddr, 6000 + Math.floor((i + j) / PER_PORT));
        clients.push(fd);
      }
      // Run the handshakes of this batch, accepting as they complete.
      for (;;) {
        if (servers.length >= clients.length) break;
        if (!p.sched.step()) throw new Error(`conns: idle with ${servers.length} of ${clients.length} accepted`);
      }
      const rss = process.memoryUsage.rss();
      if (nowMs() - t0 > timeBudgetMs) stopped = `time budget ${timeBudgetMs / 1000} s used at ${clients.length} connections`;
      if (rss > RSS_BUDGET) stopped = `RSS ${fmtBytes(rss)} passed the budget ${fmtBytes(RSS_BUDGET)} at ${clients.length} connections`;
    }
  } catch (e) {
    stopped = `${(e as Error).message} at ${clients.length} connections`;
  }
  // Let the last ACKs and any delayed-ACK timers run: idle means no traffic pending.
  p.sched.runFor(1000);
  const openSeconds = (nowMs() - t0) / 1000;
  const opened = Math.min(clients.length, servers.length);
  log(`  synack: ${opened} connections open in ${round(openSeconds)} s${stopped ? ` (stopped: ${stopped})` : ''}`);
  const mem = memDelta(base, memNow());
  const t1 = nowMs();
  for (const fd of clients) p.a.sockets.close(fd);
  for (const fd of servers) p.b.sockets.close(fd);
  // Closing: FIN exchanges, then TIME-WAIT (2*MSL of virtual time) until both tables are empty.
  let steps = 0;
  for (;;) {
    if ((++steps & 4095) === 0 && p.a.connections().length === 0 && p.b.connections().length === 0) break;
    if (!p.sched.step()) break;
  }
  const closeSeconds = (nowMs() - t1) / 1000;
  const left = p.a.connections().length + p.b.connections().length;
  if (left) stopped = `${stopped ? stopped + '; ' : ''}${left} connections left after close`;
  log(`  synack: closed in ${round(closeSeconds)} s`);
  return {
    requested: n,
    opened,
    openSeconds,
    closeSeconds,
    mem,
    perConn: opened ? (mem.heapUsed + mem.arrayBuffers) / opened : NaN,
    perSocket: opened ? (mem.heapUsed + mem.arrayBuffers) / (2 * opened) : NaN,
    stopped,
    bufBytes,
  };
}

export interface KernelConnsRun {
  opened: number;
  openSeconds: number;
  closeSeconds: number;
  mem: Mem;
  /** Node's JS objects (heap + ArrayBuffers) per connection (both ends). */
  perConnJs: number;
  /** Kernel slab memory per connection (both ends), or NaN when /proc/slabinfo is unreadable. */
  perConnKernel: number;
  /** perConnJs + perConnKernel (perConnJs alone when the kernel figure is missing). */
  perConn: number;
}

/** Slab caches a loopback TCP connection's two sockets live in (socket, inode, file, dentry,
 *  epoll item). /proc/slabinfo is machine-wide and root-only: other processes' sockets add
 *  noise, so this is an estimate from a large N. */
const SOCKET_SLABS = ['TCP', 'TCPv6', 'sock_inode_cache', 'filp', 'dentry', 'eventpoll_epi'];

function slabBytes(): number {
  try {
    let total = 0;
    for (const line of readFileSync('/proc/slabinfo', 'utf8').split('\n')) {
      const f = line.split(/\s+/);
      if (SOCKET_SLABS.includes(f[0])) total += Number(f[1]) * Number(f[3]);
    }
    return total;
  } catch {
    return NaN;
  }
}

export async function kernelConns(n: number): Promise<KernelConnsRun> {
  const servers: net.Socket[] = [];
  const srv = await kernelServer((s) => {
    servers.push(s);
    s.on('error', () => {});
  });
  const clients: net.Socket[] = [];
  const base = memNow();
  const slab0 = slabBytes();
  const t0 = nowMs();
  const BATCH = 200;
  for (let i = 0; i < n; i += BATCH) {
    const m = Math.min(BATCH, n - i);
    const batch: Promise<unknown>[] = [];
    for (let j = 0; j < m; j++) {
      const c = net.connect({ port: srv.port, host: '127.0.0.1' });
      c.on('error', () => {});
      clients.push(c);
      batch.push(once(c, 'connect'));
    }
    await Promise.all(batch);
  }
  while (servers.length < clients.length) await tick();
  const openSeconds = (nowMs() - t0) / 1000;
  const mem = memDelta(base, memNow());
  const slab1 = slabBytes();
  const t1 = nowMs();
  const closed = [...clients, ...servers].map((s) => new Promise((r) => s.once('close', r)));
  for (const c of clients) c.destroy();
  for (const s of servers) s.destroy();
  await Promise.all(closed);
  const closeSeconds = (nowMs() - t1) / 1000;
  await srv.close();
  const perConnJs = (mem.heapUsed + mem.arrayBuffers) / clients.length;
  const perConnKernel = (slab1 - slab0) / clients.length;
  return {
    opened: clients.length, openSeconds, closeSeconds, mem, perConnJs, perConnKernel,
    perConn: perConnJs + (Number.isFinite(perConnKernel) ? perConnKernel : 0),
  };
}

/** How many loopback connections Node can hold here: two fds per connection, in this process. */
function kernelConnLimit(): number {
  let limit = 1024;
  try {
    // RLIMIT_NOFILE is not exposed by Node; /proc tells on Linux.
    const txt = require_fs_read('/proc/self/limits');
    const m = /Max open files\s+(\d+)/.exec(txt);
    if (m) limit = Number(m[1]);
  } catch {
    // keep the default
  }
  return Math.max(10, Math.floor((limit - 256) / 2));
}

import { readFileSync } from 'node:fs';
import os from 'node:os';
function require_fs_read(p: string): string {
  return readFileSync(p, 'utf8');
}
(globalThis as { __benchTotalMem?: number }).__benchTotalMem = os.totalmem();

export async function connsBench(n: number, million: boolean, log: (s: string) => void, budgetMs = 90_000): Promise<{ json: Record<string, unknown>; rows: Row[]; notes: string[] }> {
  // Default TCP config (256 KiB send and receive buffers), then 4 KiB buffers to show the
  // per-connection cost apart from buffer memory; each stops at the time or RSS budget.
  log('  synack, default buffers:');
  const runs: SynConnsRun[] = [synackConns(n, log, undefined, budgetMs)];
  log('  synack, 4 KiB buffers:');
  runs.push(synackConns(n, log, 4096, budgetMs));
  if (million && n < 1_000_000) {
    log('  synack, 4 KiB buffers, 1,000,000:');
    runs.push(synackConns(1_000_000, log, 4096, budgetMs * 5));
  }
  const kn = Math.min(n, kernelConnLimit(), 10_000);
  const k = await kernelConns(kn);
  log(`  kernel: ${k.opened} connections open in ${round(k.openSeconds)} s, closed in ${round(k.closeSeconds)} s`);
  const best = runs[0];
  const rows: Row[] = [];
  for (const r of runs) {
    const label = r.bufBytes ? `conns ${r.opened}, ${fmtBytes(r.bufBytes)} bufs` : `conns ${r.opened}`;
    rows.push([
      `${label}: bytes per connection`,
      `${fmtBytes(Math.round(r.perConn))}`,
      `${fmtBytes(Math.round(k.perConn))}`,
      `${ratio(r.perConn, k.perConn)}`,
      `heap ${fmtBytes(r.mem.heapUsed)} + buffers ${fmtBytes(r.mem.arrayBuffers)}, RSS +${fmtBytes(r.mem.rss)}; kernel: ${k.opened} Node net connections, JS ${fmtBytes(Math.round(k.perConnJs))} + kernel slab ${Number.isFinite(k.perConnKernel) ? fmtBytes(Math.round(k.perConnKernel)) : 'unreadable'} each${r.stopped ? `; stopped: ${r.stopped}` : ''}`,
    ]);
    rows.push([`${label}: open`, `${round(r.openSeconds)} s`, `${round((k.openSeconds * r.opened) / k.opened)} s`, `${ratio(r.openSeconds / r.opened, k.openSeconds / k.opened)}`, `${round(r.opened / r.openSeconds)} /s vs ${round(k.opened / k.openSeconds)} /s (kernel scaled from ${k.opened})`]);
    rows.push([`${label}: close`, `${round(r.closeSeconds)} s`, `${round((k.closeSeconds * r.opened) / k.opened)} s`, `${ratio(r.closeSeconds / r.opened, k.closeSeconds / k.opened)}`, 'synack: until both tables are empty (TIME-WAIT in virtual time)']);
  }
  const runJson = (r: SynConnsRun): Record<string, unknown> => ({
    requested: r.requested, opened: r.opened, buffers: r.bufBytes ?? 'default', bytes_per_conn: Math.round(r.perConn), bytes_per_socket: Math.round(r.perSocket),
    heap_delta: r.mem.heapUsed, array_buffers_delta: r.mem.arrayBuffers, rss_delta: r.mem.rss,
    open_s: round(r.openSeconds), close_s: round(r.closeSeconds), ...(r.stopped ? { stopped: r.stopped } : {}),
  });
  return {
    json: {
      bytes_per_conn: Math.round(best.perConn),
      bytes_per_socket: Math.round(best.perSocket),
      max_conns: Math.max(...runs.map((r) => r.opened)),
      ...(best.stopped ? { stopped: best.stopped } : {}),
      open_s: round(best.openSeconds),
      close_s: round(best.closeSeconds),
      runs: runs.map(runJson),
      kernel: {
        conns: k.opened, bytes_per_conn: Math.round(k.perConn), js_bytes_per_conn: Math.round(k.perConnJs),
        slab_bytes_per_conn: Number.isFinite(k.perConnKernel) ? Math.round(k.perConnKernel) : null, heap_delta: k.mem.heapUsed, rss_delta: k.mem.rss, open_s: round(k.openSeconds), close_s: round(k.closeSeconds) },
    },
    rows,
    notes: [
      'conns: bytes per connection = (JS heap + ArrayBuffer) delta after GC over N; both endpoints of each synack connection live in this process (two sockets). Kernel: Node net connections (both ends) over loopback: Node JS objects plus the growth of the socket slab caches (TCP, sock_inode_cache, filp, dentry, eventpoll_epi in /proc/slabinfo: machine-wide, so other processes add noise; socket buffers of idle connections are empty).',
    ],
  };
}
