// The whole-input-path fuzzer shared by test/hardening/fuzz.test.ts (about 50,000 packets) and
// the soak runner (1,000,000 and more). A server host with a listener and live connections (set
// up over a SimLink, captured to pcapng) is cut off from its peer; then random packets and
// mutations of the captured packets (and of ICMP errors quoting them) go through
// HostStack.input. Every packet is accounted for: exactly one outcome per packet, either one
// host drop (counted by reason) or accepted (handed to a connection's SEGMENT ARRIVES, answered
// by a RST or an echo reply, or applied as an ICMP error).
import assert from 'node:assert/strict';
import { VirtualScheduler } from '../../src/sim/scheduler.js';
import { SeededRng } from '../../src/sim/random.js';
import { SimLink } from '../../src/link/sim-link.js';
import { PcapngWriter, readPcapng, tapPort, isCaptureError } from '../../src/link/pcapng.js';
import type { LinkPort } from '../../src/link/types.js';
import { HostStack } from '../../src/stack/host.js';
import type { HostCounters } from '../../src/stack/counters.js';
import { SocketError } from '../../src/stack/types.js';
import { Connection } from '../../src/tcp/connection.js';
import type { TcpConnection } from '../../src/tcp/types.js';
import { buildTcpPacket, buildIcmpPacket } from '../../src/wire/packet.js';
import { parseAddr } from '../../src/wire/addr.js';
import { transportChecksum, internetChecksum } from '../../src/wire/checksum.js';
import type { Segment } from '../../src/wire/types.js';

export interface FuzzStats {
  packets: number;
  /** Host drops by "layer:reason" (input side). */
  drops: Record<string, number>;
  dropped: number;
  accepted: number;
  /** Accepted packets handed to a connection (SEGMENT ARRIVES). */
  toConnections: number;
  /** Segments the connections themselves refused, by reason. */
  connDrops: Record<string, number>;
  /** Slowest single input() call, ms of wall time. */
  slowestMs: number;
  /** Packets that had their checksums repaired after mutation (so they reach deeper). */
  repaired: number;
}

/** A counting wrapper around the real connection (the accounting's independent witness). */
class Witness {
  arrives = 0;
  icmp = 0;
}

function wrapConnection(c: TcpConnection, w: Witness): TcpConnection {
  const orig = c.segmentArrives.bind(c);
  c.segmentArrives = (seg, now) => {
    w.arrives++;
    orig(seg, now);
  };
  const oi = c.icmpError.bind(c);
  c.icmpError = (code, hard, now) => {
    w.icmp++;
    oi(code, hard, now);
  };
  const op = c.pathMtu.bind(c);
  c.pathMtu = (mtu, now) => {
    w.icmp++;
    op(mtu, now);
  };
  return c;
}

export interface FuzzTarget {
  sched: VirtualScheduler;
  server: HostStack;
  client: HostStack;
  /** Captured IP packets (both directions) of the setup traffic. */
  captured: Uint8Array[];
  witness: Witness;
  /** Packets the server sent during the current input() call. */
  sent: { n: number };
  link: SimLink;
  listenFds: number[];
  serverFds: number[];
}

const enc = new TextEncoder();

/** Two hosts over a SimLink; the server's port is tapped to pcapng. Three connections (one
 *  IPv6) move data; one closes completely; the link then goes down and the server is fuzzed. */
export function makeTarget(checksumOffload = false): FuzzTarget {
  const sched = new VirtualScheduler();
  const link = new SimLink({ scheduler: sched, delay: 2, seed: 5, checksumOffload });
  const writer = new PcapngWriter({ clock: sched });
  const witness = new Witness();
  const sent = { n: 0 };
  const tapped = tapPort(link.b, writer, 'eth0');
  const counting: LinkPort = {
    send(p) {
      sent.n++;
      tapped.send(p);
    },
    get onReceive() {
      return tapped.onReceive;
    },
    set onReceive(fn) {
      tapped.onReceive = fn;
    },
    get mtu() {
      return tapped.mtu;
    },
    get checksumOffload() {
      return tapped.checksumOffload;
    },
  };
  const client = new HostStack({ name: 'client', scheduler: sched, rng: 11 });
  const server = new HostStack({
    name: 'server',
    scheduler: sched,
    rng: 12,
    loopback: false,
    limits: { maxSynBacklog: 256, somaxconn: 256 },
    createConnection: (init) => wrapConnection(new Connection(init), witness),
  });
  client.addInterface({ name: 'eth0', port: link.a, addresses: ['10.0.0.1/24', 'fd00::1/64'] });
  server.addInterface({ name: 'eth0', port: counting, addresses: ['10.0.0.2/24', 'fd00::2/64'] });
  const s = server.sockets;
  const l = s.socket(6);
  s.bind(l, { addr: '::', port: 80 });
  s.listen(l, 128);
  const c = client.sockets;
  const fds: number[] = [];
  for (const [fam, addr] of [[4, '10.0.0.2'], [4, '10.0.0.2'], [6, 'fd00::2']] as const) {
    const fd = c.socket(fam);
    try {
      c.connect(fd, { addr, port: 80 });
    } catch (e) {
      if (!(e instanceof SocketError) || e.code !== 'EINPROGRESS') throw e;
    }
    fds.push(fd);
  }
  sched.runFor(100);
  const serverFds: number[] = [];
  for (;;) {
    try {
      serverFds.push(s.accept(l).fd);
    } catch {
      break;
    }
  }
  assert.equal(serverFds.length, 3, 'setup: three connections accepted');
  for (const fd of fds) c.write(fd, enc.encode('GET / HTTP/1.1\r\nHost: x\r\n\r\n'.repeat(40)));
  for (const fd of serverFds) s.write(fd, new Uint8Array(6000).fill(0x41));
  sched.runFor(500);
  for (const fd of serverFds) {
    try {
      s.read(fd, 1 << 20);
    } catch {
      /* nothing buffered */
    }
  }
  // The first connection closes completely (FIN both ways, TIME-WAIT on the client).
  c.close(fds[0]);
  s.close(serverFds[0]);
  sched.runFor(500);
  const pcap = writer.toBytes();
  const cap = readPcapng(pcap);
  assert.ok(!isCaptureError(cap), 'setup: capture readable');
  const captured = cap.map((p) => p.data);
  assert.ok(captured.length > 20, `setup: ${captured.length} packets captured`);
  link.setUp(false);
  return { sched, server, client, captured, witness, sent, link, listenFds: [l], serverFds: serverFds.slice(1) };
}

function counters(h: HostStack): HostCounters {
  return (h as unknown as { c: HostCounters }).c;
}

/** Repair the IPv4 header checksum and the TCP/ICMP checksum of a (mutated) packet, when the
 *  headers are still coherent enough to find them. */
export function repairChecksums(p: Uint8Array): boolean {
  if (p.length < 20) return false;
  const v = p[0] >> 4;
  let off: number;
  let end: number;
  let proto: number;
  let src: Uint8Array;
  let dst: Uint8Array;
  if (v === 4) {
    const ihl = (p[0] & 15) * 4;
    if (ihl < 20 || ihl > p.length) return false;
    p[10] = p[11] = 0;
    const c = internetChecksum(p, 0, ihl);
    p[10] = c >> 8;
    p[11] = c & 0xff;
    end = Math.min(p.length, (p[2] << 8) | p[3]);
    off = ihl;
    proto = p[9];
    src = p.subarray(12, 16);
    dst = p.subarray(16, 20);
  } else if (v === 6) {
    if (p.length < 40) return false;
    off = 40;
    end = Math.min(p.length, 40 + ((p[4] << 8) | p[5]));
    proto = p[6];
    src = p.subarray(8, 24);
    dst = p.subarray(24, 40);
  } else return false;
  if (end <= off) return true;
  let ck: number;
  if (proto === 6) ck = 16;
  else if (proto === 1 || proto === 58) ck = 2;
  else return true;
  if (off + ck + 2 > end) return true;
  p[off + ck] = p[off + ck + 1] = 0;
  const c = proto === 1 ? internetChecksum(p, off, end) : transportChecksum(src, dst, proto, p, off, end);
  p[off + ck] = c >> 8;
  p[off + ck + 1] = c & 0xff;
  return true;
}

export class Fuzzer {
  readonly stats: FuzzStats = { packets: 0, drops: {}, dropped: 0, accepted: 0, toConnections: 0, connDrops: {}, slowestMs: 0, repaired: 0 };
  private readonly rng: SeededRng;
  private readonly bases: Uint8Array[];
  private readonly c: HostCounters;
  /** Host drops seen by the wrapper around HostStack's drop(): total and the last reason. */
  private dropCount = 0;
  private noRouteCount = 0;
  private lastDrop = '';
  private readonly drops0: number;
  private readonly srv4 = parseAddr('10.0.0.2')!.bytes;
  private readonly srv6 = parseAddr('fd00::2')!.bytes;
  private readonly cli4 = parseAddr('10.0.0.1')!.bytes;
  private readonly cli6 = parseAddr('fd00::1')!.bytes;

  constructor(
    readonly t: FuzzTarget,
    seed: number,
  ) {
    this.rng = new SeededRng(seed);
    this.c = counters(t.server);
    this.drops0 = Object.values(this.c.drops).reduce((a, b) => a + b, 0);
    // Watch every host-level drop as it is counted (cheaper than diffing the counters).
    const host = t.server as unknown as { drop: (layer: string, reason: string, conn?: string) => void };
    const orig = host.drop.bind(t.server);
    host.drop = (layer, reason, conn) => {
      const k = `${layer}:${reason}`;
      if (k === 'ip:no-route') this.noRouteCount++;
      else {
        this.dropCount++;
        this.lastDrop = k;
      }
      orig(layer, reason, conn);
    };
    // Bases: every captured packet, plus ICMP errors quoting the server's own packets and echo
    // requests, so the ICMP path is exercised as well.
    const bases = [...t.captured];
    for (const p of t.captured) {
      const v6 = p[0] >> 4 === 6;
      const fromServer = v6 ? p[23] === 2 : p[15] === 2;
      if (!fromServer) continue;
      const quote = p.subarray(0, Math.min(p.length, v6 ? 48 + 40 : 28 + 40));
      if (v6) {
        bases.push(buildIcmpPacket(this.cli6, this.srv6, { type: 2, mtu: 1280, body: quote }));
        bases.push(buildIcmpPacket(this.cli6, this.srv6, { type: 1, code: 4, body: quote }));
      } else {
        bases.push(buildIcmpPacket(this.cli4, this.srv4, { type: 3, code: 4, mtu: 576, body: quote }));
        bases.push(buildIcmpPacket(this.cli4, this.srv4, { type: 3, code: 3, body: quote }));
        bases.push(buildIcmpPacket(this.cli4, this.srv4, { type: 11, code: 0, body: quote }));
      }
    }
    bases.push(buildIcmpPacket(this.cli4, this.srv4, { type: 8, id: 1, seq: 1, body: new Uint8Array(32) }));
    bases.push(buildIcmpPacket(this.cli6, this.srv6, { type: 128, id: 1, seq: 1, body: new Uint8Array(32) }));
    this.bases = bases;
  }

  private int(n: number): number {
    return Math.floor(this.rng.next() * n);
  }

  /** One fuzz packet: random bytes, a random well-formed segment, or a mutated real packet. */
  next(): Uint8Array {
    const r = this.int(100);
    if (r < 5) {
      const p = new Uint8Array(this.int(80));
      for (let i = 0; i < p.length; i++) p[i] = this.int(256);
      if (p.length > 0 && this.int(2)) p[0] = (this.int(2) ? 0x45 : 0x60) | (p[0] & 0x0f & (this.int(2) ? 0 : 15));
      return p;
    }
    if (r < 25) return this.randomSegment();
    const base = this.bases[this.int(this.bases.length)];
    const p = base.slice();
    return this.mutate(p);
  }

  private randomSegment(): Uint8Array {
    const v6 = this.int(4) === 0;
    const live = this.t.server.connections();
    const e = live.length && this.int(3) ? live[this.int(live.length)] : undefined;
    let src: Uint8Array;
    let srcPort: number;
    let dstPort: number;
    let seq: number;
    let ack: number;
    if (e && (e.family === 6) === v6) {
      src = e.dstBytes;
      srcPort = e.remote.port;
      dstPort = e.local.port;
      const st = e.conn.status();
      seq = this.int(2) ? (st.rcvNxt + this.int(200_000) - 100_000) >>> 0 : this.rng.nextU32();
      ack = this.int(2) ? (st.sndNxt - this.int(70_000) + 5) >>> 0 : this.rng.nextU32();
    } else {
      src = v6 ? (this.int(2) ? this.cli6 : randomV6(this.rng)) : this.int(2) ? this.cli4 : new Uint8Array([10, 0, 0, this.int(256)]);
      srcPort = this.int(3) ? 1024 + this.int(64000) : this.int(65536);
      dstPort = this.int(3) ? 80 : this.int(65536);
      seq = this.rng.nextU32();
      ack = this.rng.nextU32();
    }
    const seg: Segment = {
      srcPort,
      dstPort,
      seq,
      ack,
      flags: this.int(3) ? [0x02, 0x10, 0x18, 0x11, 0x04, 0x14, 0x12, 0x01][this.int(8)] : this.int(256),
      window: this.int(65536),
      urgent: this.int(4) ? 0 : this.int(65536),
      options: {
        mss: this.int(3) ? undefined : this.int(65536),
        wscale: this.int(3) ? undefined : this.int(15),
        sackPermitted: this.int(2) === 0,
        timestamp: this.int(2) ? undefined : { val: this.rng.nextU32(), ecr: this.rng.nextU32() },
        sack: this.int(4) ? undefined : [[this.rng.nextU32(), this.rng.nextU32()]],
      },
      payload: new Uint8Array(this.int(4) ? 0 : this.int(1400)),
    };
    return buildTcpPacket(src, v6 ? this.srv6 : this.srv4, seg);
  }

  private mutate(p: Uint8Array): Uint8Array {
    const n = 1 + this.int(4);
    for (let k = 0; k < n; k++) {
      const m = this.int(12);
      if (p.length === 0) break;
      switch (m) {
        case 0: // bit flip anywhere
        case 1: {
          const i = this.int(p.length);
          p[i] ^= 1 << this.int(8);
          break;
        }
        case 2: // random byte anywhere
          p[this.int(p.length)] = this.int(256);
          break;
        case 3: // truncate
          p = p.subarray(0, this.int(p.length + 1));
          break;
        case 4: {
          // extend with garbage
          const q = new Uint8Array(p.length + 1 + this.int(64));
          q.set(p);
          for (let i = p.length; i < q.length; i++) q[i] = this.int(256);
          p = q;
          break;
        }
        default: {
          // A header field: IP header bytes 0-19 (v4) / 0-39 (v6), TCP header and options.
          const v6 = p[0] >> 4 === 6;
          const ipLen = v6 ? 40 : (p[0] & 15) * 4 || 20;
          const region = this.int(3);
          let i: number;
          if (region === 0) i = this.int(Math.min(p.length, ipLen));
          else if (region === 1) i = ipLen + this.int(20); // TCP fixed header (flags at +13)
          else i = ipLen + 20 + this.int(40); // TCP options
          if (i < p.length) p[i] = this.int(3) ? this.int(256) : [0, 1, 0xff, 0x7f, 0x80][this.int(5)];
          break;
        }
      }
    }
    if (this.int(2)) {
      if (repairChecksums(p)) this.stats.repaired++;
    }
    return p;
  }

  /** Inject one packet and account for it. */
  inject(p: Uint8Array): void {
    const c = this.c;
    const t = this.t;
    const in0 = c.ipInReceives;
    const d0 = this.dropCount;
    const nr0 = this.noRouteCount;
    const a0 = t.witness.arrives;
    const i0 = t.witness.icmp;
    t.sent.n = 0;
    const w0 = performance.now();
    t.server.input('eth0', p);
    const ms = performance.now() - w0;
    if (ms > this.stats.slowestMs) this.stats.slowestMs = ms;
    this.stats.packets++;
    if (c.ipInReceives - in0 !== 1) assert.fail('one packet in');
    const noRoute = this.noRouteCount - nr0;
    const hostDrops = this.dropCount - d0;
    const arrives = t.witness.arrives - a0;
    const accepted = arrives > 0 || t.witness.icmp > i0 || t.sent.n > 0 || noRoute > 0 ? 1 : 0;
    if (hostDrops + accepted !== 1) {
      assert.fail(
        `packet ${this.stats.packets} not accounted for exactly once: host drops ${hostDrops}, accepted ${accepted} ` +
          `(arrives ${arrives}, sent ${t.sent.n}); bytes ${Buffer.from(p).toString('hex')}`,
      );
    }
    if (hostDrops) {
      this.stats.dropped++;
      this.stats.drops[this.lastDrop] = (this.stats.drops[this.lastDrop] ?? 0) + 1;
    } else {
      this.stats.accepted++;
      if (arrives) this.stats.toConnections++;
    }
  }

  /** Run `n` packets; every `timerEvery` packets let virtual time move so timers fire. */
  run(n: number, timerEvery = 500): FuzzStats {
    for (let i = 0; i < n; i++) {
      this.inject(this.next());
      if (i % timerEvery === timerEvery - 1) this.t.sched.runFor(1 + this.int(3000));
    }
    this.stats.connDrops = { ...this.c.connDrops };
    // The host's own counters agree with every drop seen.
    const sum = Object.values(this.c.drops).reduce((a, b) => a + b, 0);
    assert.equal(sum - this.drops0, this.dropCount + this.noRouteCount, 'host drop counters = drops seen');
    return this.stats;
  }
}

function randomV6(rng: SeededRng): Uint8Array {
  const b = new Uint8Array(16);
  for (let i = 0; i < 16; i += 4) {
    const v = rng.nextU32();
    b[i] = v >>> 24;
    b[i + 1] = v >>> 16;
    b[i + 2] = v >>> 8;
    b[i + 3] = v;
  }
  if (rng.next() < 0.5) b.set([0xfd, 0, 0, 0, 0, 0, 0, 0], 0);
  return b;
}

/** After fuzzing: close every socket, let time run; the host must end with no connection and
 *  no timer (nothing leaked, nothing spinning). Returns the virtual ms it took. */
export function drainTarget(t: FuzzTarget): { connections: number; timers: number } {
  const s = t.server.sockets;
  for (const fd of s.openFds()) s.close(fd);
  t.sched.runFor(3 * 3600_000);
  return { connections: t.server.connectionCount, timers: t.server.timerCount };
}
