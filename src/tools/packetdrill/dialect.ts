// Script dialects: FreeBSD `sysctl -w` lines, Linux `sysctl -q` lines and the Linux default
// profile (../common/defaults.sh, read as data, never executed), `set_sysctls.py` arguments,
// `sockstat` connection-table queries and `tcpdrop`. Each sysctl is either mapped onto a stack
// option, ignored because it cannot change what the script observes (documented below and in
// docs/conformance.md), or makes the script UNSUPPORTED.
import type { ConnectionConfig } from '../../tcp/types.js';
import type { IcmpAbortPolicy } from '../../stack/host.js';

export type Dialect = 'freebsd' | 'linux' | 'plain';

export class Unsupported extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'Unsupported';
  }
}

/** Settings the runner tracks besides ConnectionConfig. */
export interface Profile {
  config: Partial<ConnectionConfig>;
  /** FreeBSD keeps RFC 5961 for RST (insecure_rst) and SYN (insecure_syn) apart; the stack has
   *  one switch. Tracked separately so a disagreement is reported rather than guessed. */
  insecureRst?: boolean;
  insecureSyn?: boolean;
  /** net.inet.tcp.drop_synfin (HostStack dropSynFin). */
  dropSynFin?: boolean;
  /** net.inet.tcp.icmp_may_rst (HostStack icmpAbortsOpen: 1 = 'bsd', 0 = 'never'); Linux
   *  profile: 'rfc5461'. */
  icmpAbortsOpen?: IcmpAbortPolicy;
  /** net.ipv4.tcp_notsent_lowat (HostStack limits.notsentLowat). */
  notsentLowat?: number;
}

/** FreeBSD defaults the scripts rely on without setting them (FreeBSD 13 sysctl defaults). */
export const FREEBSD_PROFILE: Partial<ConnectionConfig> = {
  rcvBuf: 65536, // net.inet.tcp.recvspace
  sndBuf: 32768, // net.inet.tcp.sendspace
  bufSegments: 0, // recvspace/sendspace are the sizes, not scaled with the MSS
  rtoInitial: 1000, // net.inet.tcp.rexmit_initial (ms)
  rtoMin: 30, // net.inet.tcp.rexmit_min (ms)
  delayedAck: 100, // net.inet.tcp.delacktime (ms)
  msl: 30_000, // net.inet.tcp.msl (ms)
  rfc5961: true, // insecure_rst=0, insecure_syn=0
  rfc1337: true, // tcp_twcheck ignores every RST in TIME-WAIT (RFC 1337 TW1), no sysctl
  windowScaling: true, // rfc1323=1
  timestamps: true,
  sack: true, // sack.enable=1
  rack: false, // the default stack has no RACK-TLP (tcp_rack is a separate loadable stack)
  keepAliveIdle: 7_200_000, // keepidle (ms)
  keepAliveInterval: 75_000, // keepintvl (ms)
  keepAliveCount: 8, // keepcnt
  openTimeout: 75_000, // keepinit (ms)
  ecn: 'passive', // ecn.enable=2
  ecnSynRetries: 1, // ecn.maxretries
  ecnSynAckRetries: 1, // ecn.maxretries (the syncache's SYN-ACK retransmissions)
};

/** Linux profile before defaults.sh is read (the kernel's own defaults where they matter). */
export const LINUX_BASE_PROFILE: Partial<ConnectionConfig> = {
  rtoInitial: 1000,
  rtoMin: 200,
  delayedAck: 40,
  quickAcks: 16, // TCP_MAX_QUICKACKS
  abcLimit: Infinity, // tcp_slow_start: cwnd grows by every segment an ACK covers (no RFC 3465 L)
  keepAliveIdle: 7_200_000,
  keepAliveInterval: 75_000,
  keepAliveCount: 9,
  synRetries: 6,
  ecn: 'passive', // tcp_ecn=2 (defaults.sh sets 0)
  ecnSynRetries: 0, // tcp_ecn_fallback=1: the first SYN retransmission drops ECE and CWR
};

function num(v: string, name: string): number {
  const n = /^0x[0-9a-f]+$/i.test(v) ? parseInt(v, 16) : Number(v);
  if (!Number.isFinite(n)) throw new Unsupported(`sysctl ${name}=${v}: not a number`);
  return n;
}

type SysctlRule = (p: Profile, v: string, name: string) => void;

const harmless: SysctlRule = () => {};
/** Harmless only at this value (the default); anything else cannot be honoured. */
const onlyAt =
  (...ok: string[]): SysctlRule =>
  (_p, v, name) => {
    if (!ok.includes(v.trim())) throw new Unsupported(`sysctl ${name}=${v} cannot be honoured by the stack`);
  };

/** FreeBSD net.inet.tcp.ecn.enable, Linux net.ipv4.tcp_ecn: 0 off, 1 on, 2 passive. */
const ecnSysctl: SysctlRule = (p, v, n) => {
  const x = v.trim();
  if (x !== '0' && x !== '1' && x !== '2') throw new Unsupported(`sysctl ${n}=${v} is not understood`);
  p.config.ecn = x === '0' ? false : x === '1' ? true : 'passive';
};

const FREEBSD_SYSCTLS: Record<string, SysctlRule> = {
  // RFC 5961 3.2 / 4.2: insecure_rst=0 (and insecure_syn=0) means challenge ACKs on.
  'net.inet.tcp.insecure_rst': (p, v, n) => {
    p.insecureRst = num(v, n) !== 0;
  },
  'net.inet.tcp.insecure_syn': (p, v, n) => {
    p.insecureSyn = num(v, n) !== 0;
  },
  // RFC 7323: FreeBSD's rfc1323 switches window scaling and timestamps together.
  'net.inet.tcp.rfc1323': (p, v, n) => {
    const on = num(v, n) !== 0;
    p.config.windowScaling = on;
    p.config.timestamps = on;
  },
  'net.inet.tcp.sack.enable': (p, v, n) => {
    p.config.sack = num(v, n) !== 0;
  },
  'net.inet.tcp.recvspace': (p, v, n) => {
    p.config.rcvBuf = num(v, n);
  },
  'net.inet.tcp.sendspace': (p, v, n) => {
    p.config.sndBuf = num(v, n);
  },
  'net.inet.tcp.rexmit_initial': (p, v, n) => {
    p.config.rtoInitial = num(v, n);
  },
  'net.inet.tcp.rexmit_min': (p, v, n) => {
    p.config.rtoMin = num(v, n);
  },
  'net.inet.tcp.delacktime': (p, v, n) => {
    p.config.delayedAck = num(v, n);
  },
  'net.inet.tcp.msl': (p, v, n) => {
    p.config.msl = num(v, n);
  },
  'net.inet.tcp.keepidle': (p, v, n) => {
    p.config.keepAliveIdle = num(v, n);
  },
  'net.inet.tcp.keepintvl': (p, v, n) => {
    p.config.keepAliveInterval = num(v, n);
  },
  'net.inet.tcp.keepcnt': (p, v, n) => {
    p.config.keepAliveCount = num(v, n);
  },
  // Connection-establishment timeout, ms (ConnectionConfig.openTimeout, RFC 9293 3.8.3).
  'net.inet.tcp.keepinit': (p, v, n) => {
    p.config.openTimeout = num(v, n);
  },
  // RFC 3168 ECN (ConnectionConfig.ecn): 0 = off, 1 = ask in our SYN, 2 = only answer.
  'net.inet.tcp.ecn.enable': ecnSysctl,
  // SYN and SYN-ACK retransmissions that still ask for / answer ECN (ConnectionConfig
  // ecnSynRetries, RFC 3168 6.1.1.1, and ecnSynAckRetries).
  'net.inet.tcp.ecn.maxretries': (p, v, n) => {
    p.config.ecnSynRetries = num(v, n);
    p.config.ecnSynAckRetries = num(v, n);
  },
  // Not sending RSTs for closed ports is not an RFC 9293 behaviour the stack has.
  'net.inet.tcp.blackhole': onlyAt('0'),
  // Socket-buffer ceiling: affects only the window scale shift, which is compared leniently.
  'kern.ipc.maxsockbuf': harmless,
  // Host cache flush: the runner starts every script with a fresh stack.
  'net.inet.tcp.hostcache.purgenow': harmless,
  // Extra RTO slop (ms), added to every measured or backed-off RTO (ConnectionConfig.rtoSlop).
  'net.inet.tcp.rexmit_slop': (p, v, n) => {
    p.config.rtoSlop = num(v, n);
  },
  // 1: the third SYN retransmission and later ones carry only MSS (ConnectionConfig
  // synRtxDropOptions = 3; FreeBSD tcp_timer_rexmt, t_rxtshift == 3).
  'net.inet.tcp.rexmit_drop_options': (p, v, n) => {
    if (v !== '0' && v !== '1') throw new Unsupported(`sysctl ${n}=${v} is not understood`);
    p.config.synRtxDropOptions = v === '1' ? 3 : 0;
  },
  // SYN+FIN: 0 = process per RFC 9293; 1 = silently drop in every state (HostStack dropSynFin).
  'net.inet.tcp.drop_synfin': (p, v, n) => {
    if (v !== '0' && v !== '1') throw new Unsupported(`sysctl ${n}=${v} is not understood`);
    p.dropSynFin = v === '1';
  },
  // Which ICMP errors may abort a SYN-SENT connection (HostStack icmpAbortsOpen).
  'net.inet.tcp.icmp_may_rst': (p, v, n) => {
    if (v !== '0' && v !== '1') throw new Unsupported(`sysctl ${n}=${v} is not understood`);
    p.icmpAbortsOpen = v === '1' ? 'bsd' : 'never';
  },
  'net.inet.tcp.udp_tunneling_port': onlyAt('0'),
  'net.inet.tcp.udp_tunneling_overhead': harmless,
};

const LINUX_SYSCTLS: Record<string, SysctlRule> = {
  'net.ipv4.tcp_timestamps': (p, v, n) => {
    p.config.timestamps = num(v, n) !== 0;
  },
  'net.ipv4.tcp_window_scaling': (p, v, n) => {
    p.config.windowScaling = num(v, n) !== 0;
  },
  'net.ipv4.tcp_sack': (p, v, n) => {
    p.config.sack = num(v, n) !== 0;
  },
  'net.ipv4.tcp_syn_retries': (p, v, n) => {
    p.config.synRetries = num(v, n);
  },
  // "min default max": the default is the initial buffer size.
  'net.ipv4.tcp_rmem': (p, v, n) => {
    const parts = v.trim().split(/\s+/);
    if (parts.length !== 3) throw new Unsupported(`sysctl ${n}="${v}": expected "min default max"`);
    p.config.rcvBuf = num(parts[1], n);
  },
  'net.ipv4.tcp_wmem': (p, v, n) => {
    const parts = v.trim().split(/\s+/);
    if (parts.length !== 3) throw new Unsupported(`sysctl ${n}="${v}": expected "min default max"`);
    p.config.sndBuf = num(parts[1], n);
  },
  'net.ipv4.tcp_congestion_control': (p, v, n) => {
    if (v === 'cubic') p.config.congestion = 'cubic';
    else if (v === 'reno') p.config.congestion = 'newreno';
    else throw new Unsupported(`sysctl ${n}=${v}: congestion control not implemented`);
  },
  'net.ipv4.tcp_ecn': ecnSysctl, // as FreeBSD's ecn.enable: 0 off, 1 on, 2 passive
  'net.ipv4.tcp_ecn_option': harmless,
  // Fast Open: the switch itself is harmless; scripts that use it (MSG_FASTOPEN, FO options,
  // TCP_FASTOPEN*) are rejected where they do.
  'net.ipv4.tcp_fastopen': harmless,
  'net.ipv4.tcp_fastopen_key': harmless,
  'net.ipv4.tcp_syncookies': harmless, // only matters under SYN floods
  'net.ipv4.tcp_synack_retries': harmless,
  // Linux loss-recovery and pacing knobs: no counterpart; they tune heuristics (F-RTO, FACK,
  // TSO sizing, pacing) whose effects the runner reports as failures if they differ.
  'net.ipv4.tcp_frto': harmless,
  'net.ipv4.tcp_dsack': harmless,
  'net.ipv4.tcp_fack': harmless,
  'net.ipv4.tcp_reordering': onlyAt('3'),
  'net.ipv4.tcp_slow_start_after_idle': (p, v, n) => {
    p.config.restartAfterIdle = num(v, n) !== 0;
  },
  'net.ipv4.tcp_early_retrans': harmless,
  // Bit 0 (TCP_RACK_LOSS_DETECTION; defaults.sh and the kernel default say 1): RFC 8985
  // RACK-TLP, the stack's `rack` switch (RACK and the tail loss probe go together here).
  'net.ipv4.tcp_recovery': (p, v, n) => {
    p.config.rack = (num(v, n) & 1) !== 0;
  },
  'net.ipv4.tcp_tso_win_divisor': harmless,
  'net.ipv4.tcp_min_tso_segs': harmless,
  'net.ipv4.tcp_pacing_ss_ratio': harmless,
  'net.ipv4.tcp_pacing_ca_ratio': harmless,
  'net.ipv4.tcp_notsent_lowat': (p, v, n) => {
    const x = num(v, n);
    if (x < 0 || x > 0xffffffff) throw new Unsupported(`sysctl ${n}=${v} out of range`);
    p.notsentLowat = x;
  },
  'net.ipv4.tcp_mtu_probing': onlyAt('0'),
  'net.ipv4.tcp_base_mss': harmless, // only used by MTU probing (off)
  'net.ipv4.tcp_fastopen_blackhole_timeout_sec': harmless,
};

export function applySysctl(p: Profile, name: string, value: string): void {
  const v = value.replace(/^"(.*)"$/, '$1');
  const rule = FREEBSD_SYSCTLS[name] ?? LINUX_SYSCTLS[name];
  if (!rule) throw new Unsupported(`sysctl ${name} is not understood`);
  rule(p, v, name);
}

/** Resolves the RFC 5961 switch from FreeBSD's two sysctls. */
export function effectiveConfig(p: Profile): Partial<ConnectionConfig> {
  const cfg = { ...p.config };
  if (p.insecureRst !== undefined || p.insecureSyn !== undefined) {
    const rst = p.insecureRst ?? false;
    const syn = p.insecureSyn ?? false;
    if (rst !== syn && p.insecureRst !== undefined && p.insecureSyn !== undefined) {
      throw new Unsupported(
        `insecure_rst=${rst ? 1 : 0} with insecure_syn=${syn ? 1 : 0}: the stack has one RFC 5961 switch`,
      );
    }
    // The switch follows whichever one the script set (both default to 0 = RFC 5961 on).
    cfg.rfc5961 = !(p.insecureRst !== undefined ? rst : syn);
  }
  return cfg;
}

/** Reads `sysctl -q a=b c=d` lines out of a Linux defaults.sh (never executes it). */
export function readLinuxDefaults(text: string, p: Profile): void {
  // Join continuation lines, evaluate $((a*b)) arithmetic in values.
  for (const raw of text.replace(/\\\n/g, ' ').split('\n')) {
    const line = raw.replace(/#.*$/, '').replace(/>\s*\/dev\/null.*$/, '').trim();
    const m = /^sysctl\s+-q\s+(.*)$/.exec(line);
    if (!m) continue;
    for (const [, name, value] of m[1].matchAll(/([a-z0-9_.]+)=("[^"]*"|\S+)/g)) {
      const v = value.replace(/\$\(\(([0-9*+ -]+)\)\)/g, (_s, e: string) => String(evalArith(e)));
      try {
        applySysctl(p, name, v);
      } catch (e) {
        if (!(e instanceof Unsupported)) throw e;
        // A default we cannot honour only matters if the script relies on it; the profile keeps
        // going (documented: unknown defaults are ignored).
      }
    }
  }
}

function evalArith(e: string): number {
  // Only products and sums of integers (as in defaults.sh).
  return e
    .split('+')
    .map((t) => t.split('*').reduce((a, b) => a * Number(b.trim()), 1))
    .reduce((a, b) => a + b, 0);
}

/** `sockstat -4 -P tcp [-p 8080] -s | grep [packetdril |] grep -c STATE | grep N`. */
export interface SockstatQuery {
  family: 4 | 6;
  port?: number;
  state: string; // FreeBSD name: SYN_RCVD, TIME_WAIT, CLOSED, ESTABLISHED ...
  count: number;
}

export function parseSockstat(cmd: string): SockstatQuery | null {
  const parts = cmd.split('|').map((s) => s.trim());
  const head = /^sockstat\s+(.*)$/.exec(parts[0]);
  if (!head) return null;
  const args = head[1].split(/\s+/);
  let family: 4 | 6 = 4;
  let port: number | undefined;
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '-4') family = 4;
    else if (args[i] === '-6') family = 6;
    else if (args[i] === '-p') port = Number(args[++i]);
    else if (args[i] === '-P') {
      if (args[++i] !== 'tcp') return null;
    } else if (args[i] === '-s') {
      /* show state */
    } else return null;
  }
  let state: string | undefined;
  let count: number | undefined;
  for (const p of parts.slice(1)) {
    let m: RegExpExecArray | null;
    if ((m = /^grep\s+-c\s+([A-Z_0-9]+)$/.exec(p))) state = m[1];
    else if ((m = /^grep\s+(\d+)$/.exec(p))) count = Number(m[1]);
    else if (/^grep\s+packetdril$/.test(p)) {
      /* our process owns every socket */
    } else return null;
  }
  if (state === undefined || count === undefined) return null;
  return { family, port, state, count };
}

/** FreeBSD's state names (sockstat / netstat) -> RFC 9293 names. */
export const FREEBSD_STATE: Record<string, string> = {
  CLOSED: 'CLOSED',
  LISTEN: 'LISTEN',
  SYN_SENT: 'SYN-SENT',
  SYN_RCVD: 'SYN-RECEIVED',
  ESTABLISHED: 'ESTABLISHED',
  CLOSE_WAIT: 'CLOSE-WAIT',
  FIN_WAIT_1: 'FIN-WAIT-1',
  CLOSING: 'CLOSING',
  LAST_ACK: 'LAST-ACK',
  FIN_WAIT_2: 'FIN-WAIT-2',
  TIME_WAIT: 'TIME-WAIT',
};

/** Finds a Linux profile: the path relative to the script, else `common/defaults.sh` in the
 *  nearest ancestor directory (google's tree keeps one copy in gtests/net/common/). */
export function findDefaults(scriptDir: string, path: string, exists: (p: string) => boolean, join: (...p: string[]) => string): string | null {
  const direct = join(scriptDir, path);
  if (exists(direct)) return direct;
  let dir = scriptDir;
  for (let i = 0; i < 8; i++) {
    const cand = join(dir, 'common', 'defaults.sh');
    if (exists(cand)) return cand;
    const up = join(dir, '..');
    if (up === dir) break;
    dir = up;
  }
  return null;
}
