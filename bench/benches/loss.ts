// loss: a bulk transfer over a SimLink with 1% random loss in each direction and 10 ms RTT
// (5 ms each way), in virtual time. Goodput is bytes over virtual seconds, set against the
// Mathis et al. yardstick MSS/RTT * 1.22/sqrt(p); and the retransmissions the sender counted
// (tcpRetransSegs) against the data segments the link actually dropped (its 'a>b' stats).
import { synPair, listenOn, establish, drive, writer } from '../lib/synack.js';
import { nowMs, round } from '../lib/util.js';

type Row = [string, string, string, string, string];

export interface LossRun {
  bytes: number;
  virtualSeconds: number;
  wallSeconds: number;
  goodputMbps: number;
  mathisMbps: number;
  mss: number;
  lost: number;
  dataSegments: number;
  retrans: number;
}

export function lossRun(bytes: number, p_loss = 0.01, oneWayMs = 5, seed = 11): LossRun {
  const p = synPair({ mtu: 1500, checksumOffload: true, delay: oneWayMs, loss: p_loss, seed });
  const lfd = listenOn(p.b, p.bAddr, 5004);
  // The handshake may lose a SYN; establish() drives through the retransmission.
  const [c, s] = establish(p, lfd, 5004);
  const pump = writer(p.a, c, bytes);
  let received = 0;
  p.b.sockets.watch(s, (ev) => {
    if (ev === 'readable') while (p.b.sockets.inq(s) > 0) received += p.b.sockets.read(s, 1 << 20).length;
  });
  const before = p.a.counters();
  const linkBefore = p.link.stats('a>b');
  const v0 = p.sched.now();
  const t0 = nowMs();
  pump();
  drive(p.sched, () => received >= bytes, 'loss', 24 * 3_600_000);
  const wallSeconds = (nowMs() - t0) / 1000;
  const virtualSeconds = (p.sched.now() - v0) / 1000;
  const after = p.a.counters();
  const linkAfter = p.link.stats('a>b');
  // MSS as negotiated: 1500 - 40 bytes of headers, less 12 for the timestamp option when on.
  const mss = 1460 - (p.a.tcpDefaults.timestamps ? 12 : 0);
  const rtt = (2 * oneWayMs) / 1000;
  p.a.sockets.close(c);
  p.b.sockets.close(s);
  return {
    bytes: received,
    virtualSeconds,
    wallSeconds,
    goodputMbps: (received * 8) / virtualSeconds / 1e6,
    mathisMbps: ((mss * 8) / rtt) * (1.22 / Math.sqrt(p_loss)) / 1e6,
    mss,
    lost: linkAfter.lost - linkBefore.lost,
    dataSegments: after.tcpOutSegs - before.tcpOutSegs,
    retrans: after.tcpRetransSegs - before.tcpRetransSegs,
  };
}

export function lossBench(bytes: number): { json: Record<string, unknown>; rows: Row[]; notes: string[] } {
  const r = lossRun(bytes);
  const ratioMathis = round(r.goodputMbps / r.mathisMbps);
  const retransPerLoss = r.lost ? round(r.retrans / r.lost) : NaN;
  return {
    json: {
      bytes: r.bytes,
      goodput_mbps: round(r.goodputMbps),
      mathis_mbps: round(r.mathisMbps),
      ratio: ratioMathis,
      mss: r.mss,
      rtt_ms: 10,
      loss: 0.01,
      virtual_s: round(r.virtualSeconds),
      wall_s: round(r.wallSeconds),
      segments_sent: r.dataSegments,
      segments_lost: r.lost,
      retransmits: r.retrans,
      retrans_per_loss: retransPerLoss,
    },
    rows: [
      [`loss 1%, RTT 10 ms: goodput`, `${round(r.goodputMbps)} Mbit/s`, `${round(r.mathisMbps)} Mbit/s`, `${ratioMathis}`, `vs Mathis MSS/RTT*1.22/sqrt(p), MSS ${r.mss}; ${round(r.virtualSeconds)} s virtual, ${round(r.wallSeconds)} s wall`],
      [`loss 1%: retransmits / losses`, `${r.retrans}`, `${r.lost}`, `${retransPerLoss}`, `of ${r.dataSegments} segments sent (1.0 = one retransmission per segment lost)`],
    ],
    notes: ['loss: synack<->synack, SimLink 5 ms each way, 1% loss in both directions (ACKs too), virtual time; the "kernel" column holds the Mathis yardstick and the segments the link dropped.'],
  };
}
