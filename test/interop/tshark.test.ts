// Wireshark's verdict on synack under loss (issue "Real TCP on Linux"): kernel curl GETs 100 MB
// from synack's http server and POSTs 100 MB to /sha256 while iptables drops 2% at random in
// both directions on the TUN device (inside the test's own namespace). Two captures are read
// with `tshark -r`: tcpdump on the TUN device (the kernel's view) and synack's own --pcap.
//
// Where the loss lands relative to the capture point:
// - synack -> kernel, iptables INPUT: the packet crossed the device (both captures hold it)
//   and is dropped afterwards. Wireshark sees a retransmission later, never a gap.
// - kernel -> synack, iptables OUTPUT: the packet never reaches the device. For a pure ACK that
//   is plain loss, but for data Linux treats the NF_DROP verdict as a failed transmit
//   (tcp_transmit_skb returns -EPERM) and sends the segment again later: no gap on the wire.
// So neither direction should show "previous segment not captured" at all. Should a kernel
// version treat OUTPUT drops as real loss, a kernel -> synack gap is accepted only when every
// missing byte was in a segment that iptables dropped: each drop is logged through NFLOG
// (group below) and captured with tcpdump -i nflog:N, so gaps are checked packet by packet.
// Any "ACKed unseen segment", a gap in synack -> kernel, a malformed packet or any other
// error-level expert info (bad checksum) is a failure. Expert-info counts per direction go to the
// test output (and test-output/interop/ keeps the captures and a report when the test fails).
//
// The verdict comes from `tshark -z expert` (a tap: cheap); only when it finds something does the
// test read every packet (`-T fields`, slow) for frame numbers and an explanation. An "ACKed unseen
// segment" whose bytes are all in the capture is Wireshark's heuristic tripping over a
// retransmission that carries new bytes past the highest one sent before: the failure message
// names that frame. It still fails: the acceptance point is what tshark says.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { payloadSha256 } from '../../src/tools/commands/tun.js';
import {
  artifact, collect, interopSkipReason, killAndWait, Netns, patternBytes, settleArtifacts, settledSockets, sha256,
  sleep, startSynackServer, stateCounts, subnet, synackSettled, uniqueName, writeArtifact, type SynackServer,
} from './helpers.js';

const MB = 1_000_000;
const SIZE = 100 * MB;
const LOSS = 0.02;
/** NFLOG groups are per network namespace: any number will do. */
const NFLOG_GROUP = 7;
const DROP_CHAIN = 'SYNACK_DROP';

// ---- iptables: random drops, each logged to NFLOG first ------------------------------------

function addKernelLoss(ns: Netns, dev: string): void {
  const ipt = (...a: string[]) => ns.execSync('iptables', ['-w', ...a]);
  ipt('-N', DROP_CHAIN);
  ipt('-A', DROP_CHAIN, '-j', 'NFLOG', '--nflog-group', String(NFLOG_GROUP), '--nflog-size', '128', '--nflog-threshold', '1');
  ipt('-A', DROP_CHAIN, '-j', 'DROP');
  for (const [chain, dir] of [['INPUT', '-i'], ['OUTPUT', '-o']]) {
    ipt('-A', chain, dir, dev, '-m', 'statistic', '--mode', 'random', '--probability', String(LOSS), '-j', DROP_CHAIN);
  }
}

/** Packets sent to the drop chain from INPUT (synack -> kernel) and OUTPUT (kernel -> synack). */
function dropCounters(ns: Netns): { input: number; output: number } {
  const out = ns.execSync('iptables', ['-w', '-L', '-v', '-n', '-x']);
  const r = { input: 0, output: 0 };
  let chain = '';
  for (const line of out.split('\n')) {
    const m = /^Chain (\S+)/.exec(line);
    if (m) chain = m[1];
    else if (line.includes(DROP_CHAIN)) {
      const pkts = Number(line.trim().split(/\s+/)[0]);
      if (chain === 'INPUT') r.input += pkts;
      if (chain === 'OUTPUT') r.output += pkts;
    }
  }
  return r;
}

// ---- tcpdump -------------------------------------------------------------------------------

interface Tcpdump {
  proc: ChildProcess;
  file: string;
  stderr(): string;
}

/** tcpdump inside the namespace, ready (it printed "listening on") when this resolves. */
async function startTcpdump(ns: Netns, iface: string, file: string, snaplen: number): Promise<Tcpdump> {
  // -B: a large kernel buffer (100 MB at full speed must not overrun it); -Z root: no privilege
  // drop, so the file can be written wherever the test puts it.
  // --immediate-mode: without it the packets in the ring's current block are lost when tcpdump
  // is stopped (the last retransmission and the FIN exchange went missing that way).
  const proc = ns.spawn('tcpdump', ['-i', iface, '-s', String(snaplen), '-B', '65536', '--immediate-mode', '-U', '-n', '-Z', 'root',
    '-w', file], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  proc.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  for (let i = 0; i < 500 && !err.includes('listening on'); i++) {
    if (proc.exitCode !== null) throw new Error(`tcpdump -i ${iface} exited: ${err}`);
    await sleep(10);
  }
  if (!err.includes('listening on')) throw new Error(`tcpdump -i ${iface} not ready: ${err}`);
  return { proc, file, stderr: () => err };
}

/** Stop tcpdump (SIGINT: it flushes and prints its statistics) and read them. */
async function stopTcpdump(td: Tcpdump): Promise<{ captured: number; dropped: number }> {
  await killAndWait(td.proc, 'SIGINT', 5000);
  const err = td.stderr();
  const num = (re: RegExp) => Number(re.exec(err)?.[1] ?? NaN);
  const byKernel = num(/(\d+) packets? dropped by kernel/);
  const byIface = /(\d+) packets? dropped by interface/.test(err) ? num(/(\d+) packets? dropped by interface/) : 0;
  return { captured: num(/(\d+) packets? captured/), dropped: byKernel + byIface };
}

// ---- tshark --------------------------------------------------------------------------------

const FIELDS = [
  'frame.number', 'frame.protocols', 'ip.src', 'ip.dst', 'ip.len', 'ip.hdr_len', 'tcp.srcport', 'tcp.dstport', 'tcp.hdr_len',
  'tcp.seq', 'tcp.seq_raw', 'tcp.len', 'tcp.ack',
  'tcp.flags.syn', 'tcp.flags.fin', 'tcp.analysis.lost_segment', 'tcp.analysis.ack_lost_segment', 'ip.checksum.status',
  'tcp.checksum.status', '_ws.expert.severity', '_ws.expert.message',
] as const;
/** One packet: field values by name (a view over tshark's tab-separated line, no copies). */
class Row {
  constructor(private readonly v: string[]) {}
  get(f: (typeof FIELDS)[number]): string {
    return this.v[COLUMN.get(f)!] ?? '';
  }
}
const COLUMN = new Map<string, number>(FIELDS.map((f, i) => [f, i]));

const SEVERITY_ERROR = 0x00800000;

/** What rides on TCP port 80 is decoded as plain data: with a 128-byte snaplen the body is not
 *  there, and HTTP (or a heuristic dissector) would read body fragments as headers and complain.
 *  Checksums are checked where the bytes are there (headers; short segments). */
const TSHARK_PREFS = ['-d', 'tcp.port==80,data', '-o', 'tcp.check_checksum:TRUE', '-o', 'ip.check_checksum:TRUE'];

/** Every packet of a capture as tshark dissects it (slow: a 100 MB transfer takes seconds). */
async function tsharkRows(file: string): Promise<Row[]> {
  const p = spawn('tshark', [
    '-r', file, '-n', ...TSHARK_PREFS,
    '-T', 'fields', '-E', 'separator=/t', '-E', 'occurrence=a', '-E', 'aggregator=|', ...FIELDS.flatMap((f) => ['-e', f]),
  ], { stdio: ['ignore', 'pipe', 'pipe'] });
  const r = await collect(p, { timeoutMs: 120_000 });
  assert.equal(r.code, 0, `tshark -r ${file}: ${r.stderr}`);
  return r.stdout.toString().split('\n').filter(Boolean).map((line) => new Row(line.split('\t')));
}

/** One entry of tshark's expert-info summary (`-z expert`). */
interface Expert {
  severity: string;
  count: number;
  summary: string;
}

/**
 * tshark's expert-info summary of the packets matching `filter` (a tap: much cheaper than
 * printing fields, which makes tshark build every packet's tree). One tap per run: with several,
 * the tables come out unlabelled.
 */
async function expertInfos(file: string, filter: string): Promise<Expert[]> {
  const p = spawn('tshark', ['-r', file, '-n', '-q', ...TSHARK_PREFS, '-z', `expert,note,${filter}`], { stdio: ['ignore', 'pipe', 'pipe'] });
  const r = await collect(p, { timeoutMs: 120_000 });
  assert.equal(r.code, 0, `tshark -r ${file} -z expert: ${r.stderr}`);
  const out: Expert[] = [];
  let severity = '';
  let summaryAt = -1;
  for (const line of r.stdout.toString().split('\n')) {
    const sec = /^(Errors|Warns|Notes|Chats|Comments) \(\d+\)/.exec(line);
    if (sec) severity = sec[1];
    else if (line.includes('Frequency') && line.includes('Summary')) summaryAt = line.indexOf('Summary');
    else if (/^\s+\d+\s/.test(line) && summaryAt >= 0) {
      // "Duplicate ACK (#3)" and the like: one entry per kind.
      const summary = line.slice(summaryAt).trim().replace(/ \(#\d+\)$/, '');
      const count = Number(line.trim().split(/\s+/)[0]);
      const e = out.find((x) => x.severity === severity && x.summary === summary);
      if (e) e.count += count;
      else out.push({ severity, count, summary });
    }
  }
  return out;
}

/** Counts that decide the verdict, from one direction's expert infos. */
function verdict(experts: Expert[]): { errors: number; lostSegment: number; ackLostSegment: number } {
  const n = (pred: (e: Expert) => boolean) => experts.filter(pred).reduce((a, e) => a + e.count, 0);
  return {
    errors: n((e) => e.severity === 'Errors'),
    lostSegment: n((e) => e.summary.startsWith('Previous segment(s) not captured')),
    ackLostSegment: n((e) => e.summary.startsWith("ACKed segment that wasn't captured")),
  };
}

/** A TCP segment as read straight from a LINKTYPE_RAW (IPv4) pcap. */
interface PcapSeg {
  frame: number;
  key: string;
  seqRaw: number;
  len: number;
  syn: boolean;
}

/** Read a LINKTYPE_RAW pcap (tcpdump on a TUN device, synack's --pcap) without tshark. */
function readRawPcap(file: string): { frames: number; segs: PcapSeg[] } {
  const b = readFileSync(file);
  const magic = b.readUInt32LE(0);
  const le = magic === 0xa1b2c3d4 || magic === 0xa1b23c4d;
  assert.ok(le || b.readUInt32BE(0) === 0xa1b2c3d4 || b.readUInt32BE(0) === 0xa1b23c4d, `${file}: not a pcap`);
  const u32 = (o: number) => (le ? b.readUInt32LE(o) : b.readUInt32BE(o));
  const linktype = u32(20) & 0xffff;
  assert.ok(linktype === 101 || linktype === 12 || linktype === 14, `${file}: link type ${linktype}, expected raw IP`);
  const segs: PcapSeg[] = [];
  let frames = 0;
  for (let o = 24; o + 16 <= b.length;) {
    const incl = u32(o + 8);
    const pkt = b.subarray(o + 16, o + 16 + incl);
    o += 16 + incl;
    frames++;
    if (pkt.length < 40 || pkt[0] >> 4 !== 4 || pkt[9] !== 6) continue;
    const ihl = (pkt[0] & 15) * 4;
    if (pkt.length < ihl + 20) continue;
    const ip = (i: number) => `${pkt[i]}.${pkt[i + 1]}.${pkt[i + 2]}.${pkt[i + 3]}`;
    const tcp = pkt.subarray(ihl);
    const key = `${ip(12)}:${tcp.readUInt16BE(0)} > ${ip(16)}:${tcp.readUInt16BE(2)}`;
    const len = pkt.readUInt16BE(2) - ihl - (tcp[12] >> 4) * 4;
    segs.push({ frame: frames, key, seqRaw: tcp.readUInt32BE(4), len, syn: (tcp[13] & 2) !== 0 });
  }
  return { frames, segs };
}

/** A byte range of one direction, in that direction's raw sequence space. */
interface Seg {
  frame: number;
  seqRaw: number;
  len: number;
}

interface DirStats {
  frames: number;
  experts: Map<string, number>;
  lostSegment: number;
  ackLostSegment: number;
}

interface Analysis {
  frames: number;
  dirs: Map<string, DirStats>;
  /** Problems, one line each, with frame numbers and tshark's words. */
  problems: string[];
  /** Gaps ("previous segment not captured") every byte of which iptables dropped. */
  explainedGaps: number;
}

const dirKey = (r: Row) => `${r.get('ip.src')}:${r.get('tcp.srcport')} > ${r.get('ip.dst')}:${r.get('tcp.dstport')}`;

/** Are all bytes of [from, to) (raw, modulo 2^32) inside the union of `segs`? */
function covered(from: number, to: number, segs: Seg[]): boolean {
  const want = (to - from) >>> 0;
  const rel = segs
    .map((s) => [((s.seqRaw - from) | 0), ((s.seqRaw - from) | 0) + s.len] as const)
    .filter(([a, b]) => b > 0 && a < want)
    .sort((x, y) => x[0] - y[0]);
  let reached = 0;
  for (const [a, b] of rel) {
    if (a > reached) return false;
    reached = Math.max(reached, b);
    if (reached >= want) return true;
  }
  return reached >= want;
}

/**
 * Read one capture and judge it. `kernel` is the kernel's address: only its segments can be
 * dropped before the capture point (iptables OUTPUT), so only its gaps can be explained, and
 * only by `outputDrops` (NFLOG-logged segments, by direction key).
 */
async function analyze(file: string, kernel: string, outputDrops: Map<string, Seg[]>): Promise<Analysis> {
  const rows = await tsharkRows(file);
  const a: Analysis = { frames: rows.length, dirs: new Map(), problems: [], explainedGaps: 0 };
  /** Highest relative sequence number + 1 seen per direction, raw - relative, and the last
   *  segment that began below that point and ran past it (retransmitted and new bytes together). */
  const high = new Map<string, { end: number; base: number; straddle?: { frame: number; seq: number; beyond: number } }>();
  for (const r of rows) {
    const frame = Number(r.get('frame.number'));
    const isTcp = r.get('tcp.srcport') !== '';
    const key = isTcp ? dirKey(r) : `${r.get('ip.src') || '?'} > ${r.get('ip.dst') || '?'} (not TCP)`;
    let d = a.dirs.get(key);
    if (!d) a.dirs.set(key, (d = { frames: 0, experts: new Map(), lostSegment: 0, ackLostSegment: 0 }));
    d.frames++;
    const messages = r.get('_ws.expert.message') ? r.get('_ws.expert.message').split('|') : [];
    for (const m of messages) {
      const k = m.replace(/ \(#\d+\)$/, '').replace(/\[should be 0x[0-9a-f]+\]/, '');
      d.experts.set(k, (d.experts.get(k) ?? 0) + 1);
    }
    const describe = () => `frame ${frame} ${key} seq=${r.get('tcp.seq')} len=${r.get('tcp.len')}: ${messages.join('; ')}`;
    if (r.get('frame.protocols').includes('malformed')) a.problems.push(`malformed: ${describe()}`);
    const severities = r.get('_ws.expert.severity') ? r.get('_ws.expert.severity').split('|').map(Number) : [];
    if (severities.some((s) => s >= SEVERITY_ERROR)) a.problems.push(`expert error: ${describe()}`);
    if (!isTcp) continue;

    const seq = Number(r.get('tcp.seq'));
    const seqRaw = Number(r.get('tcp.seq_raw'));
    const len = Number(r.get('tcp.len'));
    const end = seq + len + (r.get('tcp.flags.syn') === '1' ? 1 : 0) + (r.get('tcp.flags.fin') === '1' ? 1 : 0);
    const h = high.get(key);
    if (r.get('tcp.analysis.ack_lost_segment') === '1') {
      d.ackLostSegment++;
      // Wireshark tracks the highest *contiguously* sent byte; a retransmission that starts
      // below the highest byte sent and runs past it leaves that mark behind, and the next ACK
      // beyond the mark is reported although every byte it covers was captured.
      const rev = high.get(`${r.get('ip.dst')}:${r.get('tcp.dstport')} > ${r.get('ip.src')}:${r.get('tcp.srcport')}`);
      const ack = Number(r.get('tcp.ack'));
      const why = rev && ack <= rev.end
        ? ` [every acked byte is in the capture (highest sent ${rev.end}): a Wireshark heuristic tripped` +
          (rev.straddle ? ` by frame ${rev.straddle.frame}, a retransmission from seq ${rev.straddle.seq} that runs ` +
            `${rev.straddle.beyond} bytes past the highest byte sent before it (retransmitted and new data in one segment)]` : ']')
        : ` [ack ${ack} is beyond every byte captured in the other direction (${rev?.end})]`;
      a.problems.push(`ACKed unseen segment: ${describe()}${why}`);
    }
    if (r.get('tcp.analysis.lost_segment') === '1') {
      d.lostSegment++;
      // The bytes missing from the capture: from the highest byte seen so far to this segment.
      const from = h ? (h.base + h.end) >>> 0 : seqRaw;
      const drops = outputDrops.get(key) ?? [];
      if (r.get('ip.src') === kernel && h && h.end < seq && covered(from, seqRaw, drops)) {
        a.explainedGaps++;
      } else {
        a.problems.push(`previous segment not captured, ${seq - (h?.end ?? seq)} bytes not explained by iptables drops: ${describe()}`);
      }
    }
    if (!h) high.set(key, { end, base: (seqRaw - seq) >>> 0 });
    else {
      if (len > 0 && seq < h.end && end > h.end) h.straddle = { frame, seq, beyond: end - h.end };
      h.end = Math.max(h.end, end);
    }
  }
  return a;
}

/** The NFLOG capture: every segment iptables dropped, by direction key. */
async function droppedSegments(file: string): Promise<{ all: Map<string, Seg[]>; packets: number }> {
  const rows = await tsharkRows(file);
  const all = new Map<string, Seg[]>();
  for (const r of rows) {
    if (r.get('tcp.srcport') === '') continue;
    const key = dirKey(r);
    let list = all.get(key);
    if (!list) all.set(key, (list = []));
    // NFLOG copies only --nflog-size bytes and tshark's tcp.len counts what was copied: take the
    // segment's length from the IP and TCP headers instead.
    const len = Number(r.get('ip.len')) - Number(r.get('ip.hdr_len')) - Number(r.get('tcp.hdr_len'));
    list.push({ frame: Number(r.get('frame.number')), seqRaw: Number(r.get('tcp.seq_raw')), len });
  }
  return { all, packets: rows.length };
}

/**
 * Data segments iptables INPUT dropped (synack's, captured before the drop) that synack never
 * sent again: the capture must hold each one's first byte more often than iptables dropped it.
 */
function unrepaired(drops: Seg[], sent: PcapSeg[]): Seg[] {
  const syn = sent.find((x) => x.syn);
  if (!syn) return drops.filter((d) => d.len > 0);
  const rel = (seqRaw: number) => (seqRaw - syn.seqRaw) >>> 0; // no wrap within one connection's 100 MB
  const starts = sent.filter((x) => x.len > 0).map((x) => ({ a: rel(x.seqRaw), len: x.len })).sort((x, y) => x.a - y.a);
  const sentCovering = (b: number): number => {
    let lo = 0;
    let hi = starts.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (starts[mid].a < b - 65536) lo = mid + 1;
      else hi = mid;
    }
    let n = 0;
    for (let k = lo; k < starts.length && starts[k].a <= b; k++) if (b - starts[k].a < starts[k].len) n++;
    return n;
  };
  const droppedCovering = (b: number) => drops.filter((d) => b - rel(d.seqRaw) >= 0 && b - rel(d.seqRaw) < d.len).length;
  return drops.filter((d) => d.len > 0 && sentCovering(rel(d.seqRaw)) <= droppedCovering(rel(d.seqRaw)));
}

function formatExperts(title: string, experts: Expert[]): string[] {
  const v = verdict(experts);
  const lines = [`  ${title}: previous segment not captured ${v.lostSegment}, ACKed unseen segment ${v.ackLostSegment}, errors ${v.errors}`];
  for (const e of [...experts].sort((x, y) => y.count - x.count)) lines.push(`    ${String(e.count).padStart(6)}  ${e.severity.padEnd(6)} ${e.summary}`);
  return lines;
}

function detailTable(a: Analysis): string[] {
  const lines: string[] = [];
  for (const [key, d] of a.dirs) {
    lines.push(`  ${key}: ${d.frames} frames; previous segment not captured ${d.lostSegment}, ACKed unseen segment ${d.ackLostSegment}`);
  }
  return lines;
}

test(`tshark: kernel curl GET + POST ${SIZE / MB} MB to synack's http server under ${LOSS * 100}% iptables loss each way: ` +
  'no malformed packets, no ACKed unseen segment, gaps only where iptables dropped', { timeout: 180_000 }, async (t: TestContext) => {
  const skip = interopSkipReason(['curl', 'ss', 'iptables', 'tcpdump', 'tshark']);
  if (skip) return t.skip(skip);
  let failed = true;
  const ns = new Netns('w');
  const tmp = mkdtempSync(join(tmpdir(), 'synack-interop-'));
  const label = 'tshark-loss';
  const devPcap = artifact(`${label}-dev`, 'pcap');
  const synackPcap = artifact(`${label}-synack`, 'pcap');
  const dropPcap = artifact(`${label}-nflog`, 'pcap');
  const logFile = artifact(`${label}-server`, 'log');
  const report = artifact(`${label}-report`, 'txt');
  let server: SynackServer | undefined;
  const captures: Tcpdump[] = [];
  const started = Date.now();
  try {
    const net = subnet(4);
    const dev = uniqueName('d');
    addKernelLoss(ns, dev);
    // As in loss.test.ts: RFC 1337 protection keeps the kernel's TIME-WAIT from ending on a RST.
    ns.execSync('sysctl', ['-qw', 'net.ipv4.tcp_rfc1337=1']);
    server = await startSynackServer(ns, { dev, net, mtu: 1500, port: 80, mode: 'http', pcap: synackPcap });
    captures.push(await startTcpdump(ns, dev, devPcap, 128));
    captures.push(await startTcpdump(ns, `nflog:${NFLOG_GROUP}`, dropPcap, 512));

    const out = join(tmp, 'get.bin');
    const g = await ns.run('curl', ['-sS', '--max-time', '100', '-o', out, '-w', '%{time_total}', `http://${net.urlHost}/bytes/${SIZE}`],
      { timeoutMs: 110_000 });
    assert.equal(g.code, 0, `curl GET: ${g.stderr}`);
    const body = readFileSync(out);
    rmSync(out);
    assert.equal(body.length, SIZE);
    assert.equal(sha256(body), payloadSha256(SIZE), 'GET body SHA-256');
    const getSecs = Number(g.stdout.toString());

    const data = patternBytes(SIZE, 2024);
    const file = join(tmp, 'post.bin');
    writeFileSync(file, data);
    const p = await ns.run('curl', ['-sS', '--max-time', '100', '--data-binary', `@${file}`, '-H', 'content-type: application/octet-stream',
      '-w', '\n%{time_total}', `http://${net.urlHost}/sha256`], { timeoutMs: 110_000 });
    rmSync(file);
    assert.equal(p.code, 0, `curl POST: ${p.stderr}`);
    const [digest, postSecs] = p.stdout.toString().split('\n');
    assert.equal(digest, sha256(data), 'POST /sha256 digest');

    const rows = await settledSockets(ns, 80, 15_000);
    assert.deepEqual(stateCounts(rows), { 'TIME-WAIT': 2 }, JSON.stringify(rows));
    assert.deepEqual(await synackSettled(server, 15_000), {}, 'synack connection states');

    const drops = dropCounters(ns);
    const [devStats, dropStats] = [await stopTcpdump(captures[0]), await stopTcpdump(captures[1])];
    const tunDrops = ns.execSync('ip', ['-s', '-j', 'link', 'show', 'dev', dev]);
    await server.stop(); // closes synack's pcap
    const transferSecs = (Date.now() - started) / 1000;
    t.diagnostic(`GET ${getSecs.toFixed(1)} s, POST ${Number(postSecs).toFixed(1)} s; iptables dropped ${drops.input} synack->kernel ` +
      `(INPUT), ${drops.output} kernel->synack (OUTPUT); tcpdump captured ${devStats.captured}`);
    // An overrun capture would make Wireshark see "unseen" segments that synack did send.
    assert.equal(devStats.dropped, 0, `tcpdump on ${dev} lost packets: ${captures[0].stderr()}`);
    assert.equal(dropStats.dropped, 0, `tcpdump on nflog lost packets: ${captures[1].stderr()}`);
    assert.ok(drops.input > 0 && drops.output > 0, 'iptables dropped nothing: the test tested nothing');

    const analysisStarted = Date.now();
    const dropped = await droppedSegments(dropPcap);
    // Every drop was logged: NFLOG saw exactly what the iptables counters counted.
    assert.equal(dropped.packets, drops.input + drops.output, 'NFLOG packets vs iptables drop counters');
    const outputDrops = new Map([...dropped.all].filter(([k]) => k.startsWith(`${net.kernel}:`)));
    const tunTx = (JSON.parse(tunDrops) as { stats64?: { tx?: { dropped?: number } } }[])[0]?.stats64?.tx?.dropped ?? 0;

    // tshark's verdict per direction: synack -> kernel (from port 80) and everything else.
    const views = [{ name: `tcpdump -i ${dev} (kernel's view)`, file: devPcap }, { name: "synack --pcap (synack's view)", file: synackPcap }];
    const dirs = [{ name: 'synack -> kernel', filter: 'tcp.srcport==80' }, { name: 'kernel -> synack (and anything not from port 80)', filter: '!(tcp.srcport==80)' }];
    const experts = await Promise.all(views.flatMap((v) => dirs.map((d) => expertInfos(v.file, d.filter))));
    const raw = views.map((v) => readRawPcap(v.file));
    const lines: string[] = [];
    const details: (Analysis | undefined)[] = [];
    for (const [vi, v] of views.entries()) {
      lines.push(`${v.name}: ${raw[vi].frames} frames`);
      for (const [di, d] of dirs.entries()) lines.push(...formatExperts(d.name, experts[vi * 2 + di]));
      // Anything to explain or blame: read every packet for frame numbers and tshark's words.
      const worrying = experts.slice(vi * 2, vi * 2 + 2).map(verdict).some((x) => x.errors || x.lostSegment || x.ackLostSegment);
      details.push(undefined);
      if (worrying) {
        const a = await analyze(v.file, net.kernel, outputDrops);
        details[vi] = a;
        lines.push(`  gaps every byte of which iptables OUTPUT dropped: ${a.explainedGaps}`, ...detailTable(a), ...a.problems.slice(0, 50).map((p) => `  ${p}`));
      }
    }
    lines.push(`iptables drops: INPUT ${drops.input}, OUTPUT ${drops.output}; NFLOG: ${dropped.packets}; TUN tx dropped: ${tunTx}`);
    writeArtifact(report, lines.join('\n'));
    for (const line of lines) t.diagnostic(line);

    for (const [vi, v] of views.entries()) {
      const [sk, ks] = [verdict(experts[vi * 2]), verdict(experts[vi * 2 + 1])];
      const a = details[vi];
      const why = a ? `:\n${a.problems.slice(0, 20).join('\n')}` : '';
      assert.equal(sk.errors + ks.errors, 0, `${v.name}: expert errors (malformed packet, bad checksum)${why}`);
      assert.equal(sk.ackLostSegment + ks.ackLostSegment, 0, `${v.name}: ACKed unseen segment${why}`);
      assert.equal(sk.lostSegment, 0, `${v.name}: synack -> kernel gaps (iptables drops them only after the capture point)${why}`);
      assert.equal(ks.lostSegment, a?.explainedGaps ?? 0, `${v.name}: kernel -> synack gaps not explained by iptables OUTPUT drops${why}`);
      assert.deepEqual(a?.problems.slice(0, 50) ?? [], [], `${v.name}: ${a?.problems.length} problems`);
    }
    // Every data segment dropped on its way into the kernel was sent again by synack.
    const devSegs = new Map<string, PcapSeg[]>();
    for (const x of raw[0].segs) {
      const list = devSegs.get(x.key);
      if (list) list.push(x);
      else devSegs.set(x.key, [x]);
    }
    for (const [key, segs] of dropped.all) {
      if (key.startsWith(`${net.kernel}:`)) continue;
      const missing = unrepaired(segs, devSegs.get(key) ?? []);
      assert.deepEqual(missing.map((x) => `nflog frame ${x.frame} seq_raw ${x.seqRaw} len ${x.len}`), [],
        `${key}: dropped data segments synack never sent again`);
    }
    // Both ends of the TUN device saw the same packets (unless the device's queue dropped some).
    if (tunTx === 0) assert.equal(raw[1].frames, raw[0].frames, 'frames in synack pcap vs tcpdump');
    t.diagnostic(`runtime ${((Date.now() - started) / 1000).toFixed(1)} s: transfers and settling ${transferSecs.toFixed(1)} s, ` +
      `tshark ${((Date.now() - analysisStarted) / 1000).toFixed(1)} s`);
    failed = false;
  } finally {
    for (const c of captures) await killAndWait(c.proc, 'SIGINT', 5000);
    await server?.stop();
    if (server && failed) writeArtifact(logFile, server.stderr());
    const kept = [...settleArtifacts([devPcap, synackPcap, dropPcap, logFile, report], failed), ...(await ns.cleanup(failed))];
    rmSync(tmp, { recursive: true, force: true });
    if (kept.length) t.diagnostic(`kept: ${kept.join(', ')}`);
  }
});
