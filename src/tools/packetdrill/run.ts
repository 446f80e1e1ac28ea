// The packetdrill executor: owns a virtual clock, drives one HostStack through a fake interface,
// injects the script's inbound packets, checks the stack's outbound packets, and maps system
// calls onto the stack's SocketLayer.
//
// What is checked strictly: flags, sequence and acknowledgement numbers (relative to the first
// SYN in each direction, as packetdrill does), payload length, SACK blocks, MSS, timing (within
// --tolerance_usecs), system call results and errnos, and the presence or absence of every
// packet. What is compared leniently (implementation choices, not RFC rules), always listed in
// the result: option order and padding (options compared as a set), the advertised window, the
// window-scale shift, timestamp values, and socket-buffer sizes reported by getsockopt; and PSH
// on segments joined to match one TSO packet (where Linux ends a TSO skb is its sizing).
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { VirtualScheduler } from '../../sim/scheduler.js';
import { HostStack } from '../../stack/host.js';
import { SocketError, type Errno, type SockOpt } from '../../stack/types.js';
import { ERRNO, errnoName } from '../../stack/errno.js';
import type { LinkPort } from '../../link/types.js';
import type { ConnectionConfig, TcpState } from '../../tcp/types.js';
import { ACK, CWR, ECE, FIN, PSH, RST, SYN, URG, flagString, type TcpOption } from '../../wire/types.js';
import { buildIcmpPacket, buildTcpPacket, parsePacket, type Packet } from '../../wire/packet.js';
import { parseAddr } from '../../wire/addr.js';
import { quoteOf } from '../../wire/icmp.js';
import {
  formatPacketSpec,
  parseScript,
  ParseError,
  type Expr,
  type IcmpPacketSpec,
  type PacketOption,
  type Script,
  type ScriptEvent,
  type SyscallSpec,
  type TcpPacketSpec,
} from './parse.js';
import {
  applySysctl,
  effectiveConfig,
  findDefaults,
  FREEBSD_PROFILE,
  FREEBSD_STATE,
  LINUX_BASE_PROFILE,
  readLinuxDefaults,
  Unsupported,
  type Dialect,
  type Profile,
} from './dialect.js';
import { interpretCommand, type ShellStep } from './commands.js';
import { checkPython, evalPython } from './python.js';

export type Verdict = 'PASS' | 'FAIL' | 'UNSUPPORTED';

export interface ScriptResult {
  file: string;
  verdict: Verdict;
  /** FAIL: the script line; UNSUPPORTED: the line of the construct when known. */
  line?: number;
  /** FAIL: "expected ... got ..."; UNSUPPORTED: the reason. */
  message?: string;
  /** Lenient comparisons that were applied (shown with the result). */
  lenient: string[];
  /** --verbose: one line per event and packet. */
  log: string[];
  realMs: number;
  dialect: Dialect;
}

export interface RunOptions {
  /** Collect a per-event log. */
  verbose?: boolean;
  /** Real-time cap per script, ms (default 2000). */
  realTimeCapMs?: number;
  /** Names for #ifdef (default ['STANDARD']). */
  defines?: string[];
  /** Extra stack options (tests). */
  tcp?: Partial<ConnectionConfig>;
}

/** Comparisons the runner makes leniently (listed in every result and in the CLI output). */
export const LENIENT = ['options order', 'window', 'wscale shift', 'TS values', 'socket buffer sizes'];

class Failure extends Error {
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(message);
  }
}

class RealTimeExceeded extends Error {}

// ---- constants for system-call arguments -----------------------------------------------------

const O_RDWR = 2;
const O_NONBLOCK = 0x800;
const CONSTS: Record<string, number> = {
  O_RDONLY: 0,
  O_WRONLY: 1,
  O_RDWR,
  O_NONBLOCK,
  F_GETFL: 3,
  F_SETFL: 4,
  SOCK_STREAM: 1,
  IPPROTO_TCP: 6,
  IPPROTO_IP: 0,
  IPPROTO_IPV6: 41,
  // RFC 2474 class selector code points, as the TOS byte (<netinet/ip.h> IPTOS_DSCP_CSn).
  IPTOS_DSCP_CS0: 0x00,
  IPTOS_DSCP_CS1: 0x20,
  IPTOS_DSCP_CS2: 0x40,
  IPTOS_DSCP_CS3: 0x60,
  IPTOS_DSCP_CS4: 0x80,
  IPTOS_DSCP_CS5: 0xa0,
  IPTOS_DSCP_CS6: 0xc0,
  IPTOS_DSCP_CS7: 0xe0,
  SOL_SOCKET: 1,
  SOL_TCP: 6,
  AF_INET: 2,
  AF_INET6: 10,
  PF_INET: 2,
  PF_INET6: 10,
  MSG_PEEK: 2,
  MSG_DONTWAIT: 0x40,
  MSG_MORE: 0x8000,
  SHUT_RD: 0,
  SHUT_WR: 1,
  SHUT_RDWR: 2,
  POLLIN: 0x1,
  POLLPRI: 0x2,
  POLLOUT: 0x4,
  POLLERR: 0x8,
  POLLHUP: 0x10,
  POLLNVAL: 0x20,
  POLLRDNORM: 0x40,
  POLLWRNORM: 0x100,
  POLLRDHUP: 0x2000,
  FIONREAD: 0x541b,
  SIOCINQ: 0x541b,
};
for (const [k, v] of Object.entries(ERRNO)) CONSTS[k] = v;

const SOCKOPTS: Record<string, SockOpt> = {
  SO_REUSEADDR: 'SO_REUSEADDR',
  SO_REUSEPORT: 'SO_REUSEPORT',
  SO_RCVBUF: 'SO_RCVBUF',
  SO_SNDBUF: 'SO_SNDBUF',
  SO_KEEPALIVE: 'SO_KEEPALIVE',
  SO_LINGER: 'SO_LINGER',
  SO_ERROR: 'SO_ERROR',
  TCP_NODELAY: 'TCP_NODELAY',
  TCP_MAXSEG: 'TCP_MAXSEG',
  TCP_KEEPIDLE: 'TCP_KEEPIDLE',
  TCP_KEEPINTVL: 'TCP_KEEPINTVL',
  TCP_KEEPCNT: 'TCP_KEEPCNT',
  TCP_USER_TIMEOUT: 'TCP_USER_TIMEOUT',
  TCP_CORK: 'TCP_CORK',
  SO_RCVLOWAT: 'SO_RCVLOWAT',
  TCP_NOTSENT_LOWAT: 'TCP_NOTSENT_LOWAT',
  TCP_NOOPT: 'TCP_NOOPT',
  TCP_KEEPINIT: 'TCP_KEEPINIT',
  IP_TOS: 'IP_TOS',
  IP_TTL: 'IP_TTL',
  IPV6_TCLASS: 'IPV6_TCLASS',
  IPV6_UNICAST_HOPS: 'IPV6_UNICAST_HOPS',
};

/** IP header fields a packet line may name: `(tos 0x20)` / `(class 0x20)` the whole TOS /
 *  Traffic Class byte, `(ttl 4)` / `(hlim 4)` the TTL / hop limit. Inbound: sent so; outbound:
 *  checked strictly. */
const IP_ATTRS: Record<string, 'tos' | 'ttl'> = { tos: 'tos', class: 'tos', ttl: 'ttl', hlim: 'ttl' };

function ipAttrFields(attrs: Record<string, number> | undefined): { tos?: number; ttl?: number } {
  const f: { tos?: number; ttl?: number } = {};
  for (const [k, v] of Object.entries(attrs ?? {})) f[IP_ATTRS[k]] = v;
  return f;
}

/** `[noecn]`, `[ect1]`, `[ect0]`, `[ce]` and `[ect01]` (either ECT codepoint): the IP header's
 *  ECN field (RFC 3168 5). Inbound: sent so (over the TOS byte's low bits); outbound: checked
 *  (unchecked when not written, as packetdrill's ECN_NOCHECK). */
const ECN_CODEPOINTS: Record<string, number[]> = { noecn: [0], ect1: [1], ect0: [2], ce: [3], ect01: [1, 2] };
const ECN_NAMES = ['noecn', 'ect1', 'ect0', 'ce'];

function ecnMismatch(name: string, p: Packet): string | null {
  const got = p.ip.version === 4 ? p.ip.ecn : p.ip.trafficClass & 3;
  return ECN_CODEPOINTS[name].includes(got) ? null : `ECN [${ECN_NAMES[got]}] instead of [${name}]`;
}

/** The first named IP header field the packet does not carry, or null. */
function ipAttrMismatch(attrs: Record<string, number>, p: Packet): string | null {
  const tos = p.ip.version === 4 ? (p.ip.dscp << 2) | p.ip.ecn : p.ip.trafficClass;
  for (const [k, want] of Object.entries(attrs)) {
    const got = IP_ATTRS[k] === 'tos' ? tos : p.ttl;
    const hex = (x: number): string => (IP_ATTRS[k] === 'tos' ? `0x${x.toString(16)}` : String(x));
    if (got !== want) return `${k} ${hex(got)} instead of ${hex(want)}`;
  }
  return null;
}

const SYSCALLS = new Set([
  'socket', 'bind', 'listen', 'accept', 'connect', 'read', 'recv', 'recvfrom', 'write', 'send', 'sendto', 'sendmsg',
  'close', 'shutdown', 'setsockopt', 'getsockopt', 'fcntl', 'poll', 'ioctl',
]);

const FLAG_BITS: Record<string, number> = { S: SYN, F: FIN, R: RST, P: PSH, '.': ACK, E: ECE, W: CWR, U: URG };

function flagBits(s: string): number {
  let f = 0;
  for (const ch of s) f |= FLAG_BITS[ch] ?? 0;
  return f;
}

/** Flag string in the script's own style ("S.", "F.", "R", ".", "P."). */
function pdFlags(f: number): string {
  const s = flagString(f);
  return s === 'none' ? '-' : s;
}

const u32 = (x: number): number => x >>> 0;
const usToMs = (us: number): number => us / 1000;
const fmtT = (ms: number): string => (ms / 1000).toFixed(3);

// ---- static support check --------------------------------------------------------------------

function exprIdents(e: Expr, out: string[] = []): string[] {
  switch (e.t) {
    case 'ident':
      out.push(e.name);
      break;
    case 'array':
    case 'struct':
      e.items.forEach((i) => exprIdents(i, out));
      break;
    case 'call':
      out.push(e.name);
      e.args.forEach((i) => exprIdents(i, out));
      break;
    case 'binop':
    case 'assign':
      exprIdents(e.l, out);
      exprIdents(e.r, out);
      break;
    case 'neg':
      exprIdents(e.e, out);
      break;
    default:
      break;
  }
  return out;
}

function checkSupport(script: Script, scriptDir: string): void {
  const o = script.options;
  for (const k of Object.keys(o)) {
    if (k === 'udp_encapsulation') throw new Unsupported('UDP encapsulation (--udp_encapsulation)');
    if (k === 'tcp_md5_secret') throw new Unsupported('TCP MD5 signatures (--tcp_md5_secret)');
    if (k === 'non_fatal') throw new Unsupported('--non_fatal (errors that do not fail the script)');
    if (!['ip_version', 'tolerance_usecs', 'mtu', 'mss', 'local_ip', 'remote_ip', 'strict_segments', 'tcp_ts_tick_usecs', 'tcp_ts_ecr_scaled'].includes(k)) {
      throw new Unsupported(`option --${k}`);
    }
  }
  const ipv = o.ip_version;
  if (ipv !== undefined && ipv !== 'ipv4' && ipv !== 'ipv6') throw new Unsupported(`--ip_version=${String(ipv)}`);
  const profile: Profile = { config: {} };
  for (const ev of script.events) {
    const a = ev.action;
    const at = (msg: string): never => {
      throw Object.assign(new Unsupported(msg), { line: ev.line });
    };
    if (a.kind === 'tcp') {
      if (a.ecn && !ECN_CODEPOINTS[a.ecn]) at(`ECN codepoint [${a.ecn}]`);
      if (a.ecn === 'ect01' && a.dir === 'in') at('inbound [ect01] (which codepoint to send?)');
      if (/U/.test(a.flags) || a.urg !== undefined) at('urgent data (URG)');
      for (const k of Object.keys(a.ipAttrs ?? {})) if (!IP_ATTRS[k]) at(`IP header field (${k} ...)`);
      if (a.udp) at('UDP encapsulation');
      for (const opt of a.options ?? []) {
        if (opt.kind === 'md5') at('TCP MD5 option');
        if (opt.kind === 'fastopen') at('TCP Fast Open option');
        if (opt.kind === 'unknown') at(`TCP option '${opt.text}'`);
        if (opt.kind === 'ts' && a.dir === 'in' && opt.val === null) at('inbound TS val ...');
      }
      if (a.dir === 'in' && a.seq === null) at('inbound packet with ... sequence number');
      if (a.dir === 'in' && a.anyOptions) at('inbound packet with <...> options');
    } else if (a.kind === 'icmp') {
      if (a.dir === 'out') at('outbound ICMP');
      if (a.ipAttrs) at('IP header fields on ICMP');
      icmpTypeCode(a, ipv === 'ipv6' ? 6 : 4); // throws Unsupported for unknown names
    } else if (a.kind === 'syscall') {
      if (!SYSCALLS.has(a.name)) at(`system call ${a.name}()`);
      const ids = exprIdents({ t: 'array', items: a.args });
      for (const id of ids) {
        if (/^MSG_/.test(id) && id !== 'MSG_PEEK' && id !== 'MSG_DONTWAIT' && id !== 'MSG_MORE') at(`send/recv flag ${id}`);
        if ((a.name === 'setsockopt' || a.name === 'getsockopt') && /^(SO|TCP|IP|IPV6)_/.test(id) && !SOCKOPTS[id]) {
          at(`socket option ${id}`);
        }
      }
      if ((a.name === 'setsockopt' || a.name === 'getsockopt') && a.args[2]?.t === 'ident' && !SOCKOPTS[a.args[2].name]) {
        at(`socket option ${a.args[2].name}`);
      }
      if (a.name === 'ioctl' && !(a.args[1]?.t === 'ident' && (a.args[1].name === 'FIONREAD' || a.args[1].name === 'SIOCINQ'))) {
        at('ioctl other than FIONREAD/SIOCINQ');
      }
      if (a.name === 'fcntl' && !(a.args[1]?.t === 'ident' && (a.args[1].name === 'F_GETFL' || a.args[1].name === 'F_SETFL'))) {
        at('fcntl other than F_GETFL/F_SETFL');
      }
    } else if (a.kind === 'command') {
      let steps: ShellStep[];
      try {
        steps = interpretCommand(a.text);
      } catch (e) {
        if (e instanceof Unsupported) at(e.reason);
        throw e;
      }
      for (const s of steps) {
        try {
          if (s.kind === 'sysctl') for (const [n, v] of s.settings) applySysctl(profile, n, v);
          if (s.kind === 'defaults') {
            if (!findDefaults(scriptDir, s.path, existsSync, resolve)) at(`Linux profile ${s.path} not found`);
          }
          if (s.kind === 'tcpdrop' && !FREEBSD_STATE[s.state]) at(`tcpdrop -s ${s.state}`);
          if (s.kind === 'sockstat' && !FREEBSD_STATE[s.query.state]) at(`sockstat state ${s.query.state}`);
        } catch (e) {
          if (e instanceof Unsupported) at(e.reason);
          throw e;
        }
      }
    } else if (a.kind === 'python') {
      const why = checkPython(a.code);
      if (why) at(why);
    }
  }
}

// ---- ICMP names ------------------------------------------------------------------------------

const ICMP4: Record<string, { type: number; codes: Record<string, number> }> = {
  unreachable: {
    type: 3,
    codes: {
      net_unreachable: 0, host_unreachable: 1, protocol_unreachable: 2, port_unreachable: 3, frag_needed: 4,
      source_route_failed: 5, net_unknown: 6, host_unknown: 7, source_host_isolated: 8, net_prohibited: 9,
      host_prohibited: 10, net_unreachable_for_tos: 11, host_unreachable_for_tos: 12, packet_filtered: 13,
      precedence_violation: 14, precedence_cutoff: 15,
    },
  },
  source_quench: { type: 4, codes: {} },
  redirect: { type: 5, codes: { net: 0, host: 1 } },
  time_exceeded: { type: 11, codes: { ttl_exceeded_in_transit: 0, frag_reass_exceeded: 1 } },
  parameter_problem: { type: 12, codes: { code_0: 0, code_1: 1, code_2: 2 } },
};

const ICMP6: Record<string, { type: number; codes: Record<string, number> }> = {
  unreachable: {
    type: 1,
    codes: { no_route: 0, admin_prohibited: 1, not_neighbour: 2, beyond_scope: 2, address_unreachable: 3, port_unreachable: 4 },
  },
  packet_too_big: { type: 2, codes: {} },
  time_exceeded: { type: 3, codes: { exceeded_hop_limit: 0, exceeded_frag_time: 1 } },
  parameter_problem: { type: 4, codes: { header_field: 0, unknown_next_header: 1, unknown_option: 2 } },
};

function icmpTypeCode(a: IcmpPacketSpec, family: 4 | 6): { type: number; code: number } {
  const table = family === 4 ? ICMP4 : ICMP6;
  const t = table[a.type];
  if (!t) throw new Unsupported(`ICMPv${family === 4 ? 4 : 6} type ${a.type}`);
  if (a.code === undefined) return { type: t.type, code: 0 };
  const c = t.codes[a.code];
  if (c === undefined) throw new Unsupported(`ICMPv${family === 4 ? 4 : 6} ${a.type} code ${a.code}`);
  return { type: t.type, code: c };
}

// ---- the runner ------------------------------------------------------------------------------

interface Outbound {
  t: number;
  bytes: Uint8Array;
  pkt: Packet | null;
  error?: string;
}

interface Outcome {
  ret: number;
  errno?: Errno;
  /** Extra checks once the call returns (getsockopt values, poll revents...). */
  check?: () => string | null;
}

interface Pending {
  ev: ScriptEvent;
  call: SyscallSpec;
  startMs: number;
  endMs: number;
  attempt: () => Outcome | null;
}

const REMOTE_ISN = 2_000_000_000; // the script's ISN (any value works; not 0 to catch mix-ups)
const LOCAL_PORT = 8080; // bind(..., ...) binds here, as packetdrill does
const REMOTE_PORT = 8080; // connect(..., ...) connects here
const REMOTE_EPHEMERAL = 48_898; // the script's port for passive opens
const ANY_TIME_CAP_MS = 600_000; // `*` waits at most this long for a packet
const END_GRACE_MS = 600_000;

class Runner {
  readonly sched = new VirtualScheduler(0);
  readonly host: HostStack;
  readonly out: Outbound[] = [];
  readonly log: string[] = [];
  readonly lenientUsed = new Set<string>();
  readonly family: 4 | 6;
  readonly localAddr: string;
  readonly remoteAddr: string;
  readonly localBytes: Uint8Array;
  readonly remoteBytes: Uint8Array;
  readonly tolMs: number;
  readonly profile: Profile;
  readonly dialect: Dialect;
  readonly fdMap = new Map<number, number>(); // script fd -> stack fd
  readonly nonblock = new Set<number>(); // stack fds
  readonly pending: Pending[] = [];
  localIsn: number | undefined;
  tsOffset: number | undefined;
  localPort = LOCAL_PORT;
  remotePort = REMOTE_EPHEMERAL;
  lastFd: number | undefined;
  readonly started = performance.now();

  constructor(
    readonly script: Script,
    readonly scriptDir: string,
    readonly opts: RunOptions,
  ) {
    const o = script.options;
    this.family = o.ip_version === 'ipv6' ? 6 : 4;
    this.localAddr = typeof o.local_ip === 'string' ? o.local_ip : this.family === 4 ? '192.168.0.1' : 'fd3d:a0b:17d6::1';
    this.remoteAddr = typeof o.remote_ip === 'string' ? o.remote_ip : this.family === 4 ? '192.0.2.1' : 'fd3d:fa7b:d17d::1';
    const l = parseAddr(this.localAddr);
    const r = parseAddr(this.remoteAddr);
    if (!l || !r || l.family !== this.family || r.family !== this.family) throw new Unsupported('--local_ip/--remote_ip of another family');
    this.localBytes = l.bytes;
    this.remoteBytes = r.bytes;
    this.tolMs = usToMs(typeof o.tolerance_usecs === 'string' ? Number(o.tolerance_usecs) : 4000);
    this.dialect = detectDialect(script);
    this.profile = {
      config: { ...(this.dialect === 'freebsd' ? FREEBSD_PROFILE : this.dialect === 'linux' ? LINUX_BASE_PROFILE : {}), ...(opts.tcp ?? {}) },
      // FreeBSD's icmp_may_rst defaults to 1; Linux aborts a connection still opening on any
      // ICMP error (tcp_v4_err, RFC 5461).
      icmpAbortsOpen: this.dialect === 'freebsd' ? 'bsd' : this.dialect === 'linux' ? 'rfc5461' : undefined,
    };
    const mtu = typeof o.mtu === 'string' ? Number(o.mtu) : 1500;
    const port: LinkPort = {
      send: (bytes) => this.onOutput(bytes),
      onReceive: null,
      mtu,
    };
    // The FreeBSD suite's `#ifdef STANDARD` branches describe RFC 9293's own text; for a SYN in
    // TIME-WAIT that is 3.10.7.4 (fourth): a new connection only "if the Timestamp Option is used
    // and meets expectations" (RFC 6191). Otherwise the stack's default (Linux/BSD: a higher
    // sequence number also reopens) applies.
    const standard = this.dialect === 'freebsd' && (opts.defines ?? ['STANDARD']).includes('STANDARD');
    this.host = new HostStack({
      name: 'packetdrill', scheduler: this.sched, rng: 'packetdrill', tcp: this.profile.config, loopback: true,
      timeWaitReopen: standard ? 'timestamps' : true,
    });
    // packetdrill's tun device: the local address with netmask 255.255.0.0 (IPv4) or /64 (IPv6);
    // the remote (script) address is reached through it.
    this.host.addInterface({ name: 'tun0', port, addresses: [`${this.localAddr}/${this.family === 4 ? 16 : 64}`] });
    this.host.addRoute(this.family === 4 ? '0.0.0.0/0' : '::/0', 'tun0');
  }

  // ---- infrastructure ----

  private onOutput(bytes: Uint8Array): void {
    const r = parsePacket(bytes, { verifyChecksums: true });
    const t = this.sched.now();
    if (!r.ok) this.out.push({ t, bytes, pkt: null, error: `${r.error.layer} ${r.error.field}: ${r.error.reason}` });
    else {
      // The stack's ISN: relative to its first SYN (a new connection's SYN replaces it).
      if (r.value.tcp && r.value.tcp.flags & SYN) this.localIsn = r.value.tcp.seq;
      this.out.push({ t, bytes, pkt: r.value });
      if (this.opts.verbose) this.log.push(`${fmtT(t)} out ${this.describe(r.value)}`);
    }
  }

  private checkRealTime(): void {
    if (performance.now() - this.started > (this.opts.realTimeCapMs ?? 2000)) throw new RealTimeExceeded();
  }

  private applyConfig(): void {
    const cfg = effectiveConfig(this.profile);
    Object.assign(this.host.tcpDefaults, cfg);
    this.host.dropSynFin = this.profile.dropSynFin ?? false;
    this.host.icmpAbortsOpen = this.profile.icmpAbortsOpen ?? 'rfc1122';
    this.host.limits.notsentLowat = this.profile.notsentLowat ?? 0xffffffff;
  }

  /** Runs stack timers up to `t`, completing blocking calls as they become ready. */
  private advanceTo(t: number): void {
    for (;;) {
      this.checkRealTime();
      const d = this.sched.nextDeadline();
      if (d === null || d > t) break;
      this.sched.step();
      this.completePending();
    }
    if (t > this.sched.now()) this.sched.runUntil(t);
    this.completePending();
  }

  /** Advances until an outbound packet is queued or `hi` is reached. */
  private waitForPacket(hi: number): Outbound | undefined {
    while (this.out.length === 0) {
      this.checkRealTime();
      const d = this.sched.nextDeadline();
      if (d === null || d > hi) {
        if (hi > this.sched.now() && Number.isFinite(hi)) this.sched.runUntil(hi);
        break;
      }
      this.sched.step();
      this.completePending();
    }
    return this.out[0];
  }

  private fail(ev: ScriptEvent, msg: string): never {
    throw new Failure(ev.line, msg);
  }

  // ---- sequence-number mapping ----

  private rel(seqAbs: number, isn: number | undefined): number {
    return u32(seqAbs - (isn ?? 0));
  }

  describe(p: Packet): string {
    if (!p.tcp) return p.icmp ? `icmp type ${p.icmp.type} code ${p.icmp.code}` : `protocol ${p.protocol}`;
    const t = p.tcp;
    const s = this.rel(t.seq, this.localIsn);
    let d = `${pdFlags(t.flags)} ${s}:${u32(s + t.payload.length)}(${t.payload.length})`;
    if (t.flags & ACK) d += ` ack ${this.rel(t.ack, REMOTE_ISN)}`;
    d += ` win ${t.window}`;
    const opts = this.formatActualOptions(t.options);
    if (opts) d += ` <${opts}>`;
    return d;
  }

  private formatActualOptions(list: TcpOption[]): string {
    return list
      .map((o) => {
        switch (o.kind) {
          case 'mss':
            return `mss ${o.value}`;
          case 'wscale':
            return `wscale ${o.shift}`;
          case 'sackPermitted':
            return 'sackOK';
          case 'sack':
            return `sack ${o.blocks.map(([a, b]) => `${this.rel(a, REMOTE_ISN)}:${this.rel(b, REMOTE_ISN)}`).join(' ')}`;
          case 'timestamp':
            return `TS val ${o.val} ecr ${o.ecr}`;
          case 'nop':
            return 'nop';
          case 'eol':
            return 'eol';
          default:
            return `opt${o.type}`;
        }
      })
      .join(',');
  }

  // ---- outbound packets ----

  private expectOutbound(ev: ScriptEvent, spec: TcpPacketSpec, t: number, tEnd: number | undefined): number {
    const any = ev.time.kind === 'any';
    const lo = any ? -Infinity : t - this.tolMs;
    const hi = any ? this.sched.now() + ANY_TIME_CAP_MS : (tEnd ?? t) + this.tolMs;
    const first = this.waitForPacket(hi);
    const want = formatPacketSpec(spec);
    if (!first) {
      // Look further ahead only to say what happened instead: a late packet, or none at all.
      const later = any ? undefined : this.waitForPacket(hi + 60_000);
      if (later?.pkt) this.fail(ev, `expected ${want} at ${fmtT(t)} (tolerance ${this.tolMs} ms), got ${this.describe(later.pkt)} late at ${fmtT(later.t)}`);
      this.fail(ev, `expected ${want} at ${fmtT(t)}, got no packet by ${fmtT(hi)} (missing packet)`);
    }
    if (!first.pkt) this.fail(ev, `expected ${want}, got a malformed packet from the stack (${first.error})`);
    const p = first.pkt;
    if (!p.tcp) this.fail(ev, `expected ${want}, got ${this.describe(p)}`);
    const tcp = p.tcp;
    if (p.src !== this.localAddr && parseAddr(p.src) && formatIp(p.src) !== formatIp(this.localAddr)) {
      this.fail(ev, `expected a packet from ${this.localAddr}, got one from ${p.src}`);
    }
    this.localPort = tcp.srcPort;
    this.remotePort = tcp.dstPort;
    const got = this.describe(p);
    const mismatch = (what: string): never => this.fail(ev, `expected ${want} got ${got} (${what})`);
    const wantFlags = flagBits(spec.flags);
    let totalLen = tcp.payload.length;
    let consumed = 1;
    let lastFlags = tcp.flags;
    // TSO/GSO: a script written against a kernel that hands large segments to the device may
    // list one packet where the stack sends several MSS-sized ones back to back. Consecutive
    // contiguous segments with the same ack, sent within the tolerance, are joined (unless
    // --strict_segments); PSH/FIN may appear on the last one only.
    if (spec.len > totalLen && totalLen > 0 && spec.seq && !('strict_segments' in this.script.options)) {
      let next = u32(tcp.seq + totalLen);
      for (;;) {
        if (totalLen >= spec.len) break;
        if (this.out.length <= consumed) {
          // Let simultaneous output arrive (same instant).
          this.waitForPacketsAt(consumed + 1, first.t);
          if (this.out.length <= consumed) break;
        }
        const q = this.out[consumed];
        const qt = q.pkt?.tcp;
        if (!qt || qt.seq !== next || qt.ack !== tcp.ack || q.t > hi || (qt.flags & ~(PSH | FIN)) !== (tcp.flags & ~(PSH | FIN))) break;
        totalLen += qt.payload.length;
        next = u32(next + qt.payload.length);
        lastFlags = qt.flags;
        consumed++;
      }
      if (consumed > 1) this.lenientUsed.add('TSO segments joined');
    }
    let flagsSeen = consumed > 1 ? (tcp.flags & ~(PSH | FIN)) | (lastFlags & (PSH | FIN)) : tcp.flags;
    if (consumed > 1 && (flagsSeen & PSH) !== (wantFlags & PSH)) {
      // Linux sets PSH per skb, and where a TSO skb ends is its TSO sizing, not TCP's.
      this.lenientUsed.add('PSH on joined TSO segments');
      flagsSeen = (flagsSeen & ~PSH) | (wantFlags & PSH);
    }
    if (flagsSeen !== wantFlags) mismatch(`flags ${pdFlags(flagsSeen)} instead of ${spec.flags}`);
    // packetdrill: our ISN is random, so a SYN's sequence number is not checked (the script may
    // write `S. 1234:1234(0)`); later numbers count from the ISN as usual.
    if (spec.seq && !(tcp.flags & SYN && !spec.absoluteSeq)) {
      const wantSeq = spec.absoluteSeq ? u32(spec.seq.start) : u32((this.localIsn ?? 0) + spec.seq.start);
      if (tcp.seq !== wantSeq) mismatch(`seq ${spec.absoluteSeq ? tcp.seq : this.rel(tcp.seq, this.localIsn)} instead of ${spec.seq.start}`);
    }
    if (totalLen !== spec.len) mismatch(`payload length ${totalLen} instead of ${spec.len}`);
    if (spec.ack !== undefined) {
      const wantAck = u32(REMOTE_ISN + spec.ack);
      if (tcp.ack !== wantAck) mismatch(`ack ${this.rel(tcp.ack, REMOTE_ISN)} instead of ${spec.ack}`);
    }
    if (spec.win !== undefined && spec.win !== tcp.window) this.lenientUsed.add('window');
    const optErr = this.compareOptions(spec, tcp.options);
    if (optErr) mismatch(optErr);
    const ipErr = spec.ipAttrs ? ipAttrMismatch(spec.ipAttrs, p) : null;
    if (ipErr) mismatch(ipErr);
    const ecnErr = spec.ecn ? ecnMismatch(spec.ecn, p) : null;
    if (ecnErr) mismatch(ecnErr);
    if (first.t < lo) {
      this.fail(ev, `expected ${want} at ${fmtT(t)} (tolerance ${this.tolMs} ms), got it early at ${fmtT(first.t)}`);
    }
    if (first.t > hi) this.fail(ev, `expected ${want} at ${fmtT(t)}, got it late at ${fmtT(first.t)}`);
    this.out.splice(0, consumed);
    return first.t;
  }

  /** Lets the stack run events due at exactly `t` so simultaneous output is queued. */
  private waitForPacketsAt(n: number, t: number): void {
    while (this.out.length < n) {
      const d = this.sched.nextDeadline();
      if (d === null || d > t) return;
      this.sched.step();
    }
  }

  private compareOptions(spec: TcpPacketSpec, actual: TcpOption[]): string | null {
    // packetdrill sets FLAG_OPTIONS_NOCHECK on an outbound packet written without `<...>`: its
    // options (SACK blocks included) are not compared. Written as `<>` or with a list: strict.
    if (spec.anyOptions || spec.options === undefined) return null;
    const want = (spec.options ?? []).filter((o) => o.kind !== 'nop' && o.kind !== 'eol');
    const have = actual.filter((o) => o.kind !== 'nop' && o.kind !== 'eol');
    const wantText = want.map((o) => optName(o)).join(',') || 'none';
    const haveText = have.map((o) => (o.kind === 'unknown' ? `opt${o.type}` : ACTUAL_NAME[o.kind])).join(',') || 'none';
    const layoutDiffers =
      (spec.options ?? []).map((o) => o.kind).join(',') !==
      actual.map((o) => (o.kind === 'sackPermitted' ? 'sackOK' : o.kind === 'timestamp' ? 'ts' : o.kind)).join(',');
    const used = new Set<number>();
    for (const w of want) {
      const idx = have.findIndex((h, i) => !used.has(i) && sameKind(w, h));
      if (idx < 0) return `option ${optName(w)} missing (options ${haveText} instead of ${wantText})`;
      used.add(idx);
      const h = have[idx];
      if (w.kind === 'mss' && h.kind === 'mss' && w.value !== h.value) return `mss ${h.value} instead of ${w.value}`;
      if (w.kind === 'wscale' && h.kind === 'wscale' && w.value !== h.shift) this.lenientUsed.add('wscale shift');
      if (w.kind === 'ts' && h.kind === 'timestamp') {
        if (w.val !== null && this.tsOffset === undefined) this.tsOffset = u32(h.val - w.val);
        if ((w.val !== null && u32(h.val - w.val) !== this.tsOffset) || (w.ecr !== null && w.ecr !== h.ecr)) this.lenientUsed.add('TS values');
      }
      if (w.kind === 'sack' && h.kind === 'sack') {
        const got = h.blocks.map(([a, b]) => `${this.rel(a, REMOTE_ISN)}:${this.rel(b, REMOTE_ISN)}`).join(' ');
        const exp = w.blocks.map(([a, b]) => `${a}:${b}`).join(' ');
        if (got !== exp) return `SACK blocks ${got || 'none'} instead of ${exp}`;
      }
    }
    if (used.size !== have.length) return `unexpected options ${haveText} instead of ${wantText}`;
    if (layoutDiffers && spec.options) this.lenientUsed.add('options order');
    return null;
  }

  // ---- inbound packets ----

  private inject(ev: ScriptEvent, spec: TcpPacketSpec): void {
    const flags = flagBits(spec.flags);
    const ip = ipAttrFields(spec.ipAttrs);
    if (spec.ecn) ip.tos = ((ip.tos ?? 0) & 0xfc) | ECN_CODEPOINTS[spec.ecn][0];
    const seq = spec.absoluteSeq ? u32(spec.seq!.start) : u32(REMOTE_ISN + spec.seq!.start);
    // packetdrill maps the ACK field of an inbound packet with the ACK bit as relative even when
    // the script leaves it out (map_inbound_packet): `< . 1:1001(1000) win 320` carries ack ISS.
    const ack = spec.ack === undefined ? (flags & ACK ? u32(this.localIsn ?? 0) : 0) : u32((this.localIsn ?? 0) + spec.ack);
    const options: TcpOption[] = [];
    for (const o of spec.options ?? []) {
      switch (o.kind) {
        case 'mss':
          options.push({ kind: 'mss', value: o.value });
          break;
        case 'wscale':
          options.push({ kind: 'wscale', shift: o.value });
          break;
        case 'sackOK':
          options.push({ kind: 'sackPermitted' });
          break;
        case 'sack':
          options.push({ kind: 'sack', blocks: o.blocks.map(([a, b]): [number, number] => [u32((this.localIsn ?? 0) + a), u32((this.localIsn ?? 0) + b)]) });
          break;
        case 'ts':
          // The script's TS val is its own clock; its ecr echoes the stack's values in script
          // terms, shifted by the offset learned from the first outbound timestamp.
          options.push({ kind: 'timestamp', val: u32(o.val ?? 0), ecr: u32((o.ecr ?? 0) + (o.ecr ? this.tsOffset ?? 0 : 0)) });
          break;
        case 'nop':
          options.push({ kind: 'nop' });
          break;
        case 'eol':
          options.push({ kind: 'eol' });
          break;
        default:
          throw new Unsupported(`inbound option ${o.kind}`);
      }
    }
    const bytes = buildTcpPacket(this.remoteBytes, this.localBytes, {
      srcPort: this.remotePort,
      dstPort: this.localPort,
      seq,
      ack,
      dataOffset: 5,
      flags,
      window: spec.win ?? 65535,
      checksum: 0,
      urgent: 0,
      options,
      payload: new Uint8Array(spec.len),
    }, ip);
    if (this.opts.verbose) this.log.push(`${fmtT(this.sched.now())} in  ${formatPacketSpec(spec)}`);
    this.deliver(bytes);
  }

  private injectIcmp(ev: ScriptEvent, spec: IcmpPacketSpec): void {
    const { type, code } = icmpTypeCode(spec, this.family);
    const q = spec.quoted ?? { start: 0, end: 0, len: 0 };
    // The quoted datagram: a segment the stack sent (local -> remote), seq in the stack's space.
    const quotedPkt = buildTcpPacket(this.localBytes, this.remoteBytes, {
      srcPort: this.localPort,
      dstPort: this.remotePort,
      seq: u32((this.localIsn ?? 0) + q.start),
      ack: 0,
      dataOffset: 5,
      flags: ACK,
      window: 0,
      checksum: 0,
      urgent: 0,
      options: [],
      payload: new Uint8Array(q.len),
    });
    const body = quoteOf(quotedPkt, this.family);
    const bytes = buildIcmpPacket(this.remoteBytes, this.localBytes, { type, code, mtu: spec.mtu, body });
    if (this.opts.verbose) this.log.push(`${fmtT(this.sched.now())} in  icmp ${spec.type} ${spec.code ?? ''}`);
    this.deliver(bytes);
    void ev;
  }

  private deliver(bytes: Uint8Array): void {
    const iface = this.host.interfaces().find((i) => i.name === 'tun0')!;
    iface.port.onReceive?.(bytes);
  }

  // ---- system calls ----

  private int(e: Expr | undefined, ev: ScriptEvent): number {
    if (!e) this.fail(ev, 'missing argument');
    switch (e.t) {
      case 'int':
        return e.v;
      case 'neg':
        return -this.int(e.e, ev);
      case 'ident': {
        const v = CONSTS[e.name];
        if (v === undefined) throw new Unsupported(`constant ${e.name}`);
        return v;
      }
      case 'binop': {
        const l = this.int(e.l, ev);
        const r = this.int(e.r, ev);
        switch (e.op) {
          case '|':
            return l | r;
          case '&':
            return l & r;
          case '+':
            return l + r;
          case '-':
            return l - r;
          case '*':
            return l * r;
          case '<<':
            return l << r;
          case '>>':
            return l >> r;
          default:
            return l ^ r;
        }
      }
      case 'array':
        if (e.items.length === 1) return this.int(e.items[0], ev);
        break;
      default:
        break;
    }
    throw new Unsupported(`argument ${JSON.stringify(e)}`);
  }

  /** sendmsg's struct msghdr: the bytes in msg_iov. Only msg_name(...)=..., msg_iov and
   *  msg_flags=0 (no ancillary data). */
  private iovLength(e: Expr | undefined, ev: ScriptEvent): number {
    if (e?.t !== 'struct') throw new Unsupported('sendmsg without a struct msghdr');
    let n = 0;
    for (const it of e.items) {
      if (it.t !== 'assign') throw new Unsupported('sendmsg msghdr field');
      const name = it.l.t === 'call' || it.l.t === 'ident' ? it.l.name : '?';
      if (name === 'msg_name' && it.r.t === 'ellipsis') continue;
      if (name === 'msg_flags' && this.int(it.r, ev) === 0) continue;
      if (name !== 'msg_iov' || it.r.t !== 'array') throw new Unsupported(`sendmsg ${name}`);
      for (const v of it.r.items) {
        if (v.t !== 'struct' || v.items.length !== 2 || v.items[0].t !== 'ellipsis') throw new Unsupported('sendmsg iovec');
        n += this.int(v.items[1], ev);
      }
    }
    return n;
  }

  private fd(e: Expr | undefined, ev: ScriptEvent): number {
    const n = this.int(e, ev);
    const fd = this.fdMap.get(n);
    this.lastFd = fd;
    return fd ?? 1_000_000 + n; // an fd the stack never issued: EBADF
  }

  private outcome(fn: () => number | void): Outcome | null {
    try {
      const r = fn();
      return { ret: typeof r === 'number' ? r : 0 };
    } catch (e) {
      if (e instanceof SocketError) {
        if (e.code === 'EAGAIN') return null;
        return { ret: -1, errno: e.code };
      }
      throw e;
    }
  }

  /** Runs a call; a would-block on a blocking socket becomes a pending call. */
  private syscall(ev: ScriptEvent, call: SyscallSpec, t: number): void {
    if (this.opts.verbose) this.log.push(`${fmtT(t)} ${call.name}()`);
    const a = call.args;
    const S = this.host.sockets;
    let attempt: (() => Outcome | null) | null = null;
    let blocking = false;
    let immediate: Outcome | null = null;
    const wouldBlock = (): Outcome => ({ ret: -1, errno: 'EAGAIN' });
    switch (call.name) {
      case 'socket': {
        immediate = this.outcome(() => S.socket(this.family));
        if (immediate && immediate.ret >= 0) {
          const want = this.int(call.result, ev);
          this.fdMap.set(want, immediate.ret);
          const stackFd = immediate.ret;
          immediate = { ret: want };
          this.lastFd = stackFd;
        }
        break;
      }
      case 'bind': {
        const fd = this.fd(a[0], ev);
        immediate = this.outcome(() => S.bind(fd, { addr: this.family === 4 ? '0.0.0.0' : '::', port: LOCAL_PORT }));
        this.localPort = LOCAL_PORT;
        this.remotePort = REMOTE_EPHEMERAL;
        break;
      }
      case 'listen': {
        const fd = this.fd(a[0], ev);
        const backlog = this.int(a[1], ev);
        immediate = this.outcome(() => S.listen(fd, backlog));
        break;
      }
      case 'accept': {
        const fd = this.fd(a[0], ev);
        blocking = !this.nonblock.has(fd);
        attempt = () => {
          const o = this.outcome(() => S.accept(fd).fd);
          if (o && o.ret >= 0) {
            const want = call.result.t === 'int' ? call.result.v : o.ret;
            this.fdMap.set(want, o.ret);
            if (this.dialect === 'freebsd' && this.nonblock.has(fd)) this.nonblock.add(o.ret); // BSD: inherited
            this.lastFd = o.ret;
            return { ret: want };
          }
          return o;
        };
        break;
      }
      case 'connect': {
        const fd = this.fd(a[0], ev);
        blocking = !this.nonblock.has(fd);
        const first = this.outcome(() => S.connect(fd, { addr: this.remoteAddr, port: REMOTE_PORT }));
        try {
          this.localPort = S.localAddress(fd).port;
          this.remotePort = REMOTE_PORT;
        } catch {
          /* EBADF: reported below */
        }
        if (first && first.errno === 'EINPROGRESS' && blocking) {
          attempt = () => {
            const p = S.poll(fd);
            if (p.error) {
              const n = S.getsockopt(fd, 'SO_ERROR');
              return { ret: -1, errno: errnoName(n) ?? 'EINVAL' };
            }
            if (p.writable) return { ret: 0 };
            return null;
          };
        } else immediate = first ?? wouldBlock();
        break;
      }
      case 'read':
      case 'recv':
      case 'recvfrom': {
        const fd = this.fd(a[0], ev);
        const n = this.int(a[2], ev);
        const flags = call.name === 'read' || a[3] === undefined ? 0 : this.int(a[3], ev);
        blocking = !this.nonblock.has(fd) && !(flags & CONSTS.MSG_DONTWAIT);
        attempt = () => this.outcome(() => S.read(fd, n, { peek: (flags & CONSTS.MSG_PEEK) !== 0 }).length);
        break;
      }
      case 'write':
      case 'send':
      case 'sendto':
      case 'sendmsg': {
        const fd = this.fd(a[0], ev);
        const msg = call.name === 'sendmsg';
        const n = msg ? this.iovLength(a[1], ev) : this.int(a[2], ev);
        const fa = msg ? a[2] : a[3];
        const flags = call.name === 'write' || fa === undefined ? 0 : this.int(fa, ev);
        if (flags & ~(CONSTS.MSG_DONTWAIT | CONSTS.MSG_MORE)) throw new Unsupported(`send flags ${flags}`);
        blocking = !this.nonblock.has(fd) && !(flags & CONSTS.MSG_DONTWAIT);
        const more = (flags & CONSTS.MSG_MORE) !== 0;
        let done = 0;
        attempt = () => {
          for (;;) {
            const o = this.outcome(() => S.write(fd, new Uint8Array(n - done), { more }));
            if (o === null) {
              // Would block: a non-blocking socket returns what was written (or EAGAIN).
              if (!blocking) return done > 0 ? { ret: done } : null;
              return null;
            }
            if (o.errno) return done > 0 ? { ret: done } : o;
            done += o.ret;
            if (done >= n || n === 0) return { ret: done };
            if (o.ret === 0) return blocking ? null : { ret: done };
          }
        };
        break;
      }
      case 'close': {
        const fd = this.fd(a[0], ev);
        immediate = this.outcome(() => S.close(fd));
        if (immediate && immediate.ret === 0) {
          const n = this.int(a[0], ev);
          this.fdMap.delete(n);
        }
        break;
      }
      case 'shutdown': {
        const fd = this.fd(a[0], ev);
        const how = this.int(a[1], ev);
        immediate = this.outcome(() => S.shutdown(fd, how === 0 ? 'rd' : how === 1 ? 'wr' : 'rdwr'));
        break;
      }
      case 'fcntl': {
        const fd = this.fd(a[0], ev);
        const cmd = this.int(a[1], ev);
        if (cmd === CONSTS.F_GETFL) {
          immediate = this.outcome(() => {
            S.poll(fd); // EBADF check
            return O_RDWR | (this.nonblock.has(fd) ? O_NONBLOCK : 0);
          });
        } else {
          const flags = this.int(a[2], ev);
          immediate = this.outcome(() => {
            S.poll(fd);
            if (flags & O_NONBLOCK) this.nonblock.add(fd);
            else this.nonblock.delete(fd);
          });
        }
        break;
      }
      case 'setsockopt': {
        const fd = this.fd(a[0], ev);
        const name = a[2]?.t === 'ident' ? a[2].name : '';
        const opt = SOCKOPTS[name];
        if (!opt) throw new Unsupported(`socket option ${name}`);
        const v = a[3];
        let value: number | { onoff: boolean; linger: number };
        if (opt === 'SO_LINGER') {
          if (!v || v.t !== 'struct') throw new Unsupported('SO_LINGER without a struct');
          const f = structFields(v, (e) => this.int(e, ev));
          value = { onoff: (f.l_onoff ?? f.onoff ?? 0) !== 0, linger: f.l_linger ?? f.linger ?? 0 };
        } else value = this.int(v, ev);
        immediate = this.outcome(() => S.setsockopt(fd, opt, value));
        break;
      }
      case 'getsockopt': {
        const fd = this.fd(a[0], ev);
        const name = a[2]?.t === 'ident' ? a[2].name : '';
        const opt = SOCKOPTS[name];
        if (!opt) throw new Unsupported(`socket option ${name}`);
        const wantExpr = a[3];
        immediate = this.outcome(() => S.getsockopt(fd, opt));
        if (immediate && immediate.ret >= 0 && !immediate.errno) {
          const got = immediate.ret;
          immediate = { ret: 0 };
          if (wantExpr && wantExpr.t !== 'ellipsis') {
            if (opt === 'SO_RCVBUF' || opt === 'SO_SNDBUF') {
              const want = this.int(wantExpr, ev);
              if (want !== got) this.lenientUsed.add('socket buffer sizes');
            } else {
              const want = this.int(wantExpr, ev);
              if (opt === 'SO_LINGER') throw new Unsupported('getsockopt SO_LINGER struct');
              if (want !== got) {
                const show = (x: number): string => (opt === 'SO_ERROR' ? (x === 0 ? '0' : errnoName(x) ?? String(x)) : String(x));
                immediate.check = () => `getsockopt(${name}) returned [${show(got)}] instead of [${show(want)}]`;
              }
            }
          }
        }
        break;
      }
      case 'ioctl': {
        const fd = this.fd(a[0], ev);
        immediate = this.outcome(() => S.inq(fd));
        if (immediate && !immediate.errno) {
          const got = immediate.ret;
          immediate = { ret: 0 };
          if (a[2] && a[2].t !== 'ellipsis') {
            const want = this.int(a[2], ev);
            if (want !== got) immediate.check = () => `ioctl(FIONREAD) returned [${got}] instead of [${want}]`;
          }
        }
        break;
      }
      case 'poll': {
        if (a[0]?.t !== 'array') throw new Unsupported('poll() without a pollfd array');
        const pfds = a[0].items.map((it) => {
          if (it.t !== 'struct') throw new Unsupported('poll() entry is not a struct');
          return structFields(it, (e) => this.int(e, ev));
        });
        const timeout = this.int(a[2], ev);
        const startMs = t;
        attempt = () => {
          let n = 0;
          const revents: number[] = [];
          for (const p of pfds) {
            const fd = this.fdMap.get(p.fd ?? -1) ?? 1_000_000;
            let r = 0;
            try {
              const st = S.poll(fd);
              if (st.readable) r |= (p.events ?? 0) & (CONSTS.POLLIN | CONSTS.POLLRDNORM);
              if (st.writable) r |= (p.events ?? 0) & (CONSTS.POLLOUT | CONSTS.POLLWRNORM);
              if (st.error) r |= CONSTS.POLLERR;
              if (st.hup) r |= CONSTS.POLLHUP;
            } catch {
              r = CONSTS.POLLNVAL;
            }
            revents.push(r);
            if (r) n++;
          }
          const check = (): string | null => {
            for (let i = 0; i < pfds.length; i++) {
              const want = pfds[i].revents;
              if (want !== undefined && want !== revents[i]) return `poll revents 0x${revents[i].toString(16)} instead of 0x${want.toString(16)}`;
            }
            return null;
          };
          if (n > 0 || timeout === 0 || (timeout > 0 && this.sched.now() >= startMs + timeout)) return { ret: n, check };
          return null;
        };
        blocking = true;
        if (timeout > 0) this.sched.at(startMs + timeout, () => {}); // wake up at the timeout
        break;
      }
      default:
        throw new Unsupported(`system call ${call.name}()`);
    }
    if (attempt) {
      const o = attempt();
      if (o) immediate = o;
      else if (!blocking) immediate = wouldBlock();
      else {
        const endMs = ev.time.blockEnd !== undefined ? this.baseFor(ev) + usToMs(ev.time.blockEnd) : t;
        this.pending.push({ ev, call, startMs: t, endMs, attempt });
        return;
      }
    }
    if (!immediate) immediate = wouldBlock();
    this.finishCall(ev, call, immediate, t, t);
  }

  private baseMs = 0;
  private baseFor(ev: ScriptEvent): number {
    return ev.time.kind === 'relative' ? this.baseMs : 0;
  }

  private finishCall(ev: ScriptEvent, call: SyscallSpec, o: Outcome, startMs: number, nowMs: number): void {
    const expectRet = call.result.t === 'ellipsis' ? undefined : this.int(call.result, ev);
    // EWOULDBLOCK is EAGAIN on both Linux and FreeBSD (same errno value).
    if (call.errno === 'EWOULDBLOCK') call = { ...call, errno: 'EAGAIN' };
    const gotText = o.errno ? `-1 ${o.errno}` : String(o.ret);
    const wantText = call.errno ? `${expectRet} ${call.errno}` : String(expectRet ?? '...');
    if (expectRet !== undefined && (o.ret !== expectRet || (o.errno ?? undefined) !== (call.errno ?? undefined))) {
      this.fail(ev, `expected ${call.name}() = ${wantText} got ${gotText}`);
    }
    if (expectRet === undefined && call.errno && o.errno !== call.errno) this.fail(ev, `expected ${call.name}() = ${wantText} got ${gotText}`);
    const extra = o.check?.();
    if (extra) this.fail(ev, `expected ${call.name}() to match the script: ${extra}`);
    // Timing: the call must return when the script says (within the tolerance).
    const endMs = ev.time.blockEnd !== undefined ? this.blockEndFor(ev, startMs) : startMs;
    if (Math.abs(nowMs - endMs) > this.tolMs + 1e-9) {
      this.fail(ev, `expected ${call.name}() to return at ${fmtT(endMs)} got it returning at ${fmtT(nowMs)}`);
    }
  }

  private readonly blockEnds = new Map<ScriptEvent, number>();
  private blockEndFor(ev: ScriptEvent, startMs: number): number {
    return this.blockEnds.get(ev) ?? startMs;
  }

  private completePending(): void {
    for (let i = 0; i < this.pending.length; ) {
      const p = this.pending[i];
      const o = p.attempt();
      if (!o) {
        i++;
        continue;
      }
      this.pending.splice(i, 1);
      this.finishCall(p.ev, p.call, o, p.startMs, this.sched.now());
    }
  }

  // ---- commands and python ----

  private command(ev: ScriptEvent, text: string): void {
    for (const step of interpretCommand(text)) {
      switch (step.kind) {
        case 'sysctl':
          for (const [n, v] of step.settings) applySysctl(this.profile, n, v);
          this.applyConfig();
          break;
        case 'defaults': {
          const p = findDefaults(this.scriptDir, step.path, existsSync, resolve)!;
          readLinuxDefaults(readFileSync(p, 'utf8'), this.profile);
          this.applyConfig();
          break;
        }
        case 'sockstat': {
          const q = step.query;
          const want = FREEBSD_STATE[q.state] as TcpState;
          const n = this.countState(q.family, want, q.port);
          if (n !== q.count) this.fail(ev, `expected ${q.count} connection(s) in ${q.state} got ${n} (sockstat)`);
          break;
        }
        case 'tcpdrop': {
          const want = FREEBSD_STATE[step.state] as TcpState;
          for (const e of this.host.connections()) {
            if (e.state === want && !e.removed) this.host.withConn(e, (c, now) => c.abort(now));
          }
          break;
        }
        case 'noop':
          break;
      }
    }
  }

  private countState(family: 4 | 6, state: TcpState, port?: number): number {
    let n = 0;
    const portOk = (a: number, b: number): boolean => port === undefined || a === port || b === port;
    if (state === 'CLOSED' || state === 'LISTEN') {
      // sockstat lists sockets: an open socket without a connection shows as CLOSED.
      const S = this.host.sockets;
      for (const fd of S.openFds()) {
        if (S.family(fd) !== family) continue;
        if (S.state(fd) !== state) continue;
        const l = S.localAddress(fd);
        let rport = 0;
        try {
          rport = S.remoteAddress(fd).port;
        } catch {
          /* not connected */
        }
        if (portOk(l.port, rport)) n++;
      }
      return n;
    }
    for (const e of this.host.connections()) {
      if (e.removed || e.family !== family || e.state !== state) continue;
      if (portOk(e.local.port, e.remote.port)) n++;
    }
    return n;
  }

  private python(ev: ScriptEvent, code: string): void {
    const fd = this.lastFd;
    const S = this.host.sockets;
    const st = fd === undefined ? null : S.status(fd);
    if (!st) this.fail(ev, 'python block: no connection to read tcp_info from');
    let mss = 0;
    let establishedAt: number | undefined;
    for (const e of this.host.connections()) {
      if (e.local.port === st.local.port && e.remote.port === st.remote.port && e.local.addr === st.local.addr) {
        mss = e.conn.config.mss;
        establishedAt = e.establishedAt;
      }
    }
    const err = evalPython(code, st, { mss, now: this.sched.now(), establishedAt, freebsd: this.dialect === 'freebsd' });
    if (err) this.fail(ev, err);
  }

  // ---- the script ----

  run(): void {
    this.applyConfig();
    let last = 0;
    // Trailing no-op commands (the sysctl restore) are not events the stack sees: packets sent
    // after the last real event are not checked, as in packetdrill.
    let end = this.script.events.length;
    while (end > 0 && isNoopCommand(this.script.events[end - 1].action)) end--;
    for (const ev of this.script.events.slice(0, end)) {
      this.checkRealTime();
      const a = ev.action;
      const base = ev.time.kind === 'relative' ? last : 0;
      this.baseMs = last;
      const t = ev.time.kind === 'any' ? this.sched.now() : base + usToMs(ev.time.usecs);
      const tEnd = ev.time.rangeEnd !== undefined ? (ev.time.kind === 'relative' ? last : 0) + usToMs(ev.time.rangeEnd) : undefined;
      if (ev.time.blockEnd !== undefined) this.blockEnds.set(ev, base + usToMs(ev.time.blockEnd));
      if (a.kind === 'tcp' && a.dir === 'out') {
        last = this.expectOutbound(ev, a, t, tEnd);
        continue;
      }
      // Everything else happens at its time: first let the stack run up to it.
      const at = Math.max(t, this.sched.now());
      this.advanceTo(at);
      // A `%{ }%` block only snapshots tcp_info (packetdrill runs the Python at the end), so
      // packets already sent may still be matched by the outbound events after it.
      if (this.out.length && a.kind !== 'python') {
        const o = this.out[0];
        this.fail(ev, `expected no packet before this event got ${o.pkt ? this.describe(o.pkt) : `a malformed packet (${o.error})`} at ${fmtT(o.t)} (unexpected packet)`);
      }
      switch (a.kind) {
        case 'tcp':
          this.inject(ev, a);
          break;
        case 'icmp':
          this.injectIcmp(ev, a);
          break;
        case 'syscall':
          this.syscall(ev, a, at);
          break;
        case 'command':
          this.command(ev, a.text);
          break;
        case 'python':
          this.python(ev, a.code);
          break;
      }
      this.completePending();
      last = at;
    }
    // Blocking calls still in progress must return by their time.
    for (const p of [...this.pending]) {
      const deadline = Math.max(p.endMs, this.blockEnds.get(p.ev) ?? p.endMs) + this.tolMs;
      const cap = this.sched.now() + END_GRACE_MS;
      this.advanceTo(Math.min(deadline, cap));
      if (this.pending.includes(p)) {
        this.fail(p.ev, `expected ${p.call.name}() to return by ${fmtT(deadline - this.tolMs)} got it still blocked at ${fmtT(this.sched.now())}`);
      }
    }
  }
}

/** A backquoted command that does nothing here (every step a no-op). */
function isNoopCommand(a: ScriptEvent['action']): boolean {
  if (a.kind !== 'command') return false;
  try {
    return interpretCommand(a.text).every((s) => s.kind === 'noop');
  } catch {
    return false;
  }
}

const ACTUAL_NAME: Record<string, string> = {
  mss: 'mss',
  wscale: 'wscale',
  sackPermitted: 'sackOK',
  sack: 'sack',
  timestamp: 'TS',
  nop: 'nop',
  eol: 'eol',
};

function optName(o: PacketOption): string {
  switch (o.kind) {
    case 'ts':
      return 'TS';
    case 'mss':
    case 'wscale':
    case 'sackOK':
    case 'sack':
    case 'nop':
    case 'eol':
      return o.kind;
    default:
      return o.text;
  }
}

function sameKind(w: PacketOption, h: TcpOption): boolean {
  switch (w.kind) {
    case 'mss':
      return h.kind === 'mss';
    case 'wscale':
      return h.kind === 'wscale';
    case 'sackOK':
      return h.kind === 'sackPermitted';
    case 'sack':
      return h.kind === 'sack';
    case 'ts':
      return h.kind === 'timestamp';
    default:
      return false;
  }
}

function formatIp(text: string): string {
  const a = parseAddr(text);
  return a ? a.bytes.join('.') : text;
}

function structFields(e: Expr, int: (e: Expr) => number): Record<string, number> {
  const out: Record<string, number> = {};
  if (e.t !== 'struct') return out;
  for (const it of e.items) {
    if (it.t === 'assign' && it.l.t === 'ident') {
      if (it.r.t === 'ellipsis') continue;
      out[it.l.name] = int(it.r);
    }
  }
  return out;
}

export function detectDialect(script: Script): Dialect {
  let d: Dialect = 'plain';
  for (const ev of script.events) {
    if (ev.action.kind !== 'command') continue;
    const t = ev.action.text;
    if (/sysctl\s+-w\s+(net\.inet|kern\.ipc)|sockstat|tcpdrop/.test(t)) return 'freebsd';
    if (/defaults\.sh|sysctl\s+-q\s+net\.ipv4|set_sysctls\.py/.test(t)) d = 'linux';
  }
  return d;
}

/** Runs one script's text. Never throws: every outcome is a ScriptResult. */
export function runScriptText(text: string, file: string, opts: RunOptions = {}): ScriptResult {
  const t0 = performance.now();
  const lenientBase = new Set<string>();
  let dialect: Dialect = 'plain';
  const result = (verdict: Verdict, extra: Partial<ScriptResult>, log: string[] = [], lenient = lenientBase): ScriptResult => ({
    file,
    verdict,
    lenient: [...lenient],
    log,
    realMs: performance.now() - t0,
    dialect,
    ...extra,
  });
  let script: Script;
  try {
    script = parseScript(text, file, { defines: opts.defines });
  } catch (e) {
    if (e instanceof ParseError) return result('FAIL', { line: e.line, message: `parse error: ${e.detail}` });
    throw e;
  }
  dialect = detectDialect(script);
  const dir = dirname(resolve(file));
  try {
    checkSupport(script, dir);
  } catch (e) {
    if (e instanceof Unsupported) return result('UNSUPPORTED', { message: e.reason, line: (e as Unsupported & { line?: number }).line });
    throw e;
  }
  let runner: Runner | undefined;
  try {
    runner = new Runner(script, dir, opts);
    runner.run();
    return result('PASS', {}, runner.log, runner.lenientUsed);
  } catch (e) {
    const log = runner?.log ?? [];
    const lenient = runner?.lenientUsed ?? lenientBase;
    if (e instanceof Failure) return result('FAIL', { line: e.line, message: e.message }, log, lenient);
    if (e instanceof Unsupported) return result('UNSUPPORTED', { message: e.reason, line: (e as Unsupported & { line?: number }).line }, log, lenient);
    if (e instanceof RealTimeExceeded) return result('FAIL', { message: `real-time cap of ${opts.realTimeCapMs ?? 2000} ms exceeded` }, log, lenient);
    return result('FAIL', { message: `runner error: ${(e as Error).stack ?? String(e)}` }, log, lenient);
  }
}

export function runScriptFile(path: string, opts: RunOptions = {}): ScriptResult {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    return { file: path, verdict: 'FAIL', message: `cannot read: ${(e as Error).message}`, lenient: [], log: [], realMs: 0, dialect: 'plain' };
  }
  return runScriptText(text, path, opts);
}

/** One output line: `PASS path`, `FAIL path:line: ...`, `UNSUPPORTED path: reason`. */
export function formatResult(r: ScriptResult): string {
  if (r.verdict === 'PASS') return `PASS ${r.file}`;
  if (r.verdict === 'FAIL') return `FAIL ${r.file}${r.line !== undefined ? `:${r.line}` : ''}: ${r.message}`;
  return `UNSUPPORTED ${r.file}: ${r.message}`;
}
