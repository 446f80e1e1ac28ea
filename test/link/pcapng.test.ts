import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import fc from 'fast-check';
import {
  PcapngWriter,
  tapPort,
  readPcapng,
  readPcap,
  readCapture,
  writePcap,
  isCaptureError,
  LINKTYPE_ETHERNET,
  LINKTYPE_LINUX_SLL,
  LINKTYPE_LINUX_SLL2,
  LINKTYPE_NULL,
  type CapturedPacket,
} from '../../src/link/pcapng.js';
import { SimLink } from '../../src/link/sim-link.js';
import { VirtualScheduler } from '../../src/sim/scheduler.js';
import { ipv4Tcp, seqOf } from './packets.js';

function ok(r: ReturnType<typeof readPcapng>): CapturedPacket[] {
  if (isCaptureError(r)) assert.fail(r.error);
  return r;
}

/** A SimLink session (client a, server b) captured through taps on both ends. */
function capturedSession(seed: number): Uint8Array {
  const sched = new VirtualScheduler();
  const w = new PcapngWriter({ clock: sched });
  const link = new SimLink({ scheduler: sched, seed, delay: '3ms', jitter: '1ms', loss: 0.1, reorder: 0.1, duplicate: 0.1, bandwidth: '2Mbit' });
  const a = tapPort(link.a, w, 'client');
  const b = tapPort(link.b, w, 'server');
  b.onReceive = (p) => b.send(ipv4Tcp({ src: [10, 0, 0, 2], dst: [10, 0, 0, 1], sport: 80, dport: 40000, ack: seqOf(p) + 100, flags: 0x10 }));
  a.onReceive = () => {};
  for (let i = 0; i < 50; i++) sched.at(i * 2, () => a.send(ipv4Tcp({ seq: i * 100, payload: 100, flags: 0x18 })));
  sched.runUntilIdle();
  return w.toBytes();
}

test('pcapng: two SimLink runs with the same seed and traffic give byte-identical files', () => {
  const f1 = capturedSession(77);
  const f2 = capturedSession(77);
  assert.ok(f1.length > 1000);
  assert.deepEqual(f1, f2);
  assert.notDeepEqual(f1, capturedSession(78));
});

test('pcapng: write/read round trip keeps packets, interfaces and microsecond times', () => {
  const w = new PcapngWriter({ interfaces: ['a'] });
  const p1 = ipv4Tcp({ seq: 1, payload: 3 }); // odd length: exercises padding
  const p2 = ipv4Tcp({ seq: 2 });
  w.write(p1, 0, 1.5);
  w.write(p2, 2, 5000.001);
  assert.deepEqual(w.interfaces, ['a', 'if1', 'if2']);
  assert.equal(w.count, 2);
  const bytes = w.toBytes();
  assert.equal(bytes.length % 4, 0);
  const got = ok(readPcapng(bytes));
  assert.equal(got.length, 2);
  assert.deepEqual(got[0], { t: 1.5, data: p1, ifIndex: 0 });
  assert.equal(got[1].ifIndex, 2);
  assert.ok(Math.abs(got[1].t - 5000.001) < 1e-6);
  assert.deepEqual(ok(readCapture(bytes)).map((p) => p.data), [p1, p2]);
});

test('pcapng: tapPort records both directions with the clock time and still delivers', () => {
  const sched = new VirtualScheduler();
  const w = new PcapngWriter({ clock: sched });
  const link = new SimLink({ scheduler: sched, delay: 4 });
  const a = tapPort(link.a, w, 'a');
  const got: number[] = [];
  link.b.onReceive = (p) => link.b.send(p);
  a.onReceive = (p) => got.push(seqOf(p));
  assert.equal(a.mtu, 1500);
  a.send(ipv4Tcp({ seq: 5 }));
  sched.runUntilIdle();
  assert.deepEqual(got, [5]);
  const pk = ok(readPcapng(w.toBytes()));
  assert.deepEqual(pk.map((p) => p.t), [0, 8]);
  a.onReceive = null;
  assert.equal(link.a.onReceive, null);
});

test('tshark reads the pcapng file without errors', (t) => {
  if (!existsSync('/usr/bin/tshark')) {
    t.skip('tshark is not installed at /usr/bin/tshark');
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'synack-pcap-'));
  try {
    const file = join(dir, 'cap.pcapng');
    writeFileSync(file, capturedSession(5));
    const r = spawnSync('/usr/bin/tshark', ['-r', file, '-T', 'fields', '-e', 'frame.interface_name', '-e', 'tcp.srcport', '-e', 'tcp.checksum.status', '-o', 'tcp.check_checksum:TRUE'], {
      encoding: 'utf8',
      timeout: 60000,
    });
    assert.equal(r.status, 0, r.stderr);
    assert.doesNotMatch(r.stderr, /error|damaged|corrupt/i);
    const lines = r.stdout.trim().split('\n');
    const n = ok(readPcapng(capturedSession(5))).length;
    assert.equal(lines.length, n);
    assert.ok(lines.every((l) => /^(client|server)\t(40000|80)\t1$/.test(l)), lines.slice(0, 3).join('|'));
    // Classic pcap written by us reads too.
    const file2 = join(dir, 'cap.pcap');
    writeFileSync(file2, writePcap([{ t: 1, data: ipv4Tcp({ flags: 0x02 }) }]));
    const r2 = spawnSync('/usr/bin/tshark', ['-r', file2], { encoding: 'utf8', timeout: 60000 });
    assert.equal(r2.status, 0, r2.stderr);
    assert.match(r2.stdout, /TCP/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** A classic pcap file with one frame of the given link type. */
function pcapWith(linktype: number, frame: Uint8Array, le = true, nano = false): Uint8Array {
  const out = new Uint8Array(24 + 16 + frame.length);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, nano ? 0xa1b23c4d : 0xa1b2c3d4, le);
  dv.setUint16(4, 2, le);
  dv.setUint16(6, 4, le);
  dv.setUint32(16, 65535, le);
  dv.setUint32(20, linktype, le);
  dv.setUint32(24, 2, le);
  dv.setUint32(28, nano ? 500_000_000 : 500_000, le);
  dv.setUint32(32, frame.length, le);
  dv.setUint32(36, frame.length, le);
  out.set(frame, 40);
  return out;
}

const cat = (...xs: Uint8Array[]) => {
  const o = new Uint8Array(xs.reduce((n, x) => n + x.length, 0));
  let i = 0;
  for (const x of xs) {
    o.set(x, i);
    i += x.length;
  }
  return o;
};

test('readPcap: strips Ethernet (with VLAN), Linux SLL, SLL2 and NULL headers; skips ARP', () => {
  const ip = ipv4Tcp({ seq: 42 });
  const eth = cat(new Uint8Array(12), new Uint8Array([0x08, 0x00]), ip);
  const vlan = cat(new Uint8Array(12), new Uint8Array([0x81, 0x00, 0, 5, 0x08, 0x00]), ip);
  const arp = cat(new Uint8Array(12), new Uint8Array([0x08, 0x06]), new Uint8Array(28));
  const sll = cat(new Uint8Array(14), new Uint8Array([0x08, 0x00]), ip);
  const sll2 = cat(new Uint8Array([0x08, 0x00]), new Uint8Array(18), ip);
  const nul = cat(new Uint8Array([2, 0, 0, 0]), ip);
  for (const [lt, frame] of [
    [LINKTYPE_ETHERNET, eth],
    [LINKTYPE_ETHERNET, vlan],
    [LINKTYPE_LINUX_SLL, sll],
    [LINKTYPE_LINUX_SLL2, sll2],
    [LINKTYPE_NULL, nul],
  ] as const) {
    for (const le of [true, false]) {
      const got = ok(readPcap(pcapWith(lt, frame, le)));
      assert.equal(got.length, 1, `linktype ${lt}`);
      assert.deepEqual(got[0].data, ip);
      assert.equal(got[0].t, 2500);
    }
  }
  assert.deepEqual(ok(readPcap(pcapWith(LINKTYPE_ETHERNET, arp))), []);
  assert.equal(ok(readPcap(pcapWith(101, ip, true, true)))[0].t, 2500);
  const bad = readPcap(pcapWith(147, ip));
  assert.ok(isCaptureError(bad) && /unsupported link type 147/.test(bad.error));
});

test('readers: garbage and truncated files give an error object, never a throw', () => {
  const good = capturedSession(1);
  for (let cut = 0; cut < good.length; cut += 37) {
    const r = readPcapng(good.subarray(0, cut));
    if (cut < good.length && isCaptureError(r)) assert.equal(typeof r.error, 'string');
  }
  assert.ok(isCaptureError(readPcapng(new Uint8Array(0))));
  assert.ok(isCaptureError(readPcap(new Uint8Array(100))));
  assert.ok(isCaptureError(readCapture(new TextEncoder().encode('hello, this is not a capture file at all'))));
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), fc.integer({ min: 0, max: 2000 }), fc.integer({ min: 0, max: 255 }), (junk, pos, val) => {
      const r1 = readCapture(junk);
      assert.ok(Array.isArray(r1) || typeof r1.error === 'string');
      const m = good.slice();
      m[pos % m.length] = val;
      const r2 = readPcapng(m);
      assert.ok(Array.isArray(r2) || typeof r2.error === 'string');
      const r3 = readPcap(cat(pcapWith(1, new Uint8Array(0)).subarray(0, 24), junk));
      assert.ok(Array.isArray(r3) || typeof r3.error === 'string');
    }),
  );
});
