// Tests for src/trace/format.ts (the CLI's trace output).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatLadder, formatJsonLines } from '../../src/trace/format.js';
import type { TraceEvent, SegmentTrace } from '../../src/trace/trace.js';

const C = '10.0.0.1:40000';
const S = '10.0.0.2:80';
const seg = (t: number, host: string, dir: 'in' | 'out', flags: string, seq: number, ack: number, len = 0, win = 65535): SegmentTrace => ({
  type: 'segment', t, host, dir, src: host === 'client' === (dir === 'out') ? C : S, dst: host === 'client' === (dir === 'out') ? S : C, flags, seq, ack, len, win,
});

const handshake: TraceEvent[] = [
  { type: 'state', t: 0, host: 'server', from: 'CLOSED', to: 'LISTEN', cause: 'listen' },
  { type: 'state', t: 0, host: 'client', from: 'CLOSED', to: 'SYN-SENT', cause: 'open' },
  seg(0, 'client', 'out', 'S', 100, 0),
  { type: 'link', t: 0, host: 'client', action: 'lost', flags: 'S', seq: 100, ack: 0, len: 0, src: C, dst: S },
  { type: 'retransmit', t: 1000, host: 'client', seq: 100, len: 0, cause: 'rto' },
  seg(1000, 'client', 'out', 'S', 100, 0),
  seg(1005, 'server', 'in', 'S', 100, 0),
  { type: 'state', t: 1005, host: 'server', from: 'LISTEN', to: 'SYN-RECEIVED', cause: 'SYN' },
  seg(1005, 'server', 'out', 'S.', 300, 101),
  seg(1010, 'client', 'in', 'S.', 300, 101),
  { type: 'state', t: 1010, host: 'client', from: 'SYN-SENT', to: 'ESTABLISHED', cause: 'SYN-ACK' },
  seg(1010, 'client', 'out', '.', 101, 301, 0, 502),
  { type: 'drop', t: 1012, host: 'server', layer: 'tcp', reason: 'bad checksum' },
  { type: 'note', t: 1013, host: 'elsewhere', text: 'not drawn' },
];

test('formatLadder: one arrow per segment, drawn from the sender, with flags seq ack len win', () => {
  const out = formatLadder(handshake, { left: 'client', right: 'server', color: false });
  const lines = out.trimEnd().split('\n');
  assert.match(lines[0], /client\s+server$/);
  const arrows = lines.filter((l) => /->\||\|<-|x\s*\|/.test(l));
  assert.equal(arrows.length, 4, out);
  // Lost SYN: stops short with an x, marked lost.
  assert.match(arrows[0], /\|-+ S seq 100 len 0 win 65535 \(lost\) -+x\s+\|/);
  assert.match(arrows[1], /\|-+ S seq 100 len 0 win 65535 -+>\|/);
  assert.match(arrows[2], /\|<-+ S\. seq 300 ack 101 len 0 win 65535 -+\|/);
  assert.match(arrows[3], /\|-+ \. seq 101 ack 301 len 0 win 502 -+>\|/);
  assert.ok(!out.includes('not drawn'));
  assert.ok(!out.includes('\x1b['));
});

test('formatLadder: each side state shown beside every segment; state changes and drops marked', () => {
  const out = formatLadder(handshake, { left: 'client', right: 'server', color: false });
  const lines = out.split('\n');
  const synAck = lines.find((l) => l.includes('S. seq 300'))!;
  assert.match(synAck, /^\s+1005 SYN-SENT\s+\|.*\| SYN-RECEIVED$/);
  const firstSyn = lines.find((l) => l.includes('(lost)'))!;
  assert.match(firstSyn, /SYN-SENT .*\| LISTEN$/);
  assert.ok(lines.some((l) => /\|\s+LISTEN -> SYN-RECEIVED \(SYN\) \| SYN-RECEIVED$/.test(l)));
  assert.ok(lines.some((l) => /SYN-SENT -> ESTABLISHED/.test(l) && /^\s+1010 ESTABLISHED/.test(l)));
  assert.ok(lines.some((l) => /x drop \(tcp\): bad checksum \| SYN-RECEIVED$/.test(l)));
  assert.ok(lines.some((l) => /retransmit seq 100 len 0 \(rto\)/.test(l)));
  // All ladder rows line up: the right rail is at the same column.
  const rails = lines.filter((l) => l.includes('|')).map((l) => l.lastIndexOf('|'));
  assert.equal(new Set(rails).size, 1);
});

test('formatLadder: a one-sided trace draws inbound segments; colour only when asked', () => {
  const oneSided: TraceEvent[] = [seg(0, 'server', 'in', 'S', 1, 0), seg(0, 'server', 'out', 'S.', 9, 2)];
  const out = formatLadder(oneSided, { left: 'script', right: 'server', color: true });
  assert.ok(out.includes('\x1b['));
  const plain = out.replace(/\x1b\[[0-9;]*m/g, '');
  assert.match(plain, /-+ S seq 1 len 0 win 65535 -+>\|/);
  assert.match(plain, /\|<-+ S\. seq 9 ack 2 len 0 win 65535 -+\|/);
});

test('formatLadder: a lost packet with no matching segment event is still drawn lost', () => {
  const ev: TraceEvent[] = [{ type: 'link', t: 3, host: 'server', action: 'lost', summary: '60 bytes [link down]' }];
  const out = formatLadder(ev, { left: 'client', right: 'server', color: false });
  assert.match(out, /\|\s+x-+ 60 bytes \[link down\] -+\|/);
});

test('formatJsonLines: one JSON object per line, round-trips', () => {
  const out = formatJsonLines(handshake);
  const lines = out.split('\n');
  assert.equal(lines.pop(), '');
  assert.equal(lines.length, handshake.length);
  assert.deepEqual(lines.map((l) => JSON.parse(l)), handshake);
  assert.equal(formatJsonLines([]), '');
});

test('formatLadder abbreviate: first and last rows, state changes and user calls between, one elision line per run', () => {
  const ev: TraceEvent[] = [];
  ev.push({ type: 'user', t: 0, host: 'client', call: 'connect', detail: '10.0.0.2:80' });
  for (let i = 0; i < 100; i++) ev.push({ type: 'data', t: i, host: 'client', dir: 'write', bytes: i });
  ev.push({ type: 'state', t: 100, host: 'client', from: 'ESTABLISHED', to: 'FIN-WAIT-1', cause: 'user CLOSE' });
  for (let i = 0; i < 100; i++) ev.push({ type: 'data', t: 200 + i, host: 'client', dir: 'write', bytes: 1000 + i });
  const full = formatLadder(ev, { left: 'client', right: 'server' });
  const short = formatLadder(ev, { left: 'client', right: 'server', abbreviate: { head: 5, tail: 5, hint: ' (use --full for all)' } });
  const fl = full.trimEnd().split('\n');
  const sl = short.trimEnd().split('\n');
  assert.equal(fl.length, 2 + 202);
  assert.deepEqual(sl.slice(0, 7), fl.slice(0, 7), 'header and the first 5 rows as they are');
  assert.deepEqual(sl.slice(-5), fl.slice(-5), 'the last 5 rows as they are');
  const elided = sl.filter((l) => /… \d+ events elided \(use --full for all\) …/.test(l));
  assert.equal(elided.length, 2, short);
  assert.match(elided[0], /… 96 events elided/); // rows 6..101 (data 4..99) before the state change
  assert.match(elided[1], /… 95 events elided/);
  assert.ok(sl.some((l) => l.includes('ESTABLISHED -> FIN-WAIT-1')), 'the state change between is kept');
  assert.equal(sl.length, 2 + 5 + 1 + 1 + 1 + 5);
  // Short ladders are untouched.
  assert.equal(formatLadder(ev.slice(0, 8), { left: 'client', right: 'server', abbreviate: { head: 5, tail: 5 } }), formatLadder(ev.slice(0, 8), { left: 'client', right: 'server' }));
});
