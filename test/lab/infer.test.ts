// The lab's state inference (lab/src/infer.ts): from segments alone, each side's Figure 5 path.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { inferStates, segmentsToTrace, type InferItem, type InferSegment } from '../../lab/src/infer.js';
import { runFromCapture, runFromFile, parseTraceText } from '../../lab/src/load.js';
import { traceToPcapng } from '../../lab/src/pcapng-export.js';
import { readPcapng, isCaptureError } from '../../src/link/pcapng.js';
import { describePacket } from '../../src/wire/packet.js';
import { readFileSync } from 'node:fs';

const C = '10.0.0.1:40000';
const S = '10.0.0.2:80';

/** A tiny scripted exchange: seq/ack computed like a real pair of endpoints would. */
function script(steps: Array<[from: 'c' | 's', flags: string, opts?: { len?: number; lost?: boolean; seq?: number; ack?: number }]>, iss = { c: 1000, s: 5000 }): InferSegment[] {
  const nxt = { c: iss.c, s: iss.s };
  const rcv = { c: 0, s: 0 };
  let t = 0;
  return steps.map(([who, flags, o = {}]) => {
    const peer = who === 'c' ? 's' : 'c';
    const len = o.len ?? 0;
    const syn = flags.includes('S');
    const fin = flags.includes('F');
    const seq = o.seq ?? nxt[who];
    if (o.seq === undefined) nxt[who] = (seq + len + (syn ? 1 : 0) + (fin ? 1 : 0)) >>> 0;
    const ack = o.ack ?? (flags.includes('.') ? rcv[who] : 0);
    if (!o.lost) rcv[peer] = (seq + len + (syn ? 1 : 0) + (fin ? 1 : 0)) >>> 0;
    t += 10;
    return { t, src: who === 'c' ? C : S, dst: who === 'c' ? S : C, flags, seq: seq >>> 0, ack: ack >>> 0, len, lost: o.lost };
  });
}

const path = (items: InferItem[], host: string, opts = {}): string[] =>
  inferStates(items, opts)
    .transitions.filter((t) => t.host === host)
    .map((t) => t.to);

const HS: Array<[ 'c' | 's', string ]> = [['c', 'S'], ['s', 'S.'], ['c', '.']];

test('handshake: client CLOSED -> SYN-SENT -> ESTABLISHED, server LISTEN -> SYN-RECEIVED -> ESTABLISHED', () => {
  const segs = script(HS);
  const r = inferStates(segs);
  assert.deepEqual(r.endpoints, [C, S]);
  assert.deepEqual(path(segs, 'client'), ['SYN-SENT', 'ESTABLISHED']);
  assert.deepEqual(path(segs, 'server'), ['LISTEN', 'SYN-RECEIVED', 'ESTABLISHED']);
  const synAck = r.transitions.find((t) => t.host === 'client' && t.to === 'ESTABLISHED');
  assert.equal(synAck?.cause, 'rcv SYN,ACK / snd ACK');
});

test('active close: FIN-WAIT-1 -> FIN-WAIT-2 -> TIME-WAIT -> CLOSED; peer CLOSE-WAIT -> LAST-ACK -> CLOSED', () => {
  const segs = script([...HS, ['c', 'F.'], ['s', '.'], ['s', 'F.'], ['c', '.']]);
  assert.deepEqual(path(segs, 'client'), ['SYN-SENT', 'ESTABLISHED', 'FIN-WAIT-1', 'FIN-WAIT-2', 'TIME-WAIT', 'CLOSED']);
  assert.deepEqual(path(segs, 'server'), ['LISTEN', 'SYN-RECEIVED', 'ESTABLISHED', 'CLOSE-WAIT', 'LAST-ACK', 'CLOSED']);
  // Without the assumed 2MSL expiry the active closer is left in TIME-WAIT.
  assert.equal(inferStates(segs, { closeTimeWait: false }).final.client, 'TIME-WAIT');
});

test('FIN-WAIT-1: FIN,ACK of our FIN -> TIME-WAIT directly (Figure 5 note 2)', () => {
  const segs = script([...HS, ['c', 'F.'], ['s', 'F.'], ['c', '.']]);
  assert.deepEqual(path(segs, 'client'), ['SYN-SENT', 'ESTABLISHED', 'FIN-WAIT-1', 'TIME-WAIT', 'CLOSED']);
  assert.deepEqual(path(segs, 'server'), ['LISTEN', 'SYN-RECEIVED', 'ESTABLISHED', 'CLOSE-WAIT', 'LAST-ACK', 'CLOSED']);
});

test('simultaneous close: both FIN-WAIT-1 -> CLOSING -> TIME-WAIT -> CLOSED, even from one capture point', () => {
  // Both FINs cross: each FIN's ACK field does not cover the other's FIN.
  const base = script(HS);
  const c = { seq: 1001, ack: 5001 };
  const s = { seq: 5001, ack: 1001 };
  const segs: InferSegment[] = [
    ...base,
    { t: 40, src: C, dst: S, flags: 'F.', seq: c.seq, ack: c.ack, len: 0 },
    { t: 41, src: S, dst: C, flags: 'F.', seq: s.seq, ack: s.ack, len: 0 },
    { t: 50, src: C, dst: S, flags: '.', seq: c.seq + 1, ack: s.seq + 1, len: 0 },
    { t: 51, src: S, dst: C, flags: '.', seq: s.seq + 1, ack: c.seq + 1, len: 0 },
  ];
  for (const host of ['client', 'server']) {
    const p = path(segs, host);
    assert.deepEqual(p.slice(p.indexOf('FIN-WAIT-1')), ['FIN-WAIT-1', 'CLOSING', 'TIME-WAIT', 'CLOSED'], host);
  }
});

test('simultaneous open: both SYN-SENT -> SYN-RECEIVED -> ESTABLISHED', () => {
  const segs: InferSegment[] = [
    { t: 0, src: C, dst: S, flags: 'S', seq: 1000, ack: 0, len: 0 },
    { t: 1, src: S, dst: C, flags: 'S', seq: 5000, ack: 0, len: 0 },
    { t: 10, src: C, dst: S, flags: 'S.', seq: 1000, ack: 5001, len: 0 },
    { t: 11, src: S, dst: C, flags: 'S.', seq: 5000, ack: 1001, len: 0 },
  ];
  assert.deepEqual(path(segs, 'client'), ['SYN-SENT', 'SYN-RECEIVED', 'ESTABLISHED']);
  assert.deepEqual(path(segs, 'server'), ['SYN-SENT', 'SYN-RECEIVED', 'ESTABLISHED']);
});

test('SYN-SENT: RST,ACK of our SYN -> CLOSED (refused); the server never leaves CLOSED', () => {
  const segs = script([['c', 'S'], ['s', 'R.', { seq: 0 }]]);
  assert.deepEqual(path(segs, 'client'), ['SYN-SENT', 'CLOSED']);
  assert.deepEqual(path(segs, 'server'), []);
  assert.match(inferStates(segs).transitions[1].cause, /RST/);
});

test('SYN-SENT: RST that does not ACK our SYN is ignored', () => {
  const segs: InferSegment[] = [
    { t: 0, src: C, dst: S, flags: 'S', seq: 1000, ack: 0, len: 0 },
    { t: 1, src: S, dst: C, flags: 'R.', seq: 0, ack: 77, len: 0 },
  ];
  assert.deepEqual(path(segs, 'client'), ['SYN-SENT']);
});

test('SYN-RECEIVED (from LISTEN): rcv RST -> LISTEN (note 1)', () => {
  const segs = script([['c', 'S'], ['s', 'S.'], ['c', 'R', { ack: 0 }]]);
  assert.deepEqual(path(segs, 'server'), ['LISTEN', 'SYN-RECEIVED', 'LISTEN']);
});

test('ESTABLISHED: abort sends RST -> CLOSED on both sides; out-of-window RST is ignored', () => {
  const segs = script([...HS, ['c', 'P.', { len: 100 }], ['s', '.'], ['c', 'R.']]);
  assert.deepEqual(path(segs, 'client').slice(-1), ['CLOSED']);
  assert.deepEqual(path(segs, 'server').slice(-1), ['CLOSED']);
  const blind = script([...HS, ['c', 'R.', { seq: 999_999 }]]);
  assert.equal(inferStates(blind).final.server, 'ESTABLISHED'); // RFC 5961: challenge ACK, no reset
});

test('lost final ACK: the retransmitted FIN meets TIME-WAIT; LAST-ACK closes on the second ACK', () => {
  const segs = script([...HS, ['c', 'F.'], ['s', '.'], ['s', 'F.'], ['c', '.', { lost: true }], ['s', 'F.', { seq: 5001 }], ['c', '.']]);
  const r = inferStates(segs, { closeTimeWait: false });
  assert.deepEqual(path(segs, 'server', { closeTimeWait: false }), ['LISTEN', 'SYN-RECEIVED', 'ESTABLISHED', 'CLOSE-WAIT', 'LAST-ACK', 'CLOSED']);
  const closed = r.transitions.find((t) => t.host === 'server' && t.to === 'CLOSED')!;
  assert.equal(closed.item, segs.length - 1, 'server closes only on the ACK that got through');
  assert.equal(r.final.client, 'TIME-WAIT');
});

test('a FIN after a gap counts only once the gap is filled', () => {
  // Server sends 100 bytes (lost), then FIN; retransmits the data later.
  const segs: InferSegment[] = [
    ...script(HS),
    { t: 40, src: S, dst: C, flags: 'P.', seq: 5001, ack: 1001, len: 100, lost: true },
    { t: 41, src: S, dst: C, flags: 'F.', seq: 5101, ack: 1001, len: 0 },
    { t: 50, src: C, dst: S, flags: '.', seq: 1001, ack: 5001, len: 0 }, // dup ACK: FIN not in sequence yet
    { t: 60, src: S, dst: C, flags: 'P.', seq: 5001, ack: 1001, len: 100 },
    { t: 70, src: C, dst: S, flags: '.', seq: 1001, ack: 5102, len: 0 },
  ];
  const r = inferStates(segs);
  const cw = r.transitions.find((t) => t.host === 'client' && t.to === 'CLOSE-WAIT');
  assert.ok(cw, 'client reaches CLOSE-WAIT');
  assert.equal(cw.item, 6, 'when the retransmitted data fills the gap');
});

test('sequence numbers wrap around 2^32', () => {
  const segs = script([...HS, ['c', 'P.', { len: 10 }], ['s', '.'], ['c', 'F.'], ['s', 'F.'], ['c', '.']], { c: 0xfffffff8, s: 0xfffffffe });
  assert.deepEqual(path(segs, 'client'), ['SYN-SENT', 'ESTABLISHED', 'FIN-WAIT-1', 'TIME-WAIT', 'CLOSED']);
  assert.deepEqual(path(segs, 'server').slice(-3), ['CLOSE-WAIT', 'LAST-ACK', 'CLOSED']);
});

test('a capture starting mid-connection assumes ESTABLISHED on both sides', () => {
  const segs: InferSegment[] = [
    { t: 0, src: C, dst: S, flags: 'P.', seq: 100, ack: 900, len: 10 },
    { t: 1, src: S, dst: C, flags: 'F.', seq: 900, ack: 110, len: 0 },
  ];
  const r = inferStates(segs);
  assert.equal(r.transitions[0].to, 'ESTABLISHED');
  assert.equal(r.final.client, 'CLOSE-WAIT');
  assert.equal(r.final.server, 'FIN-WAIT-1');
});

test('forced transitions (user calls without segments): LISTEN -> CLOSED', () => {
  const items: InferItem[] = [
    { kind: 'force', t: 0, host: 'server', to: 'LISTEN', cause: 'passive OPEN / create TCB' },
    { kind: 'force', t: 5, host: 'server', to: 'CLOSED', cause: 'CLOSE / delete TCB' },
  ];
  assert.deepEqual(path(items, 'server'), ['LISTEN', 'CLOSED']);
});

test('segmentsToTrace: out/in pairs, lost segments as link events, states around them, times non-decreasing', () => {
  const segs = script([['c', 'S', { lost: true }], ['c', 'S', { seq: 1000 }], ['s', 'S.'], ['c', '.']]);
  const { events } = segmentsToTrace(segs, { inDelay: 5 });
  assert.equal(events.filter((e) => e.type === 'segment' && e.dir === 'out').length, 4);
  assert.equal(events.filter((e) => e.type === 'segment' && e.dir === 'in').length, 3);
  const lost = events.filter((e) => e.type === 'link');
  assert.equal(lost.length, 1);
  assert.equal(lost[0].type === 'link' && lost[0].action, 'lost');
  // SYN-SENT comes before the SYN goes out; SYN-RECEIVED after the SYN arrives.
  const iSynSent = events.findIndex((e) => e.type === 'state' && e.to === 'SYN-SENT');
  const iFirstOut = events.findIndex((e) => e.type === 'segment');
  assert.ok(iSynSent < iFirstOut);
  const iSynRcvd = events.findIndex((e) => e.type === 'state' && e.to === 'SYN-RECEIVED');
  const iSynIn = events.findIndex((e) => e.type === 'segment' && e.dir === 'in');
  assert.ok(iSynIn < iSynRcvd);
  for (let i = 1; i < events.length; i++) assert.ok(events[i].t >= events[i - 1].t);
});

test('pcapng round trip: a trace written as pcapng reads back to the same segments and states', () => {
  const segs = script([...HS, ['c', 'P.', { len: 20 }], ['s', '.'], ['c', 'F.'], ['s', '.'], ['s', 'F.'], ['c', '.']]);
  const { events } = segmentsToTrace(segs);
  const bytes = traceToPcapng(events);
  const pk = readPcapng(bytes);
  assert.ok(!isCaptureError(pk));
  assert.equal(pk.length, segs.length);
  const d = describePacket(pk[3].data)!;
  assert.deepEqual([d.flags, d.seq, d.ack, d.len], [segs[3].flags, segs[3].seq, segs[3].ack, 20]);
  const run = runFromCapture(bytes, 'test');
  const states = (h: string) => run.events.filter((e) => e.type === 'state' && e.host === h).map((e) => (e.type === 'state' ? e.to : ''));
  assert.deepEqual(states('client'), ['SYN-SENT', 'ESTABLISHED', 'FIN-WAIT-1', 'FIN-WAIT-2', 'TIME-WAIT', 'CLOSED']);
  assert.deepEqual(states('server'), ['LISTEN', 'SYN-RECEIVED', 'ESTABLISHED', 'CLOSE-WAIT', 'LAST-ACK', 'CLOSED']);
});

test('JSON lines: trace events load as they are; a trace without states gets them inferred', () => {
  const { events } = segmentsToTrace(script(HS));
  const text = events.map((e) => JSON.stringify(e)).join('\n') + '\nnot json\n{"summary":"x"}\n';
  const parsed = parseTraceText(text);
  assert.equal(parsed.events.length, events.length);
  assert.equal(parsed.skipped, 2);
  const run = runFromFile('t.jsonl', new TextEncoder().encode(text));
  assert.equal(run.events.length, events.length);
  const noStates = events.filter((e) => e.type !== 'state');
  const run2 = runFromFile('t.json', new TextEncoder().encode(JSON.stringify(noStates)));
  assert.ok(run2.events.some((e) => e.type === 'state' && e.host === 'server' && e.to === 'ESTABLISHED'));
  assert.throws(() => runFromFile('empty.jsonl', new TextEncoder().encode('\n')), /no trace events/);
  assert.throws(() => runFromFile('junk.pcap', new Uint8Array(40)), /pcap/);
});

test('a Linux loopback capture (tcpdump, Ethernet link type): active close inferred end to end', () => {
  // test/lab/fixtures/linux-lo-active-close.pcap: node net client writes 5 bytes and ends; the
  // server echoes and ends; captured with `tcpdump -i lo`.
  const bytes = new Uint8Array(readFileSync(new URL('./fixtures/linux-lo-active-close.pcap', import.meta.url)));
  const run = runFromFile('linux-lo-active-close.pcap', bytes);
  const states = (h: string) => run.events.filter((e) => e.type === 'state' && e.host === h).map((e) => (e.type === 'state' ? e.to : ''));
  assert.deepEqual(states('client'), ['SYN-SENT', 'ESTABLISHED', 'FIN-WAIT-1', 'FIN-WAIT-2', 'TIME-WAIT', 'CLOSED']);
  assert.deepEqual(states('server'), ['LISTEN', 'SYN-RECEIVED', 'ESTABLISHED', 'CLOSE-WAIT', 'LAST-ACK', 'CLOSED']);
  const syn = run.events.find((e) => e.type === 'segment');
  assert.ok(syn?.type === 'segment' && syn.options?.includes('mss 65495'), 'options carried into the trace');
  assert.equal(run.connections?.length, 1);
});

test('a capture with two connections: the first with a SYN by default, the other on request', () => {
  const a = segmentsToTrace(script([...HS, ['c', 'F.'], ['s', 'F.'], ['c', '.']])).events;
  const other = script([...HS, ['c', 'R.']]).map((s) => ({ ...s, t: s.t + 1, src: s.src.replace('40000', '40001'), dst: s.dst.replace('40000', '40001') }));
  const b = segmentsToTrace(other).events;
  const merged = [...b, ...a].sort((x, y) => x.t - y.t);
  const bytes = traceToPcapng(merged);
  const first = runFromCapture(bytes, 'two');
  assert.equal(first.connections?.length, 2);
  const second = runFromCapture(bytes, 'two', first.connections!.find((c) => c.key !== first.connection)!.key);
  const last = (r: typeof first, h: string) => r.events.filter((e) => e.type === 'state' && e.host === h).map((e) => (e.type === 'state' ? e.cause : '')).at(-1);
  assert.notEqual(first.connection, second.connection);
  assert.ok([last(first, 'server'), last(second, 'server')].some((c) => /RST/.test(c ?? '')), 'one of them ends with a reset');
  assert.equal(first.pcapng, undefined, 'a multi-connection capture is not handed back whole');
});

test('LAST-ACK: a FIN retransmitted after our ACK of it shows that ACK was lost (capture at the sender)', () => {
  // The capture does not know the final ACK was lost; the retransmitted FIN tells.
  const segs = script([...HS, ['c', 'F.'], ['s', '.'], ['s', 'F.'], ['c', '.'], ['s', 'F.', { seq: 5001 }], ['c', '.']]);
  const r = inferStates(segs, { closeTimeWait: false });
  assert.deepEqual(r.inferredLost, [6]);
  const closed = r.transitions.find((t) => t.host === 'server' && t.to === 'CLOSED')!;
  assert.equal(closed.item, 8, 'the server closes on the ACK of the retransmitted FIN');
  const { events } = segmentsToTrace(segs);
  const lost = events.filter((e) => e.type === 'link' && e.action === 'lost');
  assert.equal(lost.length, 1);
  assert.match(lost[0].type === 'link' ? lost[0].summary ?? '' : '', /inferred/);
});
