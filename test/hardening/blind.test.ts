// Blind in-window attacks (RFC 5961): an off-path attacker knows the 4-tuple of an established
// connection but not its sequence numbers. It injects RSTs, SYNs and data with guessed sequence
// numbers striding through the whole 2^32 space (65,536 guesses each, 65,536 apart: at least one
// guess lands in any window of 64 KB) into both ends while a 1 MB transfer runs. No connection is
// reset, the data stream arrives intact (SHA-256), and challenge ACKs stay under the RFC 5961 7
// rate limit.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { VirtualScheduler } from '../../src/sim/scheduler.js';
import { SimLink } from '../../src/link/sim-link.js';
import { HostStack } from '../../src/stack/host.js';
import { SocketError } from '../../src/stack/types.js';
import { buildTcpPacket, buildIcmpPacket } from '../../src/wire/packet.js';
import { parseAddr } from '../../src/wire/addr.js';
import { ACK, RST, SYN, PSH, type Segment } from '../../src/wire/types.js';
import { SeededRng } from '../../src/sim/random.js';

const STREAM = 1 << 20;

function streamByte(i: number): number {
  return (i * 31 + (i >>> 9)) & 0xff;
}

interface Setup {
  sched: VirtualScheduler;
  a: HostStack;
  b: HostStack;
  afd: number;
  bfd: number;
  aPort: number;
  sent: number;
  received: Uint8Array[];
  hashA: ReturnType<typeof createHash>;
  pump: () => void;
}

function setup(limit?: number): Setup {
  const sched = new VirtualScheduler();
  const link = new SimLink({ scheduler: sched, delay: 5, seed: 3, bandwidth: '50Mbit' });
  const tcp = limit === undefined ? {} : { challengeAckLimit: limit };
  const a = new HostStack({ name: 'a', scheduler: sched, rng: 21, tcp });
  const b = new HostStack({ name: 'b', scheduler: sched, rng: 22, tcp });
  a.addInterface({ name: 'eth0', port: link.a, addresses: ['10.0.0.1/24'] });
  b.addInterface({ name: 'eth0', port: link.b, addresses: ['10.0.0.2/24'] });
  const l = b.sockets.socket(4);
  b.sockets.bind(l, { addr: '0.0.0.0', port: 443 });
  b.sockets.listen(l, 8);
  const afd = a.sockets.socket(4);
  try {
    a.sockets.connect(afd, { addr: '10.0.0.2', port: 443 });
  } catch (e) {
    if (!(e instanceof SocketError) || e.code !== 'EINPROGRESS') throw e;
  }
  sched.runFor(50);
  const bfd = b.sockets.accept(l).fd;
  const s: Setup = {
    sched,
    a,
    b,
    afd,
    bfd,
    aPort: a.sockets.localAddress(afd).port,
    sent: 0,
    received: [],
    hashA: createHash('sha256'),
    pump: () => {},
  };
  s.pump = () => {
    // Writer: as much as fits. Reader: everything buffered.
    while (s.sent < STREAM) {
      const n = Math.min(65536, STREAM - s.sent);
      const chunk = new Uint8Array(n);
      for (let i = 0; i < n; i++) chunk[i] = streamByte(s.sent + i);
      let w: number;
      try {
        w = a.sockets.write(afd, chunk);
      } catch (e) {
        if (e instanceof SocketError && e.code === 'EAGAIN') break;
        throw e;
      }
      s.hashA.update(chunk.subarray(0, w));
      s.sent += w;
    }
    for (;;) {
      try {
        const d = b.sockets.read(bfd, 1 << 20);
        if (d.length === 0) break;
        s.received.push(d);
      } catch (e) {
        if (e instanceof SocketError && e.code === 'EAGAIN') break;
        throw e;
      }
    }
  };
  return s;
}

const A = parseAddr('10.0.0.1')!.bytes;
const B = parseAddr('10.0.0.2')!.bytes;

/** One blind segment into `to` ('a' or 'b') on the connection's 4-tuple. */
function blind(s: Setup, to: 'a' | 'b', seq: number, ack: number, flags: number, payload: Uint8Array): void {
  const toA = to === 'a';
  const seg: Segment = {
    srcPort: toA ? 443 : s.aPort,
    dstPort: toA ? s.aPort : 443,
    seq: seq >>> 0,
    ack: ack >>> 0,
    flags,
    window: 65535,
    urgent: 0,
    options: {},
    payload,
  };
  (toA ? s.a : s.b).input('eth0', buildTcpPacket(toA ? B : A, toA ? A : B, seg));
}

function finish(s: Setup): { hashOk: boolean; bytes: number } {
  for (let i = 0; i < 20_000 && s.received.reduce((n, d) => n + d.length, 0) < STREAM; i++) {
    s.pump();
    s.sched.runFor(5);
  }
  const h = createHash('sha256');
  let n = 0;
  for (const d of s.received) {
    h.update(d);
    n += d.length;
  }
  return { hashOk: n === STREAM && h.digest('hex') === s.hashA.digest('hex'), bytes: n };
}

test('blind attack: 65,536 RSTs, SYNs and data segments each striding 2^32, into both ends, during a 1 MB transfer', () => {
  const s = setup();
  const rng = new SeededRng(99);
  const kinds = ['rst', 'syn', 'data'] as const;
  const junk = new Uint8Array(100).fill(0xee);
  const outA0 = s.a.counters().tcpOutSegs;
  const outB0 = s.b.counters().tcpOutSegs;
  let injected = 0;
  const GUESSES = 65536;
  const STRIDE = 2 ** 32 / GUESSES;
  const off = { rst: rng.nextU32() % STRIDE, syn: rng.nextU32() % STRIDE, data: rng.nextU32() % STRIDE };
  // 64 rounds of 1,024 guesses per kind per end, 5 ms apart, interleaved with the transfer.
  for (let round = 0; round < GUESSES / 1024; round++) {
    s.pump();
    for (const k of kinds) {
      for (let j = 0; j < 1024; j++) {
        const g = round * 1024 + j;
        const seq = off[k] + g * STRIDE;
        const ack = rng.nextU32();
        for (const to of ['a', 'b'] as const) {
          if (k === 'rst') blind(s, to, seq, 0, RST, new Uint8Array(0));
          else if (k === 'syn') blind(s, to, seq, 0, SYN, new Uint8Array(0));
          else blind(s, to, seq, ack, ACK | PSH, junk);
          injected++;
        }
      }
    }
    s.sched.runFor(5);
  }
  const r = finish(s);
  const ca = s.a.counters();
  const cb = s.b.counters();
  const answered = ca.tcpOutSegs - outA0 + (cb.tcpOutSegs - outB0);
  console.log(
    `blind: ${injected} blind segments; challenge ACKs a=${ca.tcpChallengeAcks} b=${cb.tcpChallengeAcks} ` +
      `(suppressed ${ca.tcpChallengeAcksSuppressed + cb.tcpChallengeAcksSuppressed}); resets a=${ca.tcpEstabResets} b=${cb.tcpEstabResets}; ` +
      `segments sent during the attack ${answered}; stream ${r.bytes} bytes, hash ${r.hashOk ? 'intact' : 'BROKEN'}; ` +
      `conn drops b: ${Object.entries(cb.connDrops).map(([k, v]) => `${k}=${v}`).join(' ')}`,
  );
  assert.equal(s.a.sockets.state(s.afd), 'ESTABLISHED', 'sender not reset');
  assert.equal(s.b.sockets.state(s.bfd), 'ESTABLISHED', 'receiver not reset');
  assert.equal(ca.tcpEstabResets + cb.tcpEstabResets, 0);
  assert.ok(r.hashOk, 'data stream intact (SHA-256)');
  // Guesses inside the window get challenge ACKs (RFC 5961 3.2, 4.2), not resets.
  assert.ok(ca.tcpChallengeAcks + cb.tcpChallengeAcks > 0, 'in-window guesses drew challenge ACKs');
});

test('blind attack: in-window RST and SYN storms get at most challengeAckLimit challenge ACKs per second', () => {
  const LIMIT = 100;
  const s = setup(LIMIT);
  s.pump();
  s.sched.runFor(20);
  const t0 = s.sched.now();
  // The attacker somehow learned RCV.NXT roughly: every RST and SYN lands in the window but
  // none exactly on RCV.NXT. 20,000 over 2 s of virtual time.
  for (let round = 0; round < 200; round++) {
    const st = s.b.sockets.status(s.bfd)!;
    for (let j = 0; j < 100; j++) {
      const seq = (st.rcvNxt + 1 + ((round * 100 + j) % Math.max(2, st.rcvWnd - 1))) >>> 0;
      blind(s, 'b', seq, 0, j % 2 ? RST : SYN, new Uint8Array(0));
    }
    s.pump();
    s.sched.runFor(10);
  }
  const seconds = Math.ceil((s.sched.now() - t0) / 1000) + 1;
  const r = finish(s);
  const cb = s.b.counters();
  console.log(`blind storm: 20000 in-window RST/SYN over ${s.sched.now() - t0} ms: challenge ACKs ${cb.tcpChallengeAcks}, suppressed ${cb.tcpChallengeAcksSuppressed}; hash ${r.hashOk ? 'intact' : 'BROKEN'}`);
  assert.equal(s.b.sockets.state(s.bfd), 'ESTABLISHED');
  assert.ok(r.hashOk, 'data stream intact');
  assert.ok(cb.tcpChallengeAcks <= LIMIT * seconds, `challenge ACKs ${cb.tcpChallengeAcks} <= ${LIMIT}/s`);
  assert.ok(cb.tcpChallengeAcksSuppressed >= 20_000 - LIMIT * seconds, 'the rest suppressed');
});

test('blind ICMP (RFC 5927): forged port-unreachable and fragmentation-needed errors with guessed sequence numbers', () => {
  const s = setup();
  const rng = new SeededRng(5927);
  const GUESSES = 65536;
  const STRIDE = 2 ** 32 / GUESSES;
  const off = rng.nextU32() % STRIDE;
  let applied = 0;
  for (let round = 0; round < GUESSES / 1024; round++) {
    s.pump();
    if (round === 0) {
      // An attacker who does know SND.UNA, while data is in flight (RFC 5927 4.1 accepts
      // SND.UNA =< SEG.SEQ < SND.NXT): the error is applied, but the MTU it claims (68) is raised
      // to the floor (552, Linux min_pmtu) and the hard error stays soft in ESTABLISHED.
      const st = s.a.sockets.status(s.afd)!;
      assert.notEqual(st.sndUna, st.sndNxt, 'data in flight');
      const q = buildTcpPacket(A, B, { srcPort: s.aPort, dstPort: 443, seq: st.sndUna, ack: 0, flags: ACK, window: 0, urgent: 0, options: {}, payload: new Uint8Array(0) }).subarray(0, 28);
      s.a.input('eth0', buildIcmpPacket(B, A, { type: 3, code: 4, mtu: 68, body: q }));
      s.a.input('eth0', buildIcmpPacket(B, A, { type: 3, code: 3, body: q }));
    }
    const before = s.a.counters().icmpIgnored;
    for (let j = 0; j < 1024; j++) {
      const seq = (off + (round * 1024 + j) * STRIDE) >>> 0;
      // The quoted packet: one the sender (a) would have sent to b, with a guessed sequence number.
      const quoted = buildTcpPacket(A, B, { srcPort: s.aPort, dstPort: 443, seq, ack: 0, flags: ACK, window: 0, urgent: 0, options: {}, payload: new Uint8Array(0) }).subarray(0, 28);
      const frag = j % 2 === 0;
      s.a.input('eth0', buildIcmpPacket(B, A, frag ? { type: 3, code: 4, mtu: 68, body: quoted } : { type: 3, code: 3, body: quoted }));
    }
    applied += 1024 - (s.a.counters().icmpIgnored - before);
    s.sched.runFor(5);
  }
  const r = finish(s);
  const ca = s.a.counters();
  const pmtu = s.a.pathMtu('10.0.0.2');
  assert.equal(pmtu, 552, 'an applied forged frag-needed is clamped to the floor');
  console.log(`blind ICMP: ${GUESSES} forged errors, ${applied} applied (sequence in [SND.UNA, SND.NXT]), ${ca.icmpIgnored} ignored; path MTU now ${pmtu ?? 'unchanged'}; hash ${r.hashOk ? 'intact' : 'BROKEN'}`);
  assert.equal(s.a.sockets.state(s.afd), 'ESTABLISHED', 'hard ICMP errors do not abort an established connection (RFC 5461)');
  assert.ok(r.hashOk, 'data stream intact');
  assert.ok(ca.icmpIgnored >= GUESSES - 64, 'out-of-window quotes ignored');
  assert.ok(pmtu === undefined || pmtu >= 552, `path MTU floor: ${pmtu}`);
});
