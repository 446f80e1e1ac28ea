// TIME-WAIT: rcv SYN with timeWaitReopen 'timestamps' (RFC 9293 3.10.7.4 fourth, RFC 6191): a
// new connection only when both incarnations use timestamps and the SYN's TSval is newer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { raw, type Raw } from './raw.js';
import { ACK, FIN, RST, SYN, type SegmentOptions } from '../../src/wire/types.js';

const P = '192.168.0.2';
const M = '192.168.0.1';

/** A passive connection closed by us first, left in TIME-WAIT; `ts` turns timestamps on. */
function timeWait(ts: boolean): Raw {
  const r = raw({ timeWaitReopen: 'timestamps', tcp: { timestamps: true, rfc5961: true } });
  const s = r.host.sockets;
  const l = s.socket(4);
  s.bind(l, { addr: '0.0.0.0', port: 80 });
  s.listen(l, 8);
  const o = (val: number): SegmentOptions => (ts ? { timestamp: { val, ecr: 0 } } : {});
  r.inject(P, M, { srcPort: 999, dstPort: 80, seq: 100, flags: SYN, options: o(1000) });
  const iss = r.take()[0].tcp!.seq;
  r.inject(P, M, { srcPort: 999, dstPort: 80, seq: 101, ack: (iss + 1) >>> 0, flags: ACK, options: o(1001) });
  const { fd } = s.accept(l);
  s.close(fd);
  r.take();
  r.inject(P, M, { srcPort: 999, dstPort: 80, seq: 101, ack: (iss + 2) >>> 0, flags: FIN | ACK, options: o(1002) });
  r.take();
  assert.equal(r.host.connectionTable()[1].state, 'TIME-WAIT');
  return r;
}

test("TIME-WAIT: rcv SYN without timestamps, higher seq (timeWaitReopen 'timestamps') -> stays TIME-WAIT, challenge ACK", () => {
  const r = timeWait(false);
  r.inject(P, M, { srcPort: 999, dstPort: 80, seq: 50_000, flags: SYN });
  const out = r.take();
  assert.equal(out.length, 1);
  assert.equal(out[0].tcp!.flags, ACK);
  assert.equal(out[0].tcp!.ack, 102);
  assert.equal(r.host.connectionTable()[1].state, 'TIME-WAIT');
  assert.equal(r.host.counters().timeWaitRecycled, 0);
});

test("TIME-WAIT: rcv SYN with a newer TSval (timeWaitReopen 'timestamps') -> reopened, SYN,ACK", () => {
  const r = timeWait(true);
  r.inject(P, M, { srcPort: 999, dstPort: 80, seq: 50_000, flags: SYN, options: { timestamp: { val: 2000, ecr: 0 } } });
  const out = r.take();
  assert.equal(out[0].tcp!.flags, SYN | ACK);
  assert.equal(out[0].tcp!.ack, 50_001);
  assert.equal(r.host.counters().timeWaitRecycled, 1);
});

test("TIME-WAIT: rcv SYN with an old TSval (timeWaitReopen 'timestamps') -> not reopened, no SYN,ACK", () => {
  const r = timeWait(true);
  r.inject(P, M, { srcPort: 999, dstPort: 80, seq: 50_000, flags: SYN, options: { timestamp: { val: 500, ecr: 0 } } });
  const out = r.take();
  assert.ok(out.every((p) => p.tcp!.flags !== (SYN | ACK) && !(p.tcp!.flags & RST)));
  assert.equal(r.host.counters().timeWaitRecycled, 0);
});
