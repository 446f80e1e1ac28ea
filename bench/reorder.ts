// Spurious retransmissions under reordering: a bulk transfer a -> b over a SimLink with
// reordering (and optionally loss) on the data path, in virtual time, deterministic by seed.
// Counts the sender's retransmissions, the data segments the link dropped, and the D-SACKs the
// receiver sent (RFC 2883: each one reports data that arrived twice, i.e. a spurious
// retransmission unless the link duplicated it).
//
//   npx tsx bench/reorder.ts [--bytes 30M] [--loss 0.01] [--reorder 0.02] [--reorder-delay 10]
//                            [--rack on|off] [--dupthresh] [--seed 11]
import { parsePacket } from '../src/wire/packet.js';
import { isDsack } from '../src/tcp/sack.js';
import { synPair, listenOn, establish, drive, writer } from './lib/synack.js';
import { parseBytes, round } from './lib/util.js';

export interface ReorderRun {
  bytes: number;
  virtualSeconds: number;
  goodputMbps: number;
  dataSegments: number;
  lost: number;
  reordered: number;
  retrans: number;
  dsacks: number;
  /** Retransmissions by cause (fast, sack, rto, tlp, ...). */
  causes: Record<string, number>;
}

export interface ReorderOptions {
  bytes: number;
  loss?: number;
  reorder?: number;
  reorderDelay?: number;
  oneWayMs?: number;
  rack?: boolean;
  /** config.rackDupThresh: DupThresh beside RACK, as before RFC 8985 3.4 loss marking. */
  rackDupThresh?: boolean;
  seed?: number;
}

export function reorderRun(o: ReorderOptions): ReorderRun {
  const p = synPair({
    mtu: 1500,
    checksumOffload: true,
    delay: o.oneWayMs ?? 5,
    seed: o.seed ?? 11,
    tcp: { ...(o.rack === undefined ? {} : { rack: o.rack }), ...(o.rackDupThresh ? { rackDupThresh: true } : {}) },
  });
  const lfd = listenOn(p.b, p.bAddr, 5004);
  const [c, s] = establish(p, lfd, 5004);
  // Impairments on the data direction only, once established.
  p.link.configure({ loss: o.loss ?? 0, reorder: o.reorder ?? 0, reorderDelay: o.reorderDelay ?? 10 }, 'a>b');
  let dsacks = 0;
  const port = p.link.a;
  const deliver = port.onReceive;
  port.onReceive = (pkt: Uint8Array): void => {
    const r = parsePacket(pkt, { verifyChecksums: false });
    if (r.ok && r.value.tcp) {
      const t = r.value.tcp;
      const sack = t.options.find((x) => x.kind === 'sack');
      if (sack && sack.kind === 'sack' && isDsack(sack.blocks, t.ack)) dsacks++;
    }
    deliver?.(pkt);
  };
  const pump = writer(p.a, c, o.bytes);
  let received = 0;
  p.b.sockets.watch(s, (ev) => {
    if (ev === 'readable') while (p.b.sockets.inq(s) > 0) received += p.b.sockets.read(s, 1 << 20).length;
  });
  const causes: Record<string, number> = {};
  p.a.trace = (e) => {
    if (e.type === 'retransmit') causes[e.cause] = (causes[e.cause] ?? 0) + 1;
  };
  const before = p.a.counters();
  const l0 = p.link.stats('a>b');
  const v0 = p.sched.now();
  pump();
  drive(p.sched, () => received >= o.bytes, 'reorder', 24 * 3_600_000);
  const after = p.a.counters();
  const l1 = p.link.stats('a>b');
  const virtualSeconds = (p.sched.now() - v0) / 1000;
  return {
    bytes: received,
    virtualSeconds,
    goodputMbps: (received * 8) / virtualSeconds / 1e6,
    dataSegments: after.tcpOutSegs - before.tcpOutSegs,
    lost: l1.lost - l0.lost,
    reordered: l1.reordered - l0.reordered,
    retrans: after.tcpRetransSegs - before.tcpRetransSegs,
    dsacks,
    causes,
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2);
  const get = (k: string): string | undefined => {
    const i = args.indexOf(k);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const bytes = parseBytes(get('--bytes') ?? '30M');
  const seed = Number(get('--seed') ?? 11);
  const reorder = Number(get('--reorder') ?? 0.02);
  const delay = Number(get('--reorder-delay') ?? 10);
  const rackArg = get('--rack');
  const rack = rackArg === undefined ? undefined : rackArg === 'on';
  const losses = get('--loss') !== undefined ? [Number(get('--loss'))] : [0, 0.01];
  for (const loss of losses) {
    const r = reorderRun({ bytes, loss, reorder, reorderDelay: delay, rack, seed, rackDupThresh: args.includes('--dupthresh') });
    console.log(
      `loss ${loss} reorder ${reorder}/${delay}ms rack ${rackArg ?? 'default'}${args.includes('--dupthresh') ? ' +dupthresh' : ''}: ` +
        `goodput ${round(r.goodputMbps)} Mbit/s (${round(r.virtualSeconds)} s), segs ${r.dataSegments}, ` +
        `lost ${r.lost}, reordered ${r.reordered}, retrans ${r.retrans}, D-SACKs ${r.dsacks}, ` +
        `retrans-lost ${r.retrans - r.lost} ${JSON.stringify(r.causes)}`,
    );
  }
}
