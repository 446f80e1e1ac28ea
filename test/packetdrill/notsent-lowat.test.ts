import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runScriptText, formatResult } from '../../src/tools/packetdrill/run.js';

// TCP_NOTSENT_LOWAT through the runner (socket option, and the sysctl as the default): a write
// takes bytes only while fewer than the mark are unsent (whole segments), poll() reports POLLOUT
// only below the mark, and the option overrides the sysctl.

function run(lines: string[]) {
  return runScriptText(lines.join('\n') + '\n', 'case.pkt');
}

const OPTION = [
  '--tolerance_usecs=10000',
  '0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3',
  '+0 setsockopt(3, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0',
  '+0 bind(3, ..., ...) = 0',
  '+0 listen(3, 1) = 0',
  '+0 < S 0:0(0) win 32792 <mss 1000,sackOK,nop,nop,nop,wscale 7>',
  '+0 > S. 0:0(0) ack 1 <mss 1460,nop,nop,sackOK,nop,wscale 8>',
  '+.01 < . 1:1(0) ack 1 win 257',
  '+0 accept(3, ..., ...) = 4',
  '+0 getsockopt(4, SOL_TCP, TCP_NOTSENT_LOWAT, [0], [4]) = 0',
  '+0 setsockopt(4, SOL_TCP, TCP_NOTSENT_LOWAT, [4000], 4) = 0',
  '+0 getsockopt(4, SOL_TCP, TCP_NOTSENT_LOWAT, [4000], [4]) = 0',
  '+0 fcntl(4, F_SETFL, O_RDWR|O_NONBLOCK) = 0',
  '+0 write(4, ..., 59000) = 14000',
  '+0 > P. 1:10001(10000) ack 1',
  '+0 write(4, ..., 1000) = -1 EAGAIN (Resource temporarily unavailable)',
  '+0 poll([{fd=4, events=POLLOUT, revents=0}], 1, 0) = 0',
  '+.02 < . 1:1(0) ack 1001 win 257',
  '+0 > P. 10001:12001(2000) ack 1',
  '+0 poll([{fd=4, events=POLLOUT, revents=POLLOUT}], 1, 0) = 1',
  '+0 write(4, ..., 5000) = 2000',
  '+0 poll([{fd=4, events=POLLOUT, revents=0}], 1, 0) = 0',
  '+0 setsockopt(4, SOL_TCP, TCP_NOTSENT_LOWAT, [5000], 4) = 0',
  '+0 poll([{fd=4, events=POLLOUT, revents=POLLOUT}], 1, 0) = 1',
  '+0 write(4, ..., 5000) = 1000',
];

const SYSCTL = [
  '--tolerance_usecs=10000',
  '0 `sysctl -q net.ipv4.tcp_notsent_lowat=4000`',
  '+0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3',
  '+0 setsockopt(3, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0',
  '+0 bind(3, ..., ...) = 0',
  '+0 listen(3, 1) = 0',
  '+0 < S 0:0(0) win 32792 <mss 1000,sackOK,nop,nop,nop,wscale 7>',
  '+0 > S. 0:0(0) ack 1 <mss 1460,nop,nop,sackOK,nop,wscale 8>',
  '+.01 < . 1:1(0) ack 1 win 257',
  '+0 accept(3, ..., ...) = 4',
  '+0 getsockopt(4, SOL_TCP, TCP_NOTSENT_LOWAT, [0], [4]) = 0',
  '+0 fcntl(4, F_SETFL, O_RDWR|O_NONBLOCK) = 0',
  '+0 write(4, ..., 59000) = 14000',
  '+0 > P. 1:10001(10000) ack 1',
  '+0 write(4, ..., 1000) = -1 EAGAIN (Resource temporarily unavailable)',
  '+0 poll([{fd=4, events=POLLOUT, revents=0}], 1, 0) = 0',
  '+.02 < . 1:1(0) ack 1001 win 257',
  '+0 > P. 10001:12001(2000) ack 1',
  '+0 poll([{fd=4, events=POLLOUT, revents=POLLOUT}], 1, 0) = 1',
  '+0 write(4, ..., 5000) = 2000',
  '+0 poll([{fd=4, events=POLLOUT, revents=0}], 1, 0) = 0',
  '+0 setsockopt(4, SOL_TCP, TCP_NOTSENT_LOWAT, [5000], 4) = 0',
  '+0 poll([{fd=4, events=POLLOUT, revents=POLLOUT}], 1, 0) = 1',
  '+0 write(4, ..., 5000) = 1000',
];

test('TCP_NOTSENT_LOWAT: setsockopt/getsockopt, write and poll honour the mark', () => {
  const r = run(OPTION);
  assert.equal(r.verdict, 'PASS', formatResult(r));
});

test('TCP_NOTSENT_LOWAT: net.ipv4.tcp_notsent_lowat is the default; the option reads 0 and overrides it', () => {
  const r = run(SYSCTL);
  assert.equal(r.verdict, 'PASS', formatResult(r));
  // Without the sysctl the whole write fits the send buffer: the script fails at the write.
  const none = run(SYSCTL.filter((l) => !l.includes('sysctl')).map((l) => (l.startsWith('+0 socket') ? '0' + l.slice(2) : l)));
  assert.equal(none.verdict, 'FAIL', formatResult(none));
  assert.match(none.message ?? '', /write\(\) = 14000/);
});

test('TCP_NOTSENT_LOWAT: a wrong poll or write expectation fails', () => {
  for (const [from, to] of [
    ['poll([{fd=4, events=POLLOUT, revents=0}], 1, 0) = 0', 'poll([{fd=4, events=POLLOUT, revents=POLLOUT}], 1, 0) = 1'],
    ['write(4, ..., 5000) = 2000', 'write(4, ..., 5000) = 5000'],
    ['write(4, ..., 5000) = 1000', 'write(4, ..., 5000) = -1 EAGAIN (Resource temporarily unavailable)'],
  ]) {
    const lines = OPTION.map((l) => l.replace(from, to));
    assert.notDeepEqual(lines, OPTION);
    assert.equal(run(lines).verdict, 'FAIL', `${from} -> ${to}`);
  }
});
