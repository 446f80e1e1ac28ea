// RFC 3168 end to end: two hosts on a SimLink whose a->b direction CE-marks ECN-capable packets
// (ceMark) instead of dropping them. The bulk transfer completes without one retransmission and
// the sender's window comes down on the ECEs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ConnectionConfig } from '../../src/tcp/types.js';
import { pair, connectNb, drain } from './helpers.js';

const SIZE = 2_000_000;

function bulk(fam: 4 | 6, ceMark: number, tcp: Partial<ConnectionConfig>) {
  const p = pair({ link: { aToB: { ceMark }, bandwidth: '100Mbit' }, a: { tcp } });
  const { sched, a, b, link } = p;
  const ls = b.sockets.socket(fam);
  b.sockets.bind(ls, { addr: fam === 4 ? '0.0.0.0' : '::', port: 9 });
  b.sockets.listen(ls, 4);
  const c = a.sockets.socket(fam);
  connectNb(a, c, fam === 4 ? '10.0.0.2' : 'fd00::2', 9);
  sched.runFor(50);
  const { fd: s } = b.sockets.accept(ls);
  const payload = new Uint8Array(SIZE);
  for (let i = 0; i < SIZE; i++) payload[i] = (i * 7) & 0xff;
  let sent = 0;
  let got = 0;
  let ok = true;
  for (let round = 0; round < 10_000 && got < SIZE; round++) {
    if (sent < SIZE) {
      try {
        sent += a.sockets.write(c, payload.subarray(sent));
      } catch {
        /* EAGAIN: the send buffer is full */
      }
    }
    sched.runFor(5);
    const d = drain(b, s).data;
    for (let i = 0; i < d.length; i++) if (d[i] !== payload[got + i]) ok = false;
    got += d.length;
  }
  const st = a.connections().find((e) => e.state === 'ESTABLISHED')!.conn.status();
  return { got, ok, st, marked: link.stats('a>b').ceMarked };
}

for (const fam of [4, 6] as const) {
  test(`IPv${fam} ESTABLISHED (ECN on, link CE-marks 2%): 2 MB bulk transfer -> intact, no retransmission, cwnd reduced`, () => {
    const r = bulk(fam, 0.02, { ecn: true });
    assert.equal(r.got, SIZE);
    assert.ok(r.ok, 'data intact');
    assert.equal(r.st.ecn, true);
    assert.ok(r.marked > 0, 'the link marked packets');
    assert.equal(r.st.retransmits, 0);
    const plain = bulk(fam, 0, { ecn: true });
    assert.equal(plain.marked, 0);
    assert.ok(r.st.ssthresh < plain.st.ssthresh, `ssthresh ${r.st.ssthresh} < ${plain.st.ssthresh}`);
    assert.ok(r.st.cwnd < plain.st.cwnd, `cwnd ${r.st.cwnd} < ${plain.st.cwnd}`);
  });
}

test('IPv4 ESTABLISHED (ECN off on the sender, link CE-marks): Not-ECT packets are never marked', () => {
  const r = bulk(4, 0.02, { ecn: false });
  assert.equal(r.got, SIZE);
  assert.equal(r.marked, 0);
  assert.equal(r.st.ecn, false);
});
