// The lab's Figure 5 model (lab/src/diagram.ts): arcs as the RFC draws them, and which arc a
// traced transition took.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ARCS, NODES, arcFor, nodeFor } from '../../lab/src/diagram.js';
import { ARC_TEXT, STATE_TEXT } from '../../lab/src/explain.js';
import { TCP_STATES } from '../../src/tcp/types.js';

test('Figure 5: eleven states, CLOSED drawn twice, twenty arcs plus note 2, each explained', () => {
  assert.deepEqual(new Set(NODES.map((n) => n.state)), new Set(TCP_STATES));
  assert.equal(NODES.filter((n) => n.state === 'CLOSED').length, 2);
  assert.equal(ARCS.filter((a) => !a.note).length, 20);
  assert.equal(new Set(ARCS.map((a) => `${a.from}>${a.to}`)).size, ARCS.length, 'one arc per pair of states');
  for (const a of ARCS) assert.ok(ARC_TEXT[a.id]?.length > 40, `explanation for ${a.id}`);
  for (const s of TCP_STATES) assert.ok(STATE_TEXT[s].split('. ').length >= 2, `two sentences or more for ${s}`);
  const label = (from: string, to: string) => {
    const a = ARCS.find((x) => x.from === from && x.to === to)!;
    return `${a.event} / ${a.action}`;
  };
  assert.equal(label('LISTEN', 'SYN-RECEIVED'), 'rcv SYN / snd SYN,ACK');
  assert.equal(label('SYN-SENT', 'ESTABLISHED'), 'rcv SYN,ACK / snd ACK');
  assert.equal(label('TIME-WAIT', 'CLOSED'), 'Timeout=2MSL / delete TCB');
  assert.equal(label('FIN-WAIT-1', 'CLOSING'), 'rcv FIN / snd ACK');
});

test('arcFor: a transition takes the drawn arc only when its cause is the drawn event', () => {
  assert.equal(arcFor('SYN-SENT', 'CLOSED', 'CLOSE')?.id, 'synsent-closed');
  assert.equal(arcFor('SYN-SENT', 'CLOSED', 'rcv RST / connection refused'), undefined);
  assert.equal(arcFor('SYN-SENT', 'CLOSED', 'ETIMEDOUT: SYN retries exhausted'), undefined);
  assert.equal(arcFor('SYN-RECEIVED', 'LISTEN', 'rcv RST')?.id, 'synrcvd-listen');
  assert.equal(arcFor('TIME-WAIT', 'CLOSED', 'Timeout=2MSL / delete TCB')?.id, 'timewait-closed');
  assert.equal(arcFor('TIME-WAIT', 'CLOSED', 'rcv RST'), undefined);
  assert.equal(arcFor('LAST-ACK', 'CLOSED', 'rcv ACK of FIN')?.id, 'lastack-closed');
  assert.equal(arcFor('ESTABLISHED', 'CLOSED', 'rcv RST'), undefined);
  assert.equal(arcFor('FIN-WAIT-1', 'TIME-WAIT', 'rcv FIN,ACK of FIN')?.id, 'finwait1-timewait');
});

test('nodeFor: the bottom CLOSED only after TIME-WAIT or LAST-ACK', () => {
  assert.equal(nodeFor('CLOSED', null), 'CLOSED');
  assert.equal(nodeFor('CLOSED', { id: 'timewait-closed', from: 'TIME-WAIT', to: 'CLOSED', cause: '' }), 'CLOSED-END');
  assert.equal(nodeFor('CLOSED', { id: 'lastack-closed', from: 'LAST-ACK', to: 'CLOSED', cause: '' }), 'CLOSED-END');
  assert.equal(nodeFor('CLOSED', { id: 'x-ESTABLISHED-CLOSED', from: 'ESTABLISHED', to: 'CLOSED', cause: 'rcv RST' }), 'CLOSED');
  assert.equal(nodeFor('LISTEN', null), 'LISTEN');
});
