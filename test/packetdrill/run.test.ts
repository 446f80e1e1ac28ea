import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runScriptText, formatResult } from '../../src/tools/packetdrill/run.js';

// A passive open, a write, the peer's ACK, then an active close: the shape of most scripts.
const HANDSHAKE = [
  '--tolerance_usecs=10000', // line 1
  '0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3',
  '+0 setsockopt(3, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0',
  '+0 bind(3, ..., ...) = 0',
  '+0 listen(3, 1) = 0',
  '+0 < S 0:0(0) win 32792 <mss 1000,sackOK,nop,nop,nop,wscale 7>', // line 6
  '+0 > S. 0:0(0) ack 1 <mss 1460,nop,nop,sackOK,nop,wscale 8>', // line 7
  '+.1 < . 1:1(0) ack 1 win 257', // line 8
  '+0 accept(3, ..., ...) = 4', // line 9
  '+0 write(4, ..., 1000) = 1000', // line 10
  '+0 > P. 1:1001(1000) ack 1', // line 11
  '+.1 < . 1:1(0) ack 1001 win 257', // line 12
  '+0 close(4) = 0', // line 13
  '+0 > F. 1001:1001(0) ack 1', // line 14
  '+.1 < F. 1:1(0) ack 1002 win 257', // line 15
  '+0 > . 1002:1002(0) ack 2', // line 16
];

function run(lines: string[]) {
  return runScriptText(lines.join('\n') + '\n', 'case.pkt');
}

function replace(lines: string[], lineNo: number, text: string): string[] {
  const out = [...lines];
  out[lineNo - 1] = text;
  return out;
}

test('runner: a correct handshake, data and close script passes', () => {
  const r = run(HANDSHAKE);
  assert.equal(r.verdict, 'PASS', formatResult(r));
  assert.equal(formatResult(r), 'PASS case.pkt');
  assert.ok(r.realMs < 1000, `took ${r.realMs} ms`);
});

test('runner: an active open (non-blocking connect, EINPROGRESS) passes', () => {
  const r = run([
    '0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3',
    '+0 fcntl(3, F_GETFL) = 0x2 (flags O_RDWR)',
    '+0 fcntl(3, F_SETFL, O_RDWR|O_NONBLOCK) = 0',
    '+0 connect(3, ..., ...) = -1 EINPROGRESS (Operation now in progress)',
    '+0 > S 0:0(0) <mss 1460,sackOK,TS val 100 ecr 0,nop,wscale 8>',
    '+.01 < S. 0:0(0) ack 1 win 10000 <mss 1000,sackOK,nop,nop,nop,wscale 8>',
    '+0 > . 1:1(0) ack 1',
    '+0 getsockopt(3, SOL_SOCKET, SO_ERROR, [0], [4]) = 0',
    '+0 read(3, ..., 100) = -1 EAGAIN (Resource temporarily unavailable)',
    '+.01 < P. 1:101(100) ack 1 win 10000',
    '+0 read(3, ..., 1000) = 100',
  ]);
  assert.equal(r.verdict, 'PASS', formatResult(r));
});

test('runner: a blocking read advances virtual time until data arrives', () => {
  const r = run([
    ...HANDSHAKE.slice(0, 9),
    '+0...0.200 read(4, ..., 500) = 500',
    '+.2 < P. 1:501(500) ack 1 win 257',
    '+0 > . 1:1(0) ack 501',
  ]);
  assert.equal(r.verdict, 'PASS', formatResult(r));
});

test('runner: wrong flags fail with the line and expected/got', () => {
  const r = run(replace(HANDSHAKE, 14, '+0 > R. 1001:1001(0) ack 1'));
  assert.equal(r.verdict, 'FAIL');
  assert.equal(r.line, 14);
  assert.match(r.message!, /expected > R\. 1001:1001\(0\) ack 1 got F\. 1001:1001\(0\) ack 1/);
  assert.match(formatResult(r), /^FAIL case\.pkt:14: expected /);
});

test('runner: a wrong ack number fails, in relative numbers', () => {
  const r = run(replace(HANDSHAKE, 16, '+0 > . 1002:1002(0) ack 3'));
  assert.equal(r.verdict, 'FAIL');
  assert.equal(r.line, 16);
  assert.match(r.message!, /ack 2 instead of 3/);
});

test('runner: a missing packet fails naming the line', () => {
  // All data is acknowledged and nobody closes: the FIN the script claims never comes.
  const r = run([...HANDSHAKE.slice(0, 12), '+0 > F. 1001:1001(0) ack 1']);
  assert.equal(r.verdict, 'FAIL');
  assert.equal(r.line, 13);
  assert.match(r.message!, /missing packet/);
});

test('runner: a late packet fails on timing', () => {
  // The FIN is sent at close() time; the script expects it 0.5 s later (tolerance 10 ms).
  const lines = replace(HANDSHAKE, 14, '+.5 > F. 1001:1001(0) ack 1');
  const r = run(lines);
  assert.equal(r.verdict, 'FAIL');
  assert.equal(r.line, 14);
  assert.match(r.message!, /early/);
  // And a packet expected earlier than it comes: the retransmission of unacked data.
  const r2 = run([...HANDSHAKE.slice(0, 11), '+.1 > P. 1:1001(1000) ack 1']);
  assert.equal(r2.verdict, 'FAIL');
  assert.equal(r2.line, 12);
  assert.match(r2.message!, /got P\. 1:1001\(1000\) ack 1 .*late at/);
});

test('runner: an extra (unexpected) packet fails', () => {
  // Drop the expectation of the final ACK and add an event after it: the ACK is unexpected.
  const r = run([...HANDSHAKE.slice(0, 15), '+.1 close(3) = 0']);
  assert.equal(r.verdict, 'FAIL');
  assert.equal(r.line, 16);
  assert.match(r.message!, /unexpected packet/);
  assert.match(r.message!, /\. 1002:1002\(0\) ack 2/);
});

test('runner: a wrong errno fails with expected and got', () => {
  const r = run([...HANDSHAKE.slice(0, 9), '+0 read(4, ..., 100) = -1 ECONNRESET (Connection reset by peer)']);
  // Blocking read with nothing to read: it would block; make the socket non-blocking instead.
  assert.equal(r.verdict, 'FAIL');
  const r2 = run([
    ...HANDSHAKE.slice(0, 9),
    '+0 fcntl(4, F_SETFL, O_RDWR|O_NONBLOCK) = 0',
    '+0 read(4, ..., 100) = -1 ECONNRESET (Connection reset by peer)',
  ]);
  assert.equal(r2.verdict, 'FAIL');
  assert.equal(r2.line, 11);
  assert.match(r2.message!, /expected read\(\) = -1 ECONNRESET got -1 EAGAIN/);
});

test('runner: a blocking call that returns at the wrong time fails', () => {
  const r = run([...HANDSHAKE.slice(0, 9), '+0...0.100 read(4, ..., 500) = 500', '+.3 < P. 1:501(500) ack 1 win 257']);
  assert.equal(r.verdict, 'FAIL');
  assert.equal(r.line, 10);
  assert.match(r.message!, /return at 0\.200 got it returning at 0\.400/);
});

test('runner: Fast Open, epoll and unknown syscalls are UNSUPPORTED, never PASS', () => {
  const fo = run(['0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3', '+0 sendto(3, ..., 1000, MSG_FASTOPEN, ..., ...) = 1000']);
  assert.equal(fo.verdict, 'UNSUPPORTED');
  assert.match(fo.message!, /MSG_FASTOPEN/);
  const ep = run(['0 epoll_create(1) = 3']);
  assert.equal(ep.verdict, 'UNSUPPORTED');
  assert.match(formatResult(ep), /^UNSUPPORTED case\.pkt: system call epoll_create\(\)/);
  const py = run([...HANDSHAKE.slice(0, 9), '+0 %{ assert tcpi_busy_time == 0 }%']);
  assert.equal(py.verdict, 'UNSUPPORTED');
  const cmd = run(['0 `rm -rf /tmp/x`']);
  assert.equal(cmd.verdict, 'UNSUPPORTED');
});

test('runner: FreeBSD sysctls and sockstat map onto the stack', () => {
  const r = run([
    '--tolerance_usecs=50000',
    ' 0.00 `sysctl -w net.inet.tcp.insecure_rst=0`',
    '+0.00 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3',
    '+0.00 setsockopt(3, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0',
    '+0.00 bind(3, ..., ...) = 0',
    '+0.00 listen(3, 1) = 0',
    '+0.00 < S 0:0(0) win 32767 <mss 1460,sackOK,eol,eol>',
    '+0.00 > S. 0:0(0) ack 1 win 65535 <mss 1460,sackOK,eol,eol>',
    '+0.00 `sockstat -4 -P tcp -p 8080 -s | grep -c SYN_RCVD | grep 1`',
    '+0.10 < . 1:1(0) ack 1 win 32767',
    '+0.00 `sockstat -4 -P tcp -p 8080 -s | grep -c SYN_RCVD | grep 0`',
    '+0.00 accept(3, ..., ...) = 4',
    '+0.00 getsockopt(4, SOL_SOCKET, SO_ERROR, [0], [4]) = 0',
  ]);
  assert.equal(r.verdict, 'PASS', formatResult(r));
  assert.equal(r.dialect, 'freebsd');
  const bad = run([
    '0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3',
    '+0 setsockopt(3, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0',
    '+0 bind(3, ..., ...) = 0',
    '+0 listen(3, 1) = 0',
    '+0 `sockstat -4 -P tcp -p 8080 -s | grep -c SYN_RCVD | grep 1`',
  ]);
  assert.equal(bad.verdict, 'FAIL');
  assert.equal(bad.line, 5);
  assert.match(bad.message!, /expected 1 connection\(s\) in SYN_RCVD got 0/);
});

test('runner: lenient comparisons are reported (window, option order)', () => {
  const lines = replace(HANDSHAKE, 7, '+0 > S. 0:0(0) ack 1 win 1 <wscale 8,sackOK,mss 1460>');
  const r = run(lines);
  assert.equal(r.verdict, 'PASS', formatResult(r));
  assert.ok(r.lenient.includes('window'));
  assert.ok(r.lenient.includes('options order'));
  // A missing option is not lenient.
  const r2 = run(replace(HANDSHAKE, 7, '+0 > S. 0:0(0) ack 1 <mss 1460,sackOK>'));
  assert.equal(r2.verdict, 'FAIL');
  assert.match(r2.message!, /unexpected options/);
});

test('runner: an outbound packet written without <...> has its options unchecked (packetdrill FLAG_OPTIONS_NOCHECK); with a list they are strict', () => {
  // Out-of-order data draws an ACK with a SACK block; line 12 lists no options.
  const lines = [
    ...HANDSHAKE.slice(0, 9),
    '+0 < . 1001:2001(1000) ack 1 win 257', // line 10
    '+0 > . 1:1(0) ack 1', // line 11: the stack sends <nop,nop,sack 1001:2001>
  ];
  const r = run(lines);
  assert.equal(r.verdict, 'PASS', formatResult(r));
  const strict = run(replace(lines, 11, '+0 > . 1:1(0) ack 1 <>'));
  assert.equal(strict.verdict, 'FAIL', formatResult(strict));
  assert.match(strict.message!, /options/);
  // `<>` on a packet that has none passes: the in-order ACK after the hole is filled.
  const none = run([...lines, '+0 < . 1:1001(1000) ack 1 win 257', '+0 > . 1:1(0) ack 2001 <>']);
  assert.equal(none.verdict, 'PASS', formatResult(none));
  const wrong = run(replace(lines, 11, '+0 > . 1:1(0) ack 1 <nop,nop,sack 1001:1501>'));
  assert.equal(wrong.verdict, 'FAIL', formatResult(wrong));
});

test('python: tcpi_snd_cwnd is cwnd in segments of the send MSS, tcpi_snd_mss the send MSS', async () => {
  const { evalPython } = await import('../../src/tools/packetdrill/python.js');
  const st = { state: 'ESTABLISHED', cwnd: 14_000, rto: 200, srtt: 10, sndMss: 1000 } as unknown as Parameters<typeof evalPython>[1];
  assert.equal(evalPython('assert tcpi_snd_cwnd == 14', st, { mss: 1460 }), null);
  assert.equal(evalPython('assert tcpi_snd_mss == 1000', st, { mss: 1460 }), null);
  assert.match(evalPython('assert tcpi_snd_cwnd == 10', st, { mss: 1460 }) ?? '', /tcpi_snd_cwnd=14/);
});

test('runner: an inbound ACK without an ack number carries ack 0 relative (our ISS), as packetdrill maps it', () => {
  // The stack takes the data and ignores the old ACK (RFC 9293 3.10.7.4 fifth); an absolute 0
  // would be outside the RFC 5961 5.2 range and draw a challenge ACK instead.
  const r = run([
    ...HANDSHAKE.slice(0, 9),
    '+0 < . 1:1001(1000) win 257',
    '+0 < . 1001:10001(9000) ack 1 win 257',
    '+0 > . 1:1(0) ack 10001',
  ]);
  assert.equal(r.verdict, 'PASS', formatResult(r));
});

test('runner: a %{ }% block between an event and the packets it lets out only snapshots tcp_info; a syscall there still fails on them', () => {
  const lines = [...HANDSHAKE.slice(0, 10), '+0 %{ assert tcpi_snd_cwnd == 10 }%', ...HANDSHAKE.slice(10)];
  const r = run(lines);
  assert.equal(r.verdict, 'PASS', formatResult(r));
  const r2 = run([...HANDSHAKE.slice(0, 10), '+0 getsockopt(4, SOL_SOCKET, SO_ERROR, [0], [4]) = 0', ...HANDSHAKE.slice(10)]);
  assert.equal(r2.verdict, 'FAIL', formatResult(r2));
  assert.match(r2.message!, /unexpected packet/);
});

test('runner: a trailing sysctl restore is not an event: packets sent before it are not checked', () => {
  const r = run([...HANDSHAKE.slice(0, 15), '+.1 `/tmp/sysctl_restore_${PPID}.sh`']);
  assert.equal(r.verdict, 'PASS', formatResult(r));
});

test('runner: PSH on segments joined into one TSO packet is lenient and reported; on a single segment it is strict', () => {
  const w3000 = [...HANDSHAKE.slice(0, 9), '+0 write(4, ..., 3000) = 3000'];
  const joined = run([...w3000, '+0 > P. 1:2001(2000) ack 1', '+0 > P. 2001:3001(1000) ack 1']);
  assert.equal(joined.verdict, 'PASS', formatResult(joined));
  assert.ok(joined.lenient.includes('PSH on joined TSO segments'), joined.lenient.join(', '));
  const single = run([...w3000, '+0 > P. 1:1001(1000) ack 1']);
  assert.equal(single.verdict, 'FAIL', formatResult(single));
  assert.match(single.message!, /flags \. instead of P\./);
});

test('dialect: Linux profile grows slow start by every acked segment; tcp_slow_start_after_idle maps to restartAfterIdle', async () => {
  const { LINUX_BASE_PROFILE, applySysctl } = await import('../../src/tools/packetdrill/dialect.js');
  assert.equal(LINUX_BASE_PROFILE.abcLimit, Infinity);
  const p = { config: {} as Record<string, unknown> };
  applySysctl(p, 'net.ipv4.tcp_slow_start_after_idle', '0');
  assert.equal(p.config.restartAfterIdle, false);
  applySysctl(p, 'net.ipv4.tcp_slow_start_after_idle', '1');
  assert.equal(p.config.restartAfterIdle, true);
});

// ---- IP header fields `(tos ..)`, `(ttl ..)`: sent as written inbound, strict outbound

const TOS_SCRIPT = [
  '--tolerance_usecs=50000', // line 1
  '0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3',
  '+0 setsockopt(3, IPPROTO_IP, IP_TOS, [IPTOS_DSCP_CS1], 4) = 0',
  '+0 setsockopt(3, IPPROTO_IP, IP_TTL, [4], 4) = 0',
  '+0 bind(3, ..., ...) = 0',
  '+0 listen(3, 1) = 0',
  '+0 < (tos 0x28) S 0:0(0) win 32767 <mss 1460>', // line 7
  '+0 > (tos 0x20, ttl 4) S. 0:0(0) ack 1 <mss 1460>', // line 8
  '+.1 < (ttl 3) . 1:1(0) ack 1 win 32767', // line 9
  '+0 accept(3, ..., ...) = 4', // line 10
  '+0 setsockopt(4, IPPROTO_IP, IP_TOS, [IPTOS_DSCP_CS7], 4) = 0', // line 11
  '+0 write(4, ..., 100) = 100', // line 12
  '+0 > (tos 0xe0) P. 1:101(100) ack 1', // line 13
];

test('runner: (tos ..)/(ttl ..) on outbound packets are checked strictly; IP_TOS/IP_TTL set them', () => {
  const r = run(TOS_SCRIPT);
  assert.equal(r.verdict, 'PASS', formatResult(r));
  const wrongTos = run(replace(TOS_SCRIPT, 13, '+0 > (tos 0x20) P. 1:101(100) ack 1'));
  assert.equal(wrongTos.verdict, 'FAIL');
  assert.equal(wrongTos.line, 13);
  assert.match(wrongTos.message!, /tos 0xe0 instead of 0x20/);
  const wrongTtl = run(replace(TOS_SCRIPT, 8, '+0 > (ttl 64) S. 0:0(0) ack 1 <mss 1460>'));
  assert.equal(wrongTtl.verdict, 'FAIL');
  assert.match(wrongTtl.message!, /ttl 4 instead of 64/);
  const unknown = run(replace(TOS_SCRIPT, 13, '+0 > (flowlabel 7) P. 1:101(100) ack 1'));
  assert.equal(unknown.verdict, 'UNSUPPORTED');
});

// ---- TCP_NOOPT, TCP_KEEPINIT and the FreeBSD sysctls keepinit / rexmit_drop_options

test('runner: TCP_NOOPT sends a SYN without options (a listed option then fails)', () => {
  const lines = [
    '--tolerance_usecs=25000',
    '0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3',
    '+0 fcntl(3, F_SETFL, O_RDWR | O_NONBLOCK) = 0',
    '+0 setsockopt(3, IPPROTO_TCP, TCP_NOOPT, [1], 4) = 0',
    '+0 connect(3, ..., ...) = -1 EINPROGRESS (Operation now in progress)',
    '+0 > S 0:0(0)', // line 6
  ];
  assert.equal(run(lines).verdict, 'PASS', formatResult(run(lines)));
  const r = run(replace(lines, 6, '+0 > S 0:0(0) <mss 1460>'));
  assert.equal(r.verdict, 'FAIL');
  assert.equal(r.line, 6);
});

function keepinitScript(head: string[]): string[] {
  return [
    '--tolerance_usecs=100000',
    '0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3',
    ...head,
    '0...2 connect(3, ..., ...) = -1 ETIMEDOUT (Operation timed out)',
    '+0 > S 0:0(0)',
    '+1 > S 0:0(0)',
    '4 close(3) = 0',
  ];
}

test('runner: TCP_KEEPINIT and net.inet.tcp.keepinit bound the open attempt (ETIMEDOUT)', () => {
  const viaOpt = run(keepinitScript(['+0 setsockopt(3, IPPROTO_TCP, TCP_KEEPINIT, [2], 4) = 0']));
  assert.equal(viaOpt.verdict, 'PASS', formatResult(viaOpt));
  const viaSysctl = run(keepinitScript(['+0 `sysctl -w net.inet.tcp.keepinit=2000`']));
  assert.equal(viaSysctl.verdict, 'PASS', formatResult(viaSysctl));
  // Without either, connect() is still pending at 2 s: the script fails.
  assert.equal(run(keepinitScript([])).verdict, 'FAIL');
});

test('runner: net.inet.tcp.rexmit_drop_options=1 -> the third SYN retransmission carries only MSS', () => {
  const lines = [
    '--tolerance_usecs=100000',
    '0 `sysctl -w net.inet.tcp.rexmit_drop_options=1`',
    '+0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3',
    '+0 fcntl(3, F_SETFL, O_RDWR | O_NONBLOCK) = 0',
    '+0 connect(3, ..., ...) = -1 EINPROGRESS (Operation now in progress)',
    '0 > S 0:0(0) <mss 1460,nop,wscale 6,sackOK,TS val 100 ecr 0>',
    '1 > S 0:0(0) <mss 1460,nop,wscale 6,sackOK,TS val 1100 ecr 0>',
    '3 > S 0:0(0) <mss 1460,nop,wscale 6,sackOK,TS val 3100 ecr 0>',
    '7 > S 0:0(0) <mss 1460>', // line 9
  ];
  const r = run(lines);
  assert.equal(r.verdict, 'PASS', formatResult(r));
  const off = run(replace(lines, 2, '0 `sysctl -w net.inet.tcp.rexmit_drop_options=0`'));
  assert.equal(off.verdict, 'FAIL');
  assert.equal(off.line, 9);
});

// ---- ECN (RFC 3168): E/W flags, [ect0]/[ce]/... annotations, ecn.enable / tcp_ecn

test('dialect: ecn.enable and tcp_ecn map 0/1/2 to ecn false/true/passive; ecn.maxretries to ecnSynRetries and ecnSynAckRetries', async () => {
  const { applySysctl, Unsupported } = await import('../../src/tools/packetdrill/dialect.js');
  const p = { config: {} as Record<string, unknown> };
  applySysctl(p, 'net.inet.tcp.ecn.enable', '1');
  assert.equal(p.config.ecn, true);
  applySysctl(p, 'net.ipv4.tcp_ecn', '2');
  assert.equal(p.config.ecn, 'passive');
  applySysctl(p, 'net.ipv4.tcp_ecn', '0');
  assert.equal(p.config.ecn, false);
  applySysctl(p, 'net.inet.tcp.ecn.maxretries', '0');
  assert.equal(p.config.ecnSynRetries, 0);
  assert.equal(p.config.ecnSynAckRetries, 0);
  assert.throws(() => applySysctl(p, 'net.ipv4.tcp_ecn', '3'), Unsupported);
});

test('runner: ECN-setup SYN answered with SE.; CE-marked data -> E. ACK; [ect0] checked on our data', () => {
  const lines = replace(replace(HANDSHAKE, 6, '+0 < SEW 0:0(0) win 32792 <mss 1000,sackOK,nop,nop,nop,wscale 7>'), 7, '+0 > SE. 0:0(0) ack 1 <mss 1460,nop,nop,sackOK,nop,wscale 8>');
  const ok = run([...lines.slice(0, 10), '+0 > [ect0] P. 1:1001(1000) ack 1', '+.1 < [ce] P. 1:101(100) ack 1001 win 257', '+0 > [noecn] E. 1001:1001(0) ack 101']);
  assert.equal(ok.verdict, 'PASS', formatResult(ok));
  const bad = run([...lines.slice(0, 10), '+0 > [noecn] P. 1:1001(1000) ack 1']);
  assert.equal(bad.verdict, 'FAIL', formatResult(bad));
  assert.match(bad.message!, /ECN \[ect0\] instead of \[noecn\]/);
});
