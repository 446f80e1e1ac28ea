// The long hardening run (npm run test:soak; node with --expose-gc for exact heap figures):
//   1. soak: 10,000 connections in 3 rounds through a SimLink with loss up to 30%, duplication,
//      reordering, corruption, jitter and link flaps; SHA-256 per stream, CLOSED everywhere,
//      heap stable across the rounds;
//   2. fuzz: 1,000,000 random and mutated packets through HostStack.input, every one accounted
//      for (host drops by reason + accepted = packets in), the host drains to nothing;
//   3. SYN flood: 1,000,000 spoofed SYNs (+100,000 blind cookie ACKs) against a listener while
//      200 legitimate clients connect.
// Progress goes to stderr; stdout ends with exactly one line:
//   soak: N connections, B bytes, F faults injected, L bytes lost, K leaks
// and the exit code is non-zero unless L and K are 0 and the fuzz and flood checks held.
// Flags: --connections N, --packets N, --syns N, --no-sack (soak with SACK off), --quick.
import { soak, soakLine } from '../hardening/soak-lib.js';
import { makeTarget, Fuzzer, drainTarget } from '../hardening/fuzz-lib.js';
import { synFlood } from '../hardening/flood-lib.js';
import { gcAvailable } from '../hardening/heap.js';

const args = process.argv.slice(2);
const num = (name: string, dflt: number): number => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const quick = args.includes('--quick');
const connections = num('--connections', quick ? 600 : 10_000);
const packets = num('--packets', quick ? 50_000 : 1_000_000);
const syns = num('--syns', quick ? 50_000 : 1_000_000);
const sack = !args.includes('--no-sack');
const err = (s: string): void => {
  process.stderr.write(s + '\n');
};

const t0 = Date.now();
let leaks = 0;
let problems = 0;
if (!gcAvailable()) err('note: no gc() available; heap figures include garbage');

// 1. fuzz
{
  const w = Date.now();
  let total = 0;
  let accepted = 0;
  let dropped = 0;
  const reasons: Record<string, number> = {};
  for (const offload of [false, true]) {
    const t = makeTarget(offload);
    const f = new Fuzzer(t, offload ? 1001 : 1002);
    const s = f.run(Math.ceil(packets / 2));
    total += s.packets;
    accepted += s.accepted;
    dropped += s.dropped;
    for (const [k, v] of Object.entries(s.drops)) reasons[k] = (reasons[k] ?? 0) + v;
    const sum = Object.values(s.drops).reduce((a, b) => a + b, 0);
    if (sum + s.accepted !== s.packets) {
      err(`fuzz: accounting broken: ${sum} drops + ${s.accepted} accepted != ${s.packets}`);
      problems++;
    }
    const d = drainTarget(t);
    if (d.connections || d.timers) {
      err(`fuzz: ${d.connections} connections, ${d.timers} timers left after draining`);
      leaks += d.connections + d.timers;
    }
  }
  const top = Object.entries(reasons).sort((a, b) => b[1] - a[1]).slice(0, 12).map(([k, v]) => `${k}=${v}`).join(' ');
  err(`fuzz: ${total} packets, ${accepted} accepted, ${dropped} dropped by ${Object.keys(reasons).length} reasons [${top}] (${((Date.now() - w) / 1000).toFixed(0)} s)`);
}

// 2. SYN flood
{
  const r = synFlood({ syns, burst: 1000, burstEveryMs: 10, legit: 200, seed: 4987, ackFlood: Math.floor(syns / 10) });
  err(
    `synflood: ${r.spoofedSyns} spoofed SYNs + ${r.spoofedAcks} blind ACKs over ${(r.virtualMs / 1000).toFixed(0)} s virtual; legit ${r.legitOk}/${r.legitTotal}; ` +
      `SYN queue max ${r.maxSynQueue}/${r.synLimit}; connections max ${r.maxConnections}; heap +${r.heapDeltaMB.toFixed(1)} MB; ` +
      `cookies sent ${r.counters.syncookiesSent}, ok ${r.counters.syncookiesRecv}, failed ${r.counters.syncookiesFailed} (${(r.wallMs / 1000).toFixed(0)} s)`,
  );
  if (r.legitOk !== r.legitTotal || r.maxSynQueue > r.synLimit || r.counters.syncookiesFailed !== r.spoofedAcks || r.heapDeltaMB > 100) problems++;
}

// 3. soak (last: its line ends the output)
const w = Date.now();
const r = soak({ connections, rounds: 3, concurrency: 300, maxBytes: 16384, seed: 9293, tcp: sack ? {} : { sack: false }, log: (s) => err(`soak ${s}`) });
for (const f of r.failures.slice(0, 20)) err(`soak failure: ${f}`);
if (r.failures.length > 20) err(`soak: ... ${r.failures.length - 20} more failures`);
err(
  `soak: faults ${Object.entries(r.faultDetail).map(([k, v]) => `${k}=${v}`).join(' ')}; checksum drops ${r.checksumDrops}; ` +
    `heap ${r.heapMB.map((h) => h.toFixed(1)).join(' / ')} MB; ${(r.virtualMs / 1000).toFixed(0)} s virtual, ${((Date.now() - w) / 1000).toFixed(0)} s wall; SACK ${sack ? 'on' : 'off'}; total ${((Date.now() - t0) / 1000).toFixed(0)} s`,
);
r.leaks += leaks;
process.stdout.write(soakLine(r) + '\n');
process.exit(r.lost === 0 && r.leaks === 0 && problems === 0 ? 0 : 1);
