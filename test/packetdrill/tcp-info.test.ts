import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runScriptText, formatResult } from '../../src/tools/packetdrill/run.js';
import { checkPython, evalPython } from '../../src/tools/packetdrill/python.js';

// tcp_info fields read from the connection's STATUS (ConnStatus): tcpi_ca_state,
// tcpi_snd_ssthresh, tcpi_rcv_mss, tcpi_last_data_recv. Each script asserts a value that changes
// during the script, so a field stuck at one value (or mapped wrongly) fails.

// RACK-TLP and PRR off: these scripts walk through RFC 6675 / RTO recovery step by step (a TLP probe,
// RACK's reordering timer or PRR's pacing would change the packets); under test is the tcp_info mapping.
function run(lines: string[]) {
  return runScriptText(lines.join('\n') + '\n', 'case.pkt', { tcp: { rack: false, prr: false } });
}

// SACK loss recovery: Open -> Disorder (one SACK) -> Recovery (RFC 6675 IsLost) -> Open once
// everything up to `recover` is acknowledged; ssthresh infinite until the loss, then 7 segments
// (CUBIC: 0.7 of a 10-segment window).
const RECOVERY = [
  '--tolerance_usecs=10000',
  '0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3',
  '+0 setsockopt(3, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0',
  '+0 bind(3, ..., ...) = 0',
  '+0 listen(3, 1) = 0',
  '+0 < S 0:0(0) win 32792 <mss 1000,sackOK,nop,nop,nop,wscale 7>',
  '+0 > S. 0:0(0) ack 1 <mss 1460,nop,nop,sackOK,nop,wscale 8>',
  '+.1 < . 1:1(0) ack 1 win 257',
  '+0 accept(3, ..., ...) = 4',
  '+0 %{ assert tcpi_ca_state == TCP_CA_Open, tcpi_ca_state }%',
  '+0 %{ assert tcpi_snd_ssthresh == TCP_INFINITE_SSTHRESH, tcpi_snd_ssthresh }%',
  '+0 write(4, ..., 10000) = 10000',
  '+0 > P. 1:10001(10000) ack 1',
  '+.1 < . 1:1(0) ack 1 win 257 <sack 2001:3001,nop,nop>',
  '+0 %{ assert tcpi_ca_state == TCP_CA_Disorder, tcpi_ca_state }%',
  '+0 < . 1:1(0) ack 1 win 257 <sack 2001:4001,nop,nop>',
  '+0 < . 1:1(0) ack 1 win 257 <sack 2001:5001,nop,nop>',
  '+0 > . 1:1001(1000) ack 1',
  '+0 > . 1001:2001(1000) ack 1',
  '+0 %{ assert tcpi_ca_state == TCP_CA_Recovery, tcpi_ca_state }%',
  '+0 %{ assert tcpi_snd_ssthresh == 7, tcpi_snd_ssthresh }%',
  '+0 < . 1:1(0) ack 5001 win 257',
  '+0 %{ assert tcpi_ca_state == TCP_CA_Recovery, tcpi_ca_state }%',
  '+0 < . 1:1(0) ack 10001 win 257',
  '+0 %{ assert tcpi_ca_state == TCP_CA_Open, tcpi_ca_state }%',
  '+0 %{ assert tcpi_snd_ssthresh == 7, tcpi_snd_ssthresh }%',
];

// tcpi_last_data_recv counts from the end of the handshake until data arrives, then from the
// data; tcpi_rcv_mss starts at the send MSS and grows to the largest segment received; an RTO
// puts the connection in Loss until what was outstanding at the timeout is acknowledged.
const LOSS = [
  '--tolerance_usecs=10000',
  '0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3',
  '+0 setsockopt(3, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0',
  '+0 bind(3, ..., ...) = 0',
  '+0 listen(3, 1) = 0',
  '+0 < S 0:0(0) win 32792 <mss 1000,sackOK,nop,nop,nop,wscale 7>',
  '+0 > S. 0:0(0) ack 1 <mss 1460,nop,nop,sackOK,nop,wscale 8>',
  '+.1 < . 1:1(0) ack 1 win 257',
  '+0 accept(3, ..., ...) = 4',
  '+0 %{ assert tcpi_rcv_mss == 1000, tcpi_rcv_mss }%',
  '+0 %{ assert 0 <= tcpi_last_data_recv <= 0, tcpi_last_data_recv }%',
  '+.5 %{ assert 500 <= tcpi_last_data_recv <= 500, tcpi_last_data_recv }%',
  '+0 < P. 1:1401(1400) ack 1 win 257',
  '+.04 > . 1:1(0) ack 1401',
  '+.16 %{ assert tcpi_last_data_recv == 200, tcpi_last_data_recv }%',
  '+0 %{ assert tcpi_rcv_mss == 1400, tcpi_rcv_mss }%',
  '+0 write(4, ..., 4000) = 4000',
  '+0 > P. 1:4001(4000) ack 1401',
  '+.3 > . 1:1001(1000) ack 1401',
  '+0 %{ assert tcpi_ca_state == TCP_CA_Loss, tcpi_ca_state }%',
  '+0 %{ assert tcpi_snd_ssthresh == 7, tcpi_snd_ssthresh }%',
  '+.1 < . 1401:1401(0) ack 1001 win 257',
  '+0 > P. 1001:3001(2000) ack 1401',
  '+0 %{ assert tcpi_ca_state == TCP_CA_Loss, tcpi_ca_state }%',
  '+0 < . 1401:1401(0) ack 4001 win 257',
  '+0 %{ assert tcpi_ca_state == TCP_CA_Open, tcpi_ca_state }%',
];

test('tcp_info: tcpi_ca_state and tcpi_snd_ssthresh through SACK recovery', () => {
  const r = run(RECOVERY);
  assert.equal(r.verdict, 'PASS', formatResult(r));
});

test('tcp_info: tcpi_last_data_recv, tcpi_rcv_mss, and Loss after a timeout', () => {
  const r = run(LOSS);
  assert.equal(r.verdict, 'PASS', formatResult(r));
});

test('tcp_info: a wrong tcpi_ca_state or tcpi_snd_ssthresh fails the script', () => {
  for (const [from, to] of [
    ['tcpi_ca_state == TCP_CA_Disorder', 'tcpi_ca_state == TCP_CA_Open'],
    ['tcpi_ca_state == TCP_CA_Recovery, tcpi_ca_state }%', 'tcpi_ca_state == TCP_CA_Disorder }%'],
    ['tcpi_snd_ssthresh == TCP_INFINITE_SSTHRESH', 'tcpi_snd_ssthresh == 10'],
  ]) {
    const lines = RECOVERY.map((l) => l.replace(from, to));
    assert.notDeepEqual(lines, RECOVERY);
    assert.equal(run(lines).verdict, 'FAIL', `${from} -> ${to}`);
  }
  for (const [from, to] of [
    ['tcpi_ca_state == TCP_CA_Loss, tcpi_ca_state }%', 'tcpi_ca_state == TCP_CA_Open }%'],
    ['tcpi_last_data_recv == 200', 'tcpi_last_data_recv == 700'],
    ['tcpi_rcv_mss == 1400', 'tcpi_rcv_mss == 1000'],
  ]) {
    const lines = LOSS.map((l) => l.replace(from, to));
    assert.notDeepEqual(lines, LOSS);
    assert.equal(run(lines).verdict, 'FAIL', `${from} -> ${to}`);
  }
});

// tcpi_options (Linux TCPI_OPT_*): the options negotiated in the handshake, ECN (RFC 3168
// 6.1.1), and ECN_SEEN once an ECT- or CE-marked data segment has arrived.
test('tcp_info: ESTABLISHED (ECN) -> tcpi_options has SACK, WSCALE and ECN; ECT data arrives -> ECN_SEEN too', () => {
  const r = run([
    '0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3',
    '+0 setsockopt(3, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0',
    '+0 bind(3, ..., ...) = 0',
    '+0 listen(3, 1) = 0',
    '+0 < SEW 0:0(0) win 32792 <mss 1000,sackOK,nop,nop,nop,wscale 7>',
    '+0 > SE. 0:0(0) ack 1 <mss 1460,nop,nop,sackOK,nop,wscale 8>',
    '+.1 < . 1:1(0) ack 1 win 257',
    '+0 accept(3, ..., ...) = 4',
    '+0 %{ assert tcpi_options == (TCPI_OPT_SACK | TCPI_OPT_WSCALE | TCPI_OPT_ECN), tcpi_options }%',
    '+0 < [ect0] P. 1:101(100) ack 1 win 257',
    '+.04 > . 1:1(0) ack 101', // delayed ACK
    '+0 %{ assert tcpi_options == TCPI_OPT_SACK | TCPI_OPT_WSCALE | TCPI_OPT_ECN | TCPI_OPT_ECN_SEEN }%',
  ]);
  assert.equal(r.verdict, 'PASS', formatResult(r));
});

test('tcp_info: tcpi_options without ECN or options -> 0; TIMESTAMPS; FreeBSD never sets 0x10 (TCPI_OPT_TOE)', () => {
  const st = (o: object) => ({ state: 'ESTABLISHED', ...o }) as unknown as Parameters<typeof evalPython>[1];
  assert.equal(evalPython('assert tcpi_options == 0', st({}), { mss: 1460 }), null);
  assert.equal(evalPython('assert tcpi_options == (TCPI_OPT_TIMESTAMPS)', st({ timestamps: true }), { mss: 1460 }), null);
  const seen = st({ ecn: true, ecnSeen: true });
  assert.equal(evalPython('assert tcpi_options == 24', seen, { mss: 1460 }), null);
  assert.equal(evalPython('assert tcpi_options == TCPI_OPT_ECN', seen, { mss: 1460, freebsd: true }), null);
  assert.match(evalPython('assert tcpi_options == (TCPI_OPT_SACK | TCPI_OPT_ECN)', seen, { mss: 1460 }) ?? '', /tcpi_options=24/);
  assert.equal(checkPython('assert tcpi_options == (TCPI_OPT_SACK | TCPI_OPT_BOGUS)'), 'python constant TCPI_OPT_BOGUS');
});

test('tcp_info: field mapping (Linux units and constants)', () => {
  const base = { state: 'ESTABLISHED', cwnd: 14_000, rto: 200, srtt: 10, sndMss: 1000, rcvMss: 1200, ssthresh: 0x7fffffff, caState: 'open' };
  const st = (o: object) => ({ ...base, ...o }) as unknown as Parameters<typeof evalPython>[1];
  const x = { mss: 1460, now: 5000, establishedAt: 1000 };
  assert.equal(evalPython('assert tcpi_snd_ssthresh == TCP_INFINITE_SSTHRESH', st({}), x), null);
  assert.equal(evalPython('assert tcpi_snd_ssthresh == 7', st({ ssthresh: 7999 }), x), null);
  for (const [ca, name] of [['open', 'TCP_CA_Open'], ['disorder', 'TCP_CA_Disorder'], ['recovery', 'TCP_CA_Recovery'], ['loss', 'TCP_CA_Loss']]) {
    assert.equal(evalPython(`assert tcpi_ca_state == ${name}`, st({ caState: ca }), x), null, name);
  }
  assert.match(evalPython('assert tcpi_ca_state == 3', st({ caState: 'loss' }), x) ?? '', /tcpi_ca_state=4/);
  assert.equal(evalPython('assert tcpi_rcv_mss == 1200', st({}), x), null);
  assert.equal(evalPython('assert tcpi_last_data_recv == 4000', st({}), x), null);
  assert.equal(evalPython('assert tcpi_last_data_recv == 1500', st({ lastDataRecv: 3500 }), x), null);
  assert.equal(checkPython('assert tcpi_sndbuf_limited == 0'), "tcp_info field tcpi_sndbuf_limited (no counterpart in the stack's status)");
});
