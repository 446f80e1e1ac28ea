// Never a crash: random and mutated packets into a host with a listener and live connections
// are counted and dropped (or answered), and the host keeps working afterwards.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { raw } from './raw.js';
import { connectNb } from './helpers.js';
import { ACK, SYN } from '../../src/wire/types.js';
import { buildTcpPacket } from '../../src/wire/packet.js';
import { parseAddr } from '../../src/wire/addr.js';

function setup() {
  const r = raw();
  const s = r.host.sockets;
  const l = s.socket(4);
  s.bind(l, { addr: '0.0.0.0', port: 80 });
  s.listen(l, 4);
  const c = s.socket(4);
  connectNb(r.host, c, '192.168.0.2', 443);
  const [syn] = r.take();
  r.inject('192.168.0.2', '192.168.0.1', { srcPort: 443, dstPort: syn.tcp!.srcPort, seq: 1, ack: (syn.tcp!.seq + 1) >>> 0, flags: SYN | ACK });
  r.take();
  return { r, l, c, lport: syn.tcp!.srcPort };
}

test('random bytes never throw out of input()', () => {
  const { r } = setup();
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 120 }), (b) => {
      r.injectBytes(b);
      r.sched.runFor(1);
    }),
    { numRuns: 2000, seed: 42 },
  );
  const c = r.host.counters();
  assert.ok(c.ipInReceives >= 2000);
});

test('mutated TCP packets (flags, seq, options, lengths) never throw and the host keeps working', () => {
  const { r, c, lport } = setup();
  const src = parseAddr('192.168.0.2')!.bytes;
  const dst = parseAddr('192.168.0.1')!.bytes;
  fc.assert(
    fc.property(
      fc.record({
        flags: fc.integer({ min: 0, max: 255 }),
        seq: fc.nat({ max: 0xffffffff }),
        ack: fc.nat({ max: 0xffffffff }),
        toListener: fc.boolean(),
        win: fc.integer({ min: 0, max: 65535 }),
        len: fc.integer({ min: 0, max: 64 }),
        mss: fc.option(fc.integer({ min: 0, max: 65535 })),
        wscale: fc.option(fc.integer({ min: 0, max: 255 })),
        flip: fc.option(fc.nat({ max: 200 })),
      }),
      (m) => {
        const seg = {
          srcPort: m.toListener ? 1000 + (m.seq % 50) : 443,
          dstPort: m.toListener ? 80 : lport,
          seq: m.seq,
          ack: m.ack,
          flags: m.flags,
          window: m.win,
          urgent: 0,
          options: { mss: m.mss ?? undefined, wscale: m.wscale === null ? undefined : Math.min(m.wscale, 14) },
          payload: new Uint8Array(m.len),
        };
        const p = buildTcpPacket(src, dst, seg);
        if (m.flip !== null && m.flip < p.length) p[m.flip] ^= 0x5a;
        r.injectBytes(p);
        r.sched.runFor(3);
      },
    ),
    { numRuns: 3000, seed: 7 },
  );
  r.sched.runFor(200_000);
  // Still a working host: a fresh handshake to the listener completes.
  r.take();
  r.inject('192.168.0.2', '192.168.0.1', { srcPort: 65000, dstPort: 80, seq: 1, flags: SYN });
  const sa = r.take().find((p) => p.tcp!.dstPort === 65000);
  assert.equal(sa?.tcp!.flags, SYN | ACK);
  r.inject('192.168.0.2', '192.168.0.1', { srcPort: 65000, dstPort: 80, seq: 2, ack: (sa!.tcp!.seq + 1) >>> 0, flags: ACK });
  void c;
  const e = r.host.findConnection({ addr: '192.168.0.1', port: 80 }, { addr: '192.168.0.2', port: 65000 });
  assert.equal(e?.state, 'ESTABLISHED');
});
