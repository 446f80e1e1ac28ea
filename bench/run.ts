// synack benchmarks, all measured in one run on this machine, each beside its kernel
// counterpart (Node `net` over the loopback, or kernel<->kernel over veth for `tun`).
//
//   npm run bench                         # everything, a table
//   npm run bench -- --json               # one JSON object on stdout
//   npm run bench -- --only bulk,crr      # a subset
//   npm run bench -- --quick              # tiny sizes (the smoke test uses this)
//
// Options: --bytes SIZE (bulk; default 1G), --window MS (crr/rr; default 5000/3000),
// --conns N (default 100000), --million (also try 1,000,000 connections), --loss-bytes SIZE
// (default 100M), --out FILE (default bench/results/latest.json), --no-save.
import { writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import os from 'node:os';
import { execFileSync } from 'node:child_process';
import { parseBytes, fmtBytes, round, ratio, gbps } from './lib/util.js';
import { synackBulk, kernelBulk } from './benches/bulk.js';
import { synackRr, kernelRr, synackCrr, kernelCrr } from './benches/rr.js';
import { connsBench } from './benches/conns.js';
import { lossBench } from './benches/loss.js';
import { tunBench } from './benches/tun.js';
import { netApiBulk, netApiRr } from './lib/netapi.js';

const ALL = ['bulk', 'crr', 'rr', 'conns', 'loss', 'tun'] as const;
type BenchName = (typeof ALL)[number];

export interface BenchOptions {
  only: BenchName[];
  json: boolean;
  quick: boolean;
  bytes: number;
  crrWindowMs: number;
  rrWindowMs: number;
  conns: number;
  million: boolean;
  lossBytes: number;
  out: string | null;
}

// The bench's own folder in the source tree, also when running compiled from dist/bench.
const here = dirname(fileURLToPath(import.meta.url)).replace(/[\\/]dist([\\/]bench)$/, '$1');

function usage(msg?: string): never {
  if (msg) console.error(`bench: ${msg}`);
  console.error(
    'usage: npm run bench -- [--only bulk,crr,rr,conns,loss,tun] [--json] [--quick] [--bytes 1G]\n' +
      '                        [--window MS] [--conns N] [--million] [--loss-bytes 100M] [--out FILE] [--no-save]',
  );
  process.exit(2);
}

export function parseArgs(argv: string[]): BenchOptions {
  const o: BenchOptions = {
    only: [...ALL],
    json: false,
    quick: false,
    bytes: 1024 ** 3,
    crrWindowMs: 5000,
    rrWindowMs: 3000,
    conns: 100_000,
    million: false,
    lossBytes: 100 * 1024 ** 2,
    out: join(here, 'results', 'latest.json'),
  };
  const set = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = (): string => {
      const v = argv[++i];
      if (v === undefined) usage(`${a} needs a value`);
      return v;
    };
    set.add(a);
    switch (a) {
      case '--only':
        o.only = val().split(',').map((s) => s.trim()).filter(Boolean) as BenchName[];
        for (const b of o.only) if (!ALL.includes(b)) usage(`unknown bench '${b}' (have ${ALL.join(', ')})`);
        break;
      case '--json': o.json = true; break;
      case '--quick': o.quick = true; break;
      case '--bytes': o.bytes = parseBytes(val()); break;
      case '--window': o.crrWindowMs = o.rrWindowMs = Number(val()); break;
      case '--conns': o.conns = Number(val()); break;
      case '--million': o.million = true; break;
      case '--loss-bytes': o.lossBytes = parseBytes(val()); break;
      case '--out': o.out = val(); break;
      case '--no-save': o.out = null; break;
      case '--help': case '-h': usage();
      default: usage(`unknown option '${a}'`);
    }
  }
  if (o.quick) {
    if (!set.has('--bytes')) o.bytes = 1024 ** 2;
    if (!set.has('--window')) o.crrWindowMs = o.rrWindowMs = 100;
    if (!set.has('--conns')) o.conns = 200;
    if (!set.has('--loss-bytes')) o.lossBytes = 256 * 1024;
  }
  if (!(o.bytes > 0) || !(o.crrWindowMs > 0) || !(o.conns > 0) || !(o.lossBytes > 0)) usage('sizes must be positive');
  return o;
}

type Row = [string, string, string, string, string];

export async function runBenches(o: BenchOptions, log: (s: string) => void): Promise<Record<string, unknown>> {
  const result: Record<string, unknown> = {};
  const rows: Row[] = [];
  const notes: string[] = [];
  const has = (b: BenchName): boolean => o.only.includes(b);

  if (has('bulk')) {
    log(`bulk: ${fmtBytes(o.bytes)} per run ...`);
    const kernel = await kernelBulk(o.bytes);
    const bulk: Record<string, unknown> = {};
    for (const mtu of [65535, 1500]) {
      const s = synackBulk(o.bytes, mtu);
      if (!s.verified) throw new Error(`bulk mtu ${mtu}: data check failed (${s.bytes} of ${o.bytes} bytes)`);
      bulk[`mtu${mtu}`] = {
        synack_gbps: round(s.gbps), kernel_gbps: round(kernel.gbps), ratio: ratio(s.gbps, kernel.gbps),
        synack_seconds: round(s.seconds), kernel_seconds: round(kernel.seconds), bytes: s.bytes,
        synack_cpu_s: round(s.cpuSeconds), kernel_cpu_s: round(kernel.cpuSeconds),
        cpu_ratio: ratio(kernel.cpuSeconds, s.cpuSeconds),
        segments: s.segments, retransmits: s.retrans,
      };
      // The same through stack.net (Node-compatible sockets) on a virtual Network, a quarter
      // of the bytes (it is the slower path; the figure is a rate).
      const netBytes = Math.max(1024 * 1024, Math.floor(o.bytes / 4));
      const n = await netApiBulk(netBytes, mtu);
      Object.assign(bulk[`mtu${mtu}`] as object, {
        synack_net_gbps: round(n.gbps), synack_net_ratio: ratio(n.gbps, kernel.gbps), synack_net_bytes: n.bytes, synack_net_cpu_s: round(n.cpuSeconds),
      });
      rows.push([`bulk ${fmtBytes(o.bytes)} MTU ${mtu}`, `${round(s.gbps)} Gbit/s`, `${round(kernel.gbps)} Gbit/s`, `${ratio(s.gbps, kernel.gbps)}`, `wall ${round(s.seconds)} s vs ${round(kernel.seconds)} s; CPU ${round(s.cpuSeconds)} s vs ${round(kernel.cpuSeconds)} s (ratio ${ratio(kernel.cpuSeconds, s.cpuSeconds)}); ${s.segments} segs`]);
      rows.push([`  same via stack.net, ${fmtBytes(netBytes)}`, `${round(n.gbps)} Gbit/s`, `${round(kernel.gbps)} Gbit/s`, `${ratio(n.gbps, kernel.gbps)}`, `wall ${round(n.seconds)} s; CPU ${round(n.cpuSeconds)} s (${round(gbps(n.bytes, n.cpuSeconds))} Gbit/s per CPU s vs kernel ${round(gbps(kernel.bytes, kernel.cpuSeconds))})`]);
    }
    result.bulk = bulk;
    notes.push('bulk: synack<->synack over a SimLink (delay 0, checksum offload, virtual time driven synchronously, socket layer; wall clock); "via stack.net" = the Node-compatible API on a virtual Network driven by Network.until; kernel = Node net over 127.0.0.1 (kernel MTU 65536), same process, same bytes.');
  }

  if (has('crr')) {
    log(`crr: ${o.crrWindowMs} ms each ...`);
    const s = synackCrr(o.crrWindowMs);
    const k = await kernelCrr(o.crrWindowMs);
    result.crr = {
      synack_per_s: round(s.perSecond), kernel_per_s: round(k.perSecond), ratio: ratio(s.perSecond, k.perSecond),
      synack_transactions: s.transactions, kernel_transactions: k.transactions, synack_leftover_conns: s.leftover,
      synack_per_cpu_s: round(s.perCpuSecond), kernel_per_cpu_s: round(k.perCpuSecond), cpu_ratio: ratio(s.perCpuSecond, k.perCpuSecond),
      ...(s.error ? { synack_error: s.error } : {}), ...(k.error ? { kernel_error: k.error } : {}),
    };
    rows.push(['crr (connect, 1B req, 1B reply, close)', `${round(s.perSecond)} /s`, `${round(k.perSecond)} /s`, `${ratio(s.perSecond, k.perSecond)}`, `${s.transactions} vs ${k.transactions} in ${o.crrWindowMs} ms; per CPU s ${round(s.perCpuSecond)} vs ${round(k.perCpuSecond)} (ratio ${ratio(s.perCpuSecond, k.perCpuSecond)})${s.error ? `; synack stopped: ${s.error}` : ''}`]);
  }

  if (has('rr')) {
    log(`rr: ${o.rrWindowMs} ms each ...`);
    const s = synackRr(o.rrWindowMs);
    const k = await kernelRr(o.rrWindowMs);
    result.rr = {
      synack_us: round(s.us), kernel_us: round(k.us), ratio: ratio(s.us, k.us),
      synack_round_trips: s.roundTrips, kernel_round_trips: k.roundTrips,
      synack_cpu_us: round(s.cpuUs), kernel_cpu_us: round(k.cpuUs), cpu_ratio: ratio(s.cpuUs, k.cpuUs),
    };
    const n = await netApiRr(o.rrWindowMs);
    Object.assign(result.rr as object, { synack_net_us: round(n.us), synack_net_ratio: ratio(n.us, k.us), synack_net_cpu_us: round(n.cpuUs) });
    rows.push(['rr (1-byte ping-pong)', `${round(s.us)} us`, `${round(k.us)} us`, `${ratio(s.us, k.us)}`, `CPU ${round(s.cpuUs)} us vs ${round(k.cpuUs)} us per round trip (ratio ${ratio(s.cpuUs, k.cpuUs)}); ${s.roundTrips} vs ${k.roundTrips} round trips (lower is better)`]);
    rows.push(['  same via stack.net', `${round(n.us)} us`, `${round(k.us)} us`, `${ratio(n.us, k.us)}`, `CPU ${round(n.cpuUs)} us per round trip; ${n.roundTrips} round trips`]);
  }

  if (has('conns')) {
    log(`conns: ${o.conns}${o.million ? ' then 1,000,000' : ''} idle connections ...`);
    const c = await connsBench(o.conns, o.million, log, o.quick ? 5_000 : 90_000);
    result.conns = c.json;
    rows.push(...c.rows);
    notes.push(...c.notes);
  }

  if (has('loss')) {
    log(`loss: ${fmtBytes(o.lossBytes)} at 1% loss, 10 ms RTT (virtual time) ...`);
    const l = lossBench(o.lossBytes);
    result.loss = l.json;
    rows.push(...l.rows);
    notes.push(...l.notes);
  }

  if (has('tun')) {
    log('tun: kernel -> synack over TUN vs kernel -> kernel over veth ...');
    const t = await tunBench(o.quick ? 4 * 1024 ** 2 : Math.min(o.bytes, 256 * 1024 ** 2), log);
    result.tun = t.json;
    rows.push(...t.rows);
    notes.push(...t.notes);
  }

  const table = formatTable(['bench', 'synack', 'kernel', 'ratio', 'detail'], rows);
  return { result, table, notes };
}

function formatTable(head: Row, rows: Row[]): string {
  const all = [head, ...rows];
  const w = head.map((_, i) => Math.max(...all.map((r) => r[i].length)));
  const line = (r: Row): string => r.map((c, i) => (i === 0 || i === 4 ? c.padEnd(w[i]) : c.padStart(w[i]))).join('  ').trimEnd();
  return [line(head), w.map((n) => '-'.repeat(n)).join('  '), ...rows.map(line)].join('\n');
}

/** The commit measured, and whether the tree had uncommitted changes (others work in it too). */
function revision(): { commit: string; dirty: boolean } | null {
  try {
    const commit = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: here, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const st = execFileSync('git', ['status', '--porcelain', '--', '../src'], { cwd: here, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    return { commit, dirty: st.trim().length > 0 };
  } catch {
    return null;
  }
}

export function machine(): Record<string, unknown> {
  const cpus = os.cpus();
  return {
    node: process.version,
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    cpus: cpus.length,
    cpu_model: cpus[0]?.model ?? 'unknown',
    loadavg_at_end: os.loadavg().map((x) => round(x)),
    mem_gib: round(os.totalmem() / 1024 ** 3, 3),
  };
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  const log = (s: string): void => {
    (o.json ? process.stderr : process.stdout).write(`${s}\n`);
  };
  const started = new Date().toISOString();
  const loadAtStart = os.loadavg().map((x) => round(x));
  const rev = revision();
  const t0 = performance.now();
  const { result, table, notes } = (await runBenches(o, log)) as { result: Record<string, unknown>; table: string; notes: string[] };
  const out = {
    ...result,
    meta: { started, revision: rev, loadavg_at_start: loadAtStart, seconds: round((performance.now() - t0) / 1000), quick: o.quick, benches: o.only, machine: machine(), notes },
  };
  if (o.out) {
    mkdirSync(dirname(o.out), { recursive: true });
    writeFileSync(o.out, JSON.stringify(out, null, 2) + '\n');
  }
  if (o.json) process.stdout.write(JSON.stringify(out) + '\n');
  else {
    console.log('');
    console.log(table);
    console.log('');
    for (const n of notes) console.log(`note: ${n}`);
    if (o.out) console.log(`\nwritten: ${o.out}`);
  }
  // Sockets or timers some bench left behind must not keep us alive.
  process.exit(0);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().catch((e) => {
    console.error(`bench: ${(e as Error).stack ?? e}`);
    process.exit(1);
  });
}
