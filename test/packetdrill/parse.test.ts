import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parseScript, ParseError, type TcpPacketSpec, type SyscallSpec } from '../../src/tools/packetdrill/parse.js';
import { CONFORMANCE_DIR, conformanceAvailable, listPktFiles } from './conformance-files.js';

test('parse: options, time specs, packets, syscalls, commands, python', () => {
  const s = parseScript(
    [
      '--ip_version=ipv4',
      '--tolerance_usecs=75000',
      '/* block',
      '   comment */',
      ' 0.00 `sysctl -w net.inet.tcp.insecure_rst=0`',
      '+0.00 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3 // trailing',
      '+0 fcntl(3, F_GETFL) = 0x02 (flags O_RDWR)',
      '+0 connect(3, ..., ...) = -1 EINPROGRESS (Operation now in progress)',
      '+0 > S 0:0(0) win 65535 <mss 1460,nop,wscale 6,sackOK,TS val 100 ecr 0>',
      '+.1 < S. 0:0(0) ack 1 win 32767 <mss 1460,sackOK,eol,eol>',
      '+0~+.04 > . 1:1(0) ack 1',
      '* > R. 0:0(0)! ack 2 win 0',
      '+0...0.300 write(3, ..., 61000) = 61000',
      '+0 < . 1:1(0) ack 1 win 257 <sack 2001:3001 6001:7001,nop,nop>',
      '+0 < icmp unreachable frag_needed mtu 1234 [0:0(0)]',
      '+0 getsockopt(3, SOL_SOCKET, SO_ERROR, [ECONNRESET], [4]) = 0',
      '+0 %{',
      'assert tcpi_snd_cwnd == 10, tcpi_snd_cwnd',
      '}%',
      '1.5 setsockopt(3, SOL_SOCKET, SO_LINGER, {onoff=1, linger=0}, 8) = 0',
    ].join('\n'),
    'inline.pkt',
  );
  assert.deepEqual(s.options, { ip_version: 'ipv4', tolerance_usecs: '75000' });
  const kinds = s.events.map((e) => e.action.kind);
  assert.deepEqual(kinds, ['command', 'syscall', 'syscall', 'syscall', 'tcp', 'tcp', 'tcp', 'tcp', 'syscall', 'tcp', 'icmp', 'syscall', 'python', 'syscall']);
  assert.equal(s.events[0].line, 5);
  const syn = s.events[4].action as TcpPacketSpec;
  assert.equal(syn.dir, 'out');
  assert.equal(syn.flags, 'S');
  assert.deepEqual(syn.seq, { start: 0, end: 0, len: 0 });
  assert.equal(syn.win, 65535);
  assert.deepEqual(syn.options?.map((o) => o.kind), ['mss', 'nop', 'wscale', 'sackOK', 'ts']);
  assert.deepEqual(s.events[5].time, { kind: 'relative', usecs: 100_000 });
  assert.deepEqual(s.events[6].time, { kind: 'relative', usecs: 0, rangeEnd: 40_000 });
  assert.equal(s.events[7].time.kind, 'any');
  assert.equal((s.events[7].action as TcpPacketSpec).absoluteSeq, true);
  assert.deepEqual(s.events[8].time, { kind: 'relative', usecs: 0, blockEnd: 300_000 });
  const sack = (s.events[9].action as TcpPacketSpec).options![0];
  assert.deepEqual(sack, { kind: 'sack', blocks: [[2001, 3001], [6001, 7001]] });
  const icmp = s.events[10].action;
  assert.ok(icmp.kind === 'icmp' && icmp.type === 'unreachable' && icmp.code === 'frag_needed' && icmp.mtu === 1234);
  const conn = s.events[3].action as SyscallSpec;
  assert.equal(conn.errno, 'EINPROGRESS');
  assert.deepEqual(conn.result, { t: 'neg', e: { t: 'int', v: 1 } });
  assert.equal((s.events[2].action as SyscallSpec).note, 'flags O_RDWR');
  assert.equal(s.events[13].time.kind, 'absolute');
  assert.equal(s.events[13].line, 20);
});

test('parse: #ifdef STANDARD keeps the RFC branch, drops the FreeBSD one', () => {
  const text = ['0 close(3) = 0', '#ifdef STANDARD', '+0 > . 1:1(0) ack 1', '#endif', '#ifdef FreeBSD', '+0 > R 1:1(0)', '#endif'].join('\n');
  const s = parseScript(text, 'x.pkt');
  assert.equal(s.events.length, 2);
  assert.equal((s.events[1].action as TcpPacketSpec).flags, '.');
  assert.equal(s.events[1].line, 3);
});

test('parse: unknown syntax is an error naming file:line', () => {
  assert.throws(
    () => parseScript('0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 > S 0:0(0) wibble 3\n', 'bad.pkt'),
    (e: unknown) => e instanceof ParseError && e.line === 2 && /^bad\.pkt:2: /.test(e.message) && /wibble/.test(e.message),
  );
  assert.throws(() => parseScript('0 > Q 0:0(0)\n', 'f.pkt'), /f\.pkt:1: expected TCP flags/);
  assert.throws(() => parseScript('\n\n0 > S 1:5(3)\n', 'f.pkt'), /f\.pkt:3: .*end - start != len/);
  assert.throws(() => parseScript('0 frobnicate\n', 'f.pkt'), /f\.pkt:1:/);
  assert.throws(() => parseScript('0 > S 0:0(0) <mss 1460,,nop>\n', 'f.pkt'), /f\.pkt:1: empty TCP option/);
});

test('parse: every .pkt under ../shared/conformance parses', (t) => {
  if (!conformanceAvailable()) {
    t.skip(`${CONFORMANCE_DIR} is absent`);
    return;
  }
  const files = listPktFiles(CONFORMANCE_DIR);
  assert.ok(files.length > 0);
  const errors: string[] = [];
  for (const f of files) {
    try {
      parseScript(readFileSync(f, 'utf8'), f);
    } catch (e) {
      errors.push((e as Error).message);
    }
  }
  assert.deepEqual(errors, [], `${errors.length} of ${files.length} scripts failed to parse`);
});
