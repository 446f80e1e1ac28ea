// LISTEN / SYN-SENT: rcv SYN+FIN with dropSynFin (FreeBSD drop_synfin=1); listener close with a
// SYN-RECEIVED child.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { raw } from './raw.js';
import { ACK, FIN, RST, SYN } from '../../src/wire/types.js';

const P = '192.168.0.2';
const M = '192.168.0.1';

function listening(dropSynFin: boolean) {
  const r = raw({ dropSynFin });
  const s = r.host.sockets;
  const l = s.socket(4);
  s.bind(l, { addr: '0.0.0.0', port: 80 });
  s.listen(l, 8);
  return { r, s, l };
}

test('LISTEN: rcv SYN+FIN with dropSynFin -> dropped silently, counted; a later SYN is answered', () => {
  const { r } = listening(true);
  r.inject(P, M, { srcPort: 999, dstPort: 80, seq: 100, flags: SYN | FIN });
  assert.equal(r.take().length, 0);
  assert.equal(r.host.counters().drops['tcp:listen-syn-fin'], 1);
  r.inject(P, M, { srcPort: 999, dstPort: 80, seq: 200, flags: SYN });
  const out = r.take();
  assert.equal(out[0].tcp!.flags, SYN | ACK);
  assert.equal(out[0].tcp!.ack, 201);
});

test('LISTEN: rcv SYN+FIN without dropSynFin -> SYN,ACK (RFC 9293 3.10.7.2)', () => {
  const { r } = listening(false);
  r.inject(P, M, { srcPort: 999, dstPort: 80, seq: 100, flags: SYN | FIN });
  const out = r.take();
  assert.equal(out[0].tcp!.flags, SYN | ACK);
  assert.equal(out[0].tcp!.ack, 101);
});

test('SYN-SENT: rcv SYN+FIN with dropSynFin -> dropped, stays SYN-SENT', () => {
  const r = raw({ dropSynFin: true });
  const s = r.host.sockets;
  const fd = s.socket(4);
  try {
    s.connect(fd, { addr: P, port: 80 });
  } catch {
    // EINPROGRESS
  }
  const syn = r.take()[0].tcp!;
  r.inject(P, M, { srcPort: 80, dstPort: syn.srcPort, seq: 500, ack: (syn.seq + 1) >>> 0, flags: SYN | FIN | ACK });
  assert.equal(r.take().length, 0);
  assert.equal(r.host.connectionTable()[0].state, 'SYN-SENT');
  assert.equal(r.host.counters().drops['tcp:syn-sent-syn-fin'], 1);
});

test('LISTEN close with a SYN-RECEIVED child -> child discarded without a RST; its ACK then draws a RST', () => {
  const { r, s, l } = listening(false);
  r.inject(P, M, { srcPort: 999, dstPort: 80, seq: 100, flags: SYN });
  const iss = r.take()[0].tcp!.seq;
  s.close(l);
  assert.equal(r.take().length, 0);
  assert.equal(r.host.connectionTable().length, 0);
  r.inject(P, M, { srcPort: 999, dstPort: 80, seq: 101, ack: (iss + 1) >>> 0, flags: ACK });
  const out = r.take();
  assert.equal(out.length, 1);
  assert.equal(out[0].tcp!.flags, RST);
});
