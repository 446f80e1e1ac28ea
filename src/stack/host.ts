// The host stack: interfaces and routes, the IP input and output paths, TCP demultiplexing,
// listeners with SYN and accept queues, RFC 6056 ports, RFC 6528 ISNs, ICMP, one timer heap for
// every connection, counters and tracing. The BSD-like socket layer (sockets.ts) sits on top.
// Browser-safe: no node: imports, no Buffer; time comes from the Scheduler only.
import type { Scheduler, Rng, TimerHandle } from '../sim/types.js';
import { SeededRng } from '../sim/random.js';
import type { LinkPort } from '../link/types.js';
import type { TraceSink, TraceEvent } from '../trace/trace.js';
import {
  DEFAULT_BUF_SEGMENTS,
  DEFAULT_CONFIG,
  TCP_STATES,
  type ConnEvent,
  type ConnectionConfig,
  type ConnectionInit,
  type ConnectionSink,
  type Endpoint,
  type TcpConnection,
  type TcpErrorCode,
  type TcpState,
} from '../tcp/types.js';
import { Connection } from '../tcp/connection.js';
import { IsnGenerator } from '../tcp/isn.js';
import { gt, le, ge, lt } from '../tcp/seq.js';
import { ACK, FIN, RST, SYN, flagString, type Segment } from '../wire/types.js';
import { formatAddr, parseAddr, parseCidr, inPrefix, addrEqual } from '../wire/addr.js';
import { formatOptions, optionList } from '../wire/options.js';
import { parsePacket, buildTcpPacket, buildIcmpPacket, type Packet } from '../wire/packet.js';
import { toSegment } from '../wire/tcp.js';
import { PROTO_TCP, PROTO_ICMP, PROTO_ICMPV6 } from '../wire/ipv4.js';
import {
  ICMP_DEST_UNREACHABLE,
  ICMP_ECHO_REPLY,
  ICMP_ECHO_REQUEST,
  ICMP_TIME_EXCEEDED,
  ICMPV6_DEST_UNREACHABLE,
  ICMPV6_ECHO_REPLY,
  ICMPV6_ECHO_REQUEST,
  ICMPV6_PACKET_TOO_BIG,
  ICMPV6_TIME_EXCEEDED,
} from '../wire/icmp.js';
import { TimerHeap, type HeapItem } from './timer-heap.js';
import { PortTable, isWildcard, type IpFields, type PortUser } from './ports.js';
import { newCounters, emptyByState, formatNetstat, type HostCounters, type CounterSnapshot } from './counters.js';
import { SocketError, type Errno } from './types.js';
import { Sockets } from './sockets.js';
import { SynCookies, deriveCookieKey } from './syncookies.js';

export interface HostLimits {
  /** Open file descriptors (EMFILE beyond). Default 65536. */
  maxSockets: number;
  /** Connections in the demux table, every state. SYNs beyond are dropped; connect() gets
   *  ENOBUFS. Default 1,000,000. */
  maxConnections: number;
  /** listen() backlog clamp (net.core.somaxconn). Default 4096. */
  somaxconn: number;
  /** Upper bound of one listener's SYN (half-open) queue (net.ipv4.tcp_max_syn_backlog). The
   *  queue of a listener holds min(max(backlog, 8), maxSynBacklog) entries. Default 4096. */
  maxSynBacklog: number;
  /** Orphaned (closed by the user) FIN-WAIT-2 connections are forgotten after this (Linux
   *  tcp_fin_timeout, 60 s). 0 = never. */
  finWait2Timeout: number;
  /** Connections in TIME-WAIT (Linux tcp_max_tw_buckets). A connection that would go beyond
   *  is closed at once instead (counted: timeWaitOverflows). Default 262144. */
  maxTimeWait: number;
  /** How long a learned path MTU is remembered (Linux mtu_expires, 10 min). */
  pmtuExpiry: number;
  /** Largest SO_RCVBUF / SO_SNDBUF a socket may ask for (net.core.rmem_max/wmem_max); larger
   *  requests are capped. Default 16 MB. */
  maxSocketBuffer: number;
  /** Default TCP_NOTSENT_LOWAT for sockets that do not set one (net.ipv4.tcp_notsent_lowat):
   *  a socket is writable only while fewer unsent bytes than this are queued. Default
   *  0xffffffff (no limit beyond the send buffer), as Linux. */
  notsentLowat: number;
  ephemeralMin: number;
  ephemeralMax: number;
}

export const DEFAULT_LIMITS: HostLimits = {
  maxSockets: 65536,
  maxConnections: 1_000_000,
  somaxconn: 4096,
  maxSynBacklog: 4096,
  finWait2Timeout: 60_000,
  maxTimeWait: 262_144,
  pmtuExpiry: 600_000,
  maxSocketBuffer: 16 * 1024 * 1024,
  notsentLowat: 0xffffffff,
  ephemeralMin: 32768,
  ephemeralMax: 60999,
};

/** Hook for SYN cookies (RFC 4987 3.6), a later hardening task. When a listener's SYN queue is
 *  full the stack calls `synQueueFull`; when an ACK arrives for a listener with no matching
 *  connection it calls `ackToListener`. Return true when the hook handled the segment (e.g. sent
 *  a cookie SYN-ACK, or created a connection with `HostStack.adoptChild`). */
export interface SynCookieHook {
  synQueueFull(l: Listener, ip: { src: string; dst: string; family: 4 | 6 }, syn: Segment): boolean;
  ackToListener(l: Listener, ip: { src: string; dst: string; family: 4 | 6 }, ack: Segment): boolean;
}

export interface HostStackOptions {
  /** Host name in trace events. Default 'host'. */
  name?: string;
  scheduler: Scheduler;
  /** Randomness for secrets (ISN, ports). An Rng, or a seed. Default seed 1. */
  rng?: Rng | number | string;
  trace?: TraceSink;
  /** Defaults for every connection on this host. */
  tcp?: Partial<ConnectionConfig>;
  /** Interface 'lo' with 127.0.0.1/8 and ::1/128 (default true). */
  loopback?: boolean;
  limits?: Partial<HostLimits>;
  /** Connection factory (default: tcp/connection.ts). */
  createConnection?: (init: ConnectionInit) => TcpConnection;
  /** SYN cookies when a listener's SYN queue is full (stack/syncookies.ts; true = the built-in
   *  RFC 4987 cookies, like Linux tcp_syncookies=1). Default on, as in Linux; false: overflowing
   *  SYNs are dropped and counted (syn-queue-full). */
  synCookies?: SynCookieHook | boolean;
  /** A SYN for a 4-tuple in TIME-WAIT with a sequence number above the old RCV.NXT reopens the
   *  connection when a listener is there (RFC 6191 / RFC 1122 4.2.2.13, as Linux and FreeBSD's
   *  tcp_twcheck do). false: the TIME-WAIT connection processes it (RFC 9293 3.10.7.4).
   *  'timestamps': only as RFC 9293 3.10.7.4 (fourth) words it, "if the Timestamp Option is used
   *  and meets expectations" (RFC 6191: both incarnations use TSopt and the SYN's TSval is newer
   *  than TS.Recent); any other SYN is processed by the TIME-WAIT connection. Default true. */
  timeWaitReopen?: boolean | 'timestamps';
  /** Drop a SYN with FIN set that would open a connection: to a listener or in SYN-SENT
   *  (FreeBSD net.inet.tcp.drop_synfin=1). Default false: RFC 9293 3.10.7.2/3.10.7.3 process it
   *  as a SYN whose FIN follows. Synchronized states process SYN+FIN per state either way. */
  dropSynFin?: boolean;
  /** Which ICMP errors abort a connection that is still opening (SYN-SENT, SYN-RECEIVED); the
   *  others are remembered and reported if the connection times out (RFC 1122 4.2.3.9).
   *  'rfc1122' (default): the hard errors (destination unreachable: protocol, port, and the
   *  administrative and unknown-destination codes). 'bsd': FreeBSD's net.inet.tcp.icmp_may_rst=1:
   *  protocol and port unreachable, administratively prohibited, and time exceeded in transit.
   *  'rfc5461': every error, as Linux does (RFC 5461, "non-standard, but widely implemented"):
   *  connect() fails at once instead of after the SYN retries. 'never': FreeBSD icmp_may_rst=0. */
  icmpAbortsOpen?: IcmpAbortPolicy;
}

export type IcmpAbortPolicy = 'rfc1122' | 'bsd' | 'rfc5461' | 'never';

export interface InterfaceOptions {
  name: string;
  port: LinkPort;
  /** 'addr/prefix', e.g. '10.0.0.1/24', 'fd00::1/64'. A bare address means /32 or /128. */
  addresses: string[];
  /** Overrides port.mtu. */
  mtu?: number;
}

interface IfAddr {
  family: 4 | 6;
  text: string;
  bytes: Uint8Array;
  prefix: number;
}

export interface Iface {
  readonly name: string;
  readonly port: LinkPort;
  readonly mtu: number;
  readonly addrs: IfAddr[];
  readonly loopback: boolean;
}

interface Route {
  family: 4 | 6;
  net: Uint8Array;
  prefix: number;
  iface: Iface;
  gateway?: string;
  connected: boolean;
}

export interface RouteResult {
  iface: Iface;
  /** Source address to use (text and bytes). */
  src: string;
  srcBytes: Uint8Array;
  mtu: number;
}

/** One row of `connectionTable()`, like `ss -tan`. */
export interface ConnRow {
  state: TcpState;
  recvQ: number;
  sendQ: number;
  local: string;
  peer: string;
}

const NOT_IN_HEAP = -1;

/** Where a ConnEntry, as its connection's sink, hands segments and events (one per host). */
interface SinkHost {
  output(e: ConnEntry, seg: Segment): void;
  event(e: ConnEntry, ev: ConnEvent): void;
}

/** A connection known to the host: demux key, heap slot, ownership. It is also the
 *  connection's sink, so a connection costs no sink object and no closures. */
export class ConnEntry implements HeapItem, PortUser, ConnectionSink {
  deadline = Infinity;
  private sinkHost: SinkHost | null = null;
  heapIndex = NOT_IN_HEAP;
  conn!: TcpConnection;
  private idText: string | undefined = undefined;
  readonly key: string;
  /** Set while an unaccepted child of a listener. */
  listener: Listener | null = null;
  queue: 'syn' | 'accept' | null = null;
  /** The socket layer's owner (a socket), null for orphans and unaccepted children. */
  owner: unknown = null;
  /** Time after which an orphaned FIN-WAIT-2 connection is forgotten. */
  orphanDeadline = Infinity;
  /** Gone from the tables (after 'closed', or discarded). */
  removed = false;
  /** Segments the connection emits are not sent (a SYN cookie child replaying the SYN). */
  quiet = false;
  /** The socket's writer is blocked until the send buffer has enough room (sockets.ts). */
  writeWaiting = false;
  state: TcpState = 'CLOSED';
  /** When the handshake completed (Linux starts tcpi_last_data_recv's clock there). */
  establishedAt: number | undefined = undefined;
  /** Set when the connection failed; kept for the socket layer. */
  error: { code: TcpErrorCode; message: string } | null = null;
  srcBytes: Uint8Array;
  dstBytes: Uint8Array;
  route: RouteResult | null = null;
  routeGen = -1;
  constructor(
    readonly family: 4 | 6,
    readonly local: Endpoint,
    readonly remote: Endpoint,
    readonly reuseAddr: boolean,
    readonly reusePort: boolean,
    readonly ephemeral: boolean,
  ) {
    this.srcBytes = internAddr(local.addr);
    this.dstBytes = internAddr(remote.addr);
    this.key = tupleKey(this.srcBytes, local.port, this.dstBytes, remote.port);
  }
  sinkTo(h: SinkHost): void {
    this.sinkHost = h;
  }
  output(seg: Segment): void {
    this.sinkHost!.output(this, seg);
  }
  event(ev: ConnEvent): void {
    this.sinkHost!.event(this, ev);
  }
  /** Trace id "laddr:lport>raddr:rport" (made on first use: traces and drops only). */
  get id(): string {
    return (this.idText ??= `${this.local.addr}:${this.local.port}>${this.remote.addr}:${this.remote.port}`);
  }
  get addr(): string {
    return this.local.addr;
  }
  kind(): 'conn' | 'time-wait' {
    return this.state === 'TIME-WAIT' ? 'time-wait' : 'conn';
  }
}

/** A listening socket's queues (RFC 9293 passive OPEN, forked per SYN). */
export class Listener implements PortUser {
  readonly synQueue = new Set<ConnEntry>();
  readonly acceptQueue: ConnEntry[] = [];
  closed = false;
  constructor(
    readonly local: Endpoint,
    readonly family: 4 | 6,
    public backlog: number,
    public synLimit: number,
    /** Template for children (the listening socket's options; kept current by setsockopt). */
    public config: ConnectionConfig,
    readonly reuseAddr: boolean,
    readonly reusePort: boolean,
    /** Called (deferred, outside stack processing) when a connection is ready to accept. */
    readonly onAccept: () => void,
    readonly owner: unknown,
    /** TCP_MAXSEG of the listening socket. */
    public mssClamp?: number,
  ) {}
  readonly ephemeral = false;
  get addr(): string {
    return this.local.addr;
  }
  kind(): 'listen' {
    return 'listen';
  }
  /** Linux sk_acceptq_is_full: more than `backlog` waiting. */
  get acceptQueueFull(): boolean {
    return this.acceptQueue.length > this.backlog;
  }
}

/** Address text -> bytes, shared by every connection with that address (an idle connection
 *  then holds no Uint8Arrays of its own). Bounded: cleared when it grows past 4096 entries. */
const ADDR_CACHE = new Map<string, Uint8Array>();
function internAddr(text: string): Uint8Array {
  let b = ADDR_CACHE.get(text);
  if (!b) {
    if (ADDR_CACHE.size >= 4096) ADDR_CACHE.clear();
    b = parseAddr(text)!.bytes;
    ADDR_CACHE.set(text, b);
  }
  return b;
}

/** Demux key of a 4-tuple from the address bytes: one short string of 16-bit units (6 for
 *  IPv4, 18 for IPv6), built without formatting an address (the input hot path). */
function tupleKey(la: Uint8Array, lp: number, ra: Uint8Array, rp: number): string {
  if (la.length === 4) {
    return String.fromCharCode((la[0] << 8) | la[1], (la[2] << 8) | la[3], lp, (ra[0] << 8) | ra[1], (ra[2] << 8) | ra[3], rp);
  }
  return addrKey(la) + String.fromCharCode(lp) + addrKey(ra) + String.fromCharCode(rp);
}

/** An address as a short string of 16-bit units (2 for IPv4, 8 for IPv6). */
function addrKey(a: Uint8Array): string {
  if (a.length === 4) return String.fromCharCode((a[0] << 8) | a[1], (a[2] << 8) | a[3]);
  let k = '';
  for (let i = 0; i < a.length; i += 2) k += String.fromCharCode((a[i] << 8) | a[i + 1]);
  return k;
}

/** tupleKey from address text (off the hot path); null for an unparsable address. */
function connKey(la: string, lp: number, ra: string, rp: number): string | null {
  const l = parseAddr(la);
  const r = parseAddr(ra);
  if (!l || !r) return null;
  return tupleKey(l.bytes, lp, r.bytes, rp);
}

function listenKey(addr: string, port: number): string {
  return `${addr} ${port}`;
}

/** Canonical text of an address ('::0:1' -> '::1'), or null. */
export function canonicalAddr(text: string): { family: 4 | 6; text: string; bytes: Uint8Array } | null {
  const a = parseAddr(text);
  if (!a) return null;
  return { family: a.family, text: formatAddr(a.bytes), bytes: a.bytes };
}

function mapTcpErrno(code: TcpErrorCode): Errno {
  return code;
}

/** RFC 1122 / RFC 5461 / Linux icmp_err_convert: errno and whether the error is hard. */
function icmpV4Error(type: number, code: number): { code: TcpErrorCode; hard: boolean } | null {
  if (type === ICMP_TIME_EXCEEDED) return { code: 'EHOSTUNREACH', hard: false };
  if (type !== ICMP_DEST_UNREACHABLE) return null;
  switch (code) {
    case 0: // net unreachable
    case 11: // net unreachable for TOS
      return { code: 'ENETUNREACH', hard: false };
    case 1: // host unreachable
    case 12:
    case 5: // source route failed
      return { code: 'EHOSTUNREACH', hard: false };
    case 2: // protocol unreachable
    case 3: // port unreachable
      return { code: 'ECONNREFUSED', hard: true };
    case 6: // net unknown
    case 9: // net administratively prohibited
      return { code: 'ENETUNREACH', hard: true };
    default: // 7 host unknown, 8 isolated, 10 host prohibited, 13 filtered, 14, 15
      return { code: 'EHOSTUNREACH', hard: true };
  }
}

/** RFC 4443 3.1 / Linux icmpv6_err_convert. */
function icmpV6Error(type: number, code: number): { code: TcpErrorCode; hard: boolean } | null {
  if (type === ICMPV6_TIME_EXCEEDED) return { code: 'EHOSTUNREACH', hard: false };
  if (type !== ICMPV6_DEST_UNREACHABLE) return null;
  switch (code) {
    case 0: // no route to destination
      return { code: 'ENETUNREACH', hard: false };
    case 2: // beyond scope of source address
    case 3: // address unreachable
      return { code: 'EHOSTUNREACH', hard: false };
    case 4: // port unreachable
      return { code: 'ECONNREFUSED', hard: true };
    default: // 1 administratively prohibited, 5 policy, 6 reject route
      return { code: 'EHOSTUNREACH', hard: true };
  }
}

/** Whether an ICMP error aborts a connection still opening, under HostStackOptions.icmpAbortsOpen. */
function abortsOpen(policy: IcmpAbortPolicy, v4: boolean, type: number, code: number, hard: boolean): boolean {
  switch (policy) {
    case 'rfc1122':
      return hard;
    case 'rfc5461':
      return true;
    case 'never':
      return false;
    case 'bsd':
      // FreeBSD tcp_ctlinput: ECONNREFUSED (protocol/port unreachable, administratively
      // prohibited) and time exceeded in transit (code 0) go to tcp_drop_syn_sent.
      if (v4) {
        if (type === ICMP_TIME_EXCEEDED) return code === 0;
        return type === ICMP_DEST_UNREACHABLE && [2, 3, 9, 10, 13].includes(code);
      }
      if (type === ICMPV6_TIME_EXCEEDED) return code === 0;
      return type === ICMPV6_DEST_UNREACHABLE && (code === 1 || code === 4);
  }
}

const IPV4_MIN_MTU = 552; // Linux min_pmtu; RFC 1191 allows 68 but tiny MTUs are an attack vector
const IPV6_MIN_MTU = 1280; // RFC 8200 5
const PMTU_CACHE_MAX = 4096;
const FRAG_NEEDED = 4; // RFC 792 / RFC 1191: destination unreachable, fragmentation needed and DF set

export class HostStack {
  readonly name: string;
  readonly scheduler: Scheduler;
  readonly limits: HostLimits;
  readonly tcpDefaults: ConnectionConfig;
  /** The BSD-like socket layer (SocketLayer & SocketWatch). */
  readonly sockets: Sockets;
  trace: TraceSink | null;
  synCookies: SynCookieHook | null;
  /** See HostStackOptions.timeWaitReopen. */
  timeWaitReopen: boolean | 'timestamps';
  /** See HostStackOptions.dropSynFin. */
  dropSynFin: boolean;
  /** See HostStackOptions.icmpAbortsOpen. */
  icmpAbortsOpen: IcmpAbortPolicy;
  /** `tcp.mss` from the options: an upper bound on the MSS derived from the interface MTU. */
  private readonly mssClamp: number | undefined;

  private readonly rng: Rng;
  private readonly isn: IsnGenerator;
  private readonly create: (init: ConnectionInit) => TcpConnection;
  private readonly configCache = new WeakMap<ConnectionConfig, Map<number, ConnectionConfig>>();
  private readonly sinkHost: SinkHost = {
    output: (e, seg) => this.outputSegment(e, seg),
    event: (e, ev) => this.connEvent(e, ev),
  };
  readonly ports: PortTable;
  private readonly ifaces = new Map<string, Iface>();
  private routes: Route[] = [];
  private routeGen = 0;
  private readonly routeCache = new Map<string, RouteResult | null>();
  private routeCacheGen = -1;
  /** Local address text -> interface. */
  private readonly localAddrs = new Map<string, Iface>();
  /** The same addresses by addrKey(bytes), for the input path. */
  private readonly localAddrKeys = new Set<string>();
  private readonly conns = new Map<string, ConnEntry>();
  /** Connections in TIME-WAIT (for limits.maxTimeWait). */
  private readonly timeWaits = new Set<ConnEntry>();
  private readonly listeners = new Map<string, Listener[]>();
  private readonly heap = new TimerHeap<ConnEntry>();
  private wakeup: TimerHandle | null = null;
  private wakeupAt = Infinity;
  private depth = 0;
  private readonly c: HostCounters = newCounters();
  /** Per-destination path MTU (RFC 1191 / RFC 8201), with expiry. */
  private readonly pmtu = new Map<string, { mtu: number; expires: number }>();
  private ipId = 0;
  /** Notifications to deliver once the stack is done (see flush). */
  private pending: Array<() => void> = [];
  private flushScheduled = false;

  constructor(opts: HostStackOptions) {
    this.name = opts.name ?? 'host';
    this.scheduler = opts.scheduler;
    this.trace = opts.trace ?? null;
    this.timeWaitReopen = opts.timeWaitReopen ?? true;
    this.dropSynFin = opts.dropSynFin ?? false;
    this.icmpAbortsOpen = opts.icmpAbortsOpen ?? 'rfc1122';
    this.limits = { ...DEFAULT_LIMITS, ...(opts.limits ?? {}) };
    // Buffers scale with the MSS (tcp/types.ts bufSegments) unless their sizes are configured.
    const sized = opts.tcp?.rcvBuf !== undefined || opts.tcp?.sndBuf !== undefined;
    this.tcpDefaults = { ...DEFAULT_CONFIG, bufSegments: sized ? 0 : DEFAULT_BUF_SEGMENTS, ...(opts.tcp ?? {}) };
    this.mssClamp = opts.tcp?.mss;
    const r = opts.rng;
    this.rng = r === undefined ? new SeededRng(1) : typeof r === 'number' || typeof r === 'string' ? new SeededRng(r) : r;
    const secret = new Uint8Array(16);
    for (let i = 0; i < 16; i += 4) {
      const v = this.rng.nextU32();
      secret[i] = v >>> 24;
      secret[i + 1] = (v >>> 16) & 0xff;
      secret[i + 2] = (v >>> 8) & 0xff;
      secret[i + 3] = v & 0xff;
    }
    this.isn = new IsnGenerator(secret);
    this.synCookies =
      opts.synCookies === true || opts.synCookies === undefined
        ? new SynCookies(this, deriveCookieKey(secret))
        : opts.synCookies || null;
    this.ports = new PortTable(this.rng, this.limits.ephemeralMin, this.limits.ephemeralMax);
    this.create = opts.createConnection ?? ((init) => new Connection(init));
    this.ipId = this.rng.nextU32() & 0xffff;
    if (opts.loopback !== false) {
      const lo: LinkPort = {
        // Looped back asynchronously, like a real device: never re-entrant.
        send: (p) => {
          this.scheduler.at(this.scheduler.now(), () => this.input('lo', p));
        },
        onReceive: null,
        mtu: 65536,
        checksumOffload: true,
      };
      this.addInterfaceInternal({ name: 'lo', port: lo, addresses: ['127.0.0.1/8', '::1/128'] }, true);
    }
    this.sockets = new Sockets(this);
  }

  // ---- interfaces and routes -------------------------------------------------------------

  /** Attach a link. Connected prefixes are routed automatically. Returns the interface. */
  addInterface(opts: InterfaceOptions): Iface {
    return this.addInterfaceInternal(opts, false);
  }

  private addInterfaceInternal(opts: InterfaceOptions, loopback: boolean): Iface {
    if (this.ifaces.has(opts.name)) throw new SocketError('EINVAL', `interface ${opts.name} exists`);
    const iface: Iface = { name: opts.name, port: opts.port, mtu: opts.mtu ?? opts.port.mtu, addrs: [], loopback };
    this.ifaces.set(opts.name, iface);
    for (const a of opts.addresses) this.addAddress(opts.name, a);
    if (!loopback) opts.port.onReceive = (p) => this.input(opts.name, p);
    return iface;
  }

  /** Add an address ('10.0.0.2/24') to an interface; its prefix becomes a connected route. */
  addAddress(ifaceName: string, cidr: string): void {
    const iface = this.ifaces.get(ifaceName);
    if (!iface) throw new SocketError('EINVAL', `no interface ${ifaceName}`);
    const c = parseCidr(cidr) ?? (() => {
      const a = parseAddr(cidr);
      return a ? { ...a, prefix: a.family === 4 ? 32 : 128 } : null;
    })();
    if (!c) throw new SocketError('EINVAL', `bad address ${cidr}`);
    const text = formatAddr(c.bytes);
    iface.addrs.push({ family: c.family, text, bytes: c.bytes, prefix: c.prefix });
    this.localAddrs.set(text, iface);
    this.localAddrKeys.add(addrKey(c.bytes));
    this.insertRoute({ family: c.family, net: c.bytes, prefix: c.prefix, iface, connected: true });
  }

  /** Route `prefix` ('10.1.0.0/16', 'default', '0.0.0.0/0', '::/0') through an interface. */
  addRoute(prefix: string, ifaceName: string, gateway?: string): void {
    const iface = this.ifaces.get(ifaceName);
    if (!iface) throw new SocketError('EINVAL', `no interface ${ifaceName}`);
    const list =
      prefix === 'default'
        ? [parseCidr('0.0.0.0/0')!, parseCidr('::/0')!]
        : [parseCidr(prefix)];
    for (const c of list) {
      if (!c) throw new SocketError('EINVAL', `bad prefix ${prefix}`);
      this.insertRoute({ family: c.family, net: c.bytes, prefix: c.prefix, iface, gateway, connected: false });
    }
  }

  private insertRoute(r: Route): void {
    this.routes.push(r);
    // Longest prefix first; among equals, the oldest first.
    this.routes.sort((a, b) => b.prefix - a.prefix);
    this.routeGen++;
  }

  interfaces(): Iface[] {
    return [...this.ifaces.values()];
  }

  routeTable(): Array<{ prefix: string; iface: string; gateway?: string }> {
    return this.routes.map((r) => ({ prefix: `${formatAddr(r.net)}/${r.prefix}`, iface: r.iface.name, gateway: r.gateway }));
  }

  isLocalAddress(text: string): boolean {
    return this.localAddrs.has(text);
  }

  /** Route lookup with source address selection. Local destinations go through 'lo'. */
  route(dst: string, preferredSrc?: string): RouteResult | null {
    const d = canonicalAddr(dst);
    if (!d) return null;
    let iface: Iface | undefined;
    if (this.localAddrs.has(d.text)) {
      iface = this.ifaces.get('lo');
      if (!iface) return null;
      const src = preferredSrc && this.localAddrs.has(preferredSrc) ? preferredSrc : d.text;
      return { iface, src, srcBytes: parseAddr(src)!.bytes, mtu: this.pathMtuFor(d.text, iface.mtu) };
    }
    let route: Route | undefined;
    for (const r of this.routes) {
      if (r.family === d.family && inPrefix(d.bytes, r.net, r.prefix)) {
        route = r;
        break;
      }
    }
    if (!route) return null;
    iface = route.iface;
    let src: IfAddr | undefined;
    if (preferredSrc && !isWildcard(preferredSrc)) {
      const p = canonicalAddr(preferredSrc);
      if (!p || !this.localAddrs.has(p.text)) return null;
      return { iface, src: p.text, srcBytes: p.bytes, mtu: this.pathMtuFor(d.text, iface.mtu) };
    }
    src = iface.addrs.find((a) => a.family === d.family && inPrefix(d.bytes, a.bytes, a.prefix));
    src ??= iface.addrs.find((a) => a.family === d.family);
    if (!src) {
      for (const i of this.ifaces.values()) {
        if (i.loopback) continue;
        src = i.addrs.find((a) => a.family === d.family);
        if (src) break;
      }
    }
    if (!src) return null;
    return { iface, src: src.text, srcBytes: src.bytes, mtu: this.pathMtuFor(d.text, iface.mtu) };
  }

  /** route() for connections' output, one result object shared per (dst, src) while the routes
   *  (and learned path MTUs: they bump routeGen) stay the same. Bounded like internAddr. */
  private sharedRoute(dst: string, src: string): RouteResult | null {
    if (this.routeCacheGen !== this.routeGen) {
      this.routeCache.clear();
      this.routeCacheGen = this.routeGen;
    }
    // A learned path MTU expires on its own clock: compute those routes afresh.
    if (this.pmtu.has(dst)) return this.route(dst, src);
    const k = `${dst} ${src}`;
    let r = this.routeCache.get(k);
    if (r === undefined) {
      if (this.routeCache.size >= 4096) this.routeCache.clear();
      r = this.route(dst, src);
      this.routeCache.set(k, r);
    }
    return r;
  }

  private pathMtuFor(dst: string, linkMtu: number): number {
    const e = this.pmtu.get(dst);
    if (!e) return linkMtu;
    if (e.expires <= this.scheduler.now()) {
      this.pmtu.delete(dst);
      return linkMtu;
    }
    return Math.min(e.mtu, linkMtu);
  }

  /** The learned path MTU to a destination, if any (RFC 1191 / RFC 8201). */
  pathMtu(dst: string): number | undefined {
    const d = canonicalAddr(dst);
    if (!d) return undefined;
    const e = this.pmtu.get(d.text);
    return e && e.expires > this.scheduler.now() ? e.mtu : undefined;
  }

  // ---- counters, tables, tracing ---------------------------------------------------------

  now(): number {
    return this.scheduler.now();
  }

  counters(): CounterSnapshot {
    const byState = emptyByState();
    for (const e of this.conns.values()) byState[e.state]++;
    let listeners = 0;
    for (const l of this.listeners.values()) listeners += l.length;
    byState.LISTEN += listeners;
    return {
      ...this.c,
      drops: { ...this.c.drops },
      connDrops: { ...this.c.connDrops },
      tcpCurrEstab: byState.ESTABLISHED + byState['CLOSE-WAIT'],
      connectionsByState: byState,
      connections: this.conns.size,
      listeners,
      timers: this.heap.size,
    };
  }

  /** `netstat -s` style text. */
  netstat(): string {
    return formatNetstat(this.counters());
  }

  /** Rows like `ss -tan`: listeners (Recv-Q = accept queue, Send-Q = backlog) then connections. */
  connectionTable(): ConnRow[] {
    const rows: ConnRow[] = [];
    for (const ls of this.listeners.values()) {
      for (const l of ls) {
        rows.push({ state: 'LISTEN', recvQ: l.acceptQueue.length, sendQ: l.backlog, local: hostPort(l.local), peer: l.family === 6 || l.local.addr === '::' ? '[::]:*' : '0.0.0.0:*' });
      }
    }
    for (const e of this.conns.values()) {
      let recvQ = 0;
      let sendQ = 0;
      if (e.conn) {
        const st = e.conn.status();
        recvQ = st.recvQueue;
        sendQ = st.sendQueue;
      }
      rows.push({ state: e.state, recvQ, sendQ, local: hostPort(e.local), peer: hostPort(e.remote) });
    }
    return rows;
  }

  /** `ss -tan` text. */
  ss(): string {
    const rows = this.connectionTable();
    const head = ['State', 'Recv-Q', 'Send-Q', 'Local Address:Port', 'Peer Address:Port'];
    const cells = [head, ...rows.map((r) => [r.state, String(r.recvQ), String(r.sendQ), r.local, r.peer])];
    const w = head.map((_, i) => Math.max(...cells.map((c) => c[i].length)));
    return cells.map((c) => c.map((x, i) => x.padEnd(w[i])).join('  ').trimEnd()).join('\n') + '\n';
  }

  /** Every connection in the demux table (for tools and tests). */
  connections(): ConnEntry[] {
    return [...this.conns.values()];
  }

  findConnection(local: Endpoint, remote: Endpoint): ConnEntry | undefined {
    const k = connKey(local.addr, local.port, remote.addr, remote.port);
    return k === null ? undefined : this.conns.get(k);
  }

  /** Connections with an armed timer. */
  get timerCount(): number {
    return this.heap.size;
  }

  /** @internal Count a host-level drop (for hooks such as SYN cookies). */
  countDrop(layer: 'tcp', reason: string): void {
    this.drop(layer, reason);
  }

  /** @internal Bump a host counter (for hooks such as SYN cookies). */
  bumpCounter(name: 'syncookiesSent' | 'syncookiesRecv' | 'syncookiesFailed'): void {
    this.c[name]++;
  }

  private drop(layer: 'link' | 'ip' | 'tcp' | 'icmp' | 'host', reason: string, conn?: string): void {
    const k = `${layer}:${reason}`;
    this.c.drops[k] = (this.c.drops[k] ?? 0) + 1;
    if (this.trace) this.trace({ type: 'drop', t: this.now(), host: this.name, conn, layer, reason });
  }

  private emit(ev: TraceEvent): void {
    this.trace!(ev);
  }

  private traceSegment(dir: 'in' | 'out', src: string, dst: string, seg: Segment, conn?: string): void {
    let options: string | undefined;
    const o = seg.options;
    if (o.mss !== undefined || o.wscale !== undefined || o.sackPermitted || o.sack || o.timestamp) {
      options = formatOptions(optionList(o, 'linux'));
    }
    this.emit({
      type: 'segment',
      t: this.now(),
      host: this.name,
      conn,
      dir,
      src: `${src}:${seg.srcPort}`,
      dst: `${dst}:${seg.dstPort}`,
      flags: flagString(seg.flags),
      seq: seg.seq,
      ack: seg.ack,
      len: seg.payload.length,
      win: seg.window,
      options,
    });
  }

  // ---- re-entrancy, notifications, the timer heap ----------------------------------------

  /** Run `fn` as one unit of stack work: timers are re-armed and notifications flushed when
   *  the outermost unit ends. */
  private work<T>(fn: () => T): T {
    this.depth++;
    try {
      return fn();
    } finally {
      if (--this.depth === 0) this.settle();
    }
  }

  private settle(): void {
    this.rearm();
    if (this.pending.length) this.flush();
  }

  /** Queue a notification for the layer above. Delivered after the current input or timer has
   *  been processed; for socket-layer calls, from a scheduler callback (never re-entrantly). */
  notify(fn: () => void): void {
    this.pending.push(fn);
  }

  /** @internal Socket-layer calls wrap their work with this: notifications they cause are
   *  delivered from a scheduler callback at the current time, not inside the call. */
  userCall<T>(fn: () => T): T {
    this.depth++;
    try {
      return fn();
    } finally {
      if (--this.depth === 0) {
        this.rearm();
        if (this.pending.length && !this.flushScheduled) {
          this.flushScheduled = true;
          this.scheduler.at(this.now(), () => {
            this.flushScheduled = false;
            this.work(() => undefined);
          });
        }
      }
    }
  }

  private flush(): void {
    // Callbacks may call back into the socket layer; what they cause is queued and drained
    // here too (depth is 0, so it counts as a fresh unit of work).
    let guard = 0;
    while (this.pending.length && guard++ < 1_000_000) {
      const batch = this.pending;
      this.pending = [];
      for (const fn of batch) fn();
    }
  }

  /** Re-read the connection's next deadline after any call into it. */
  private touch(e: ConnEntry): void {
    if (e.removed) return;
    const d = Math.min(e.conn.nextDeadline(), e.orphanDeadline);
    this.heap.set(e, d);
  }

  private rearm(): void {
    const next = this.heap.peekDeadline();
    if (next === Infinity) {
      if (this.wakeup) {
        this.wakeup.cancel();
        this.wakeup = null;
        this.wakeupAt = Infinity;
      }
      return;
    }
    if (this.wakeup && this.wakeupAt <= next) return; // an earlier (or equal) wakeup is armed
    if (this.wakeup) this.wakeup.cancel();
    this.wakeupAt = next;
    this.wakeup = this.scheduler.at(next, () => this.onWakeup());
  }

  private onWakeup(): void {
    this.wakeup = null;
    this.wakeupAt = Infinity;
    this.work(() => {
      const now = this.now();
      const due: ConnEntry[] = [];
      for (let e = this.heap.popDue(now); e; e = this.heap.popDue(now)) due.push(e);
      for (const e of due) {
        if (e.removed) continue;
        if (e.orphanDeadline <= now) {
          // Linux tcp_fin_timeout: an orphan in FIN-WAIT-2 is forgotten silently.
          this.c.finWait2Timeouts++;
          this.forget(e, 'fin-wait-2 timeout');
          continue;
        }
        e.conn.onTimer(now);
        this.touch(e);
        // A timer may send queued data (persist, keep-alive): a TCP_NOTSENT_LOWAT writer waits on that.
        if (e.writeWaiting) this.sockets.writeRoom(e);
        // A connection whose deadline does not move would spin: push it forward and count it.
        if (!e.removed && e.deadline <= now) {
          this.heap.set(e, now + 1);
          this.drop('host', 'timer-not-advanced', e.id);
        }
      }
    });
  }

  // ---- connections -------------------------------------------------------------------------

  /** A connection's config: `base` with the family and the MSS to advertise (RFC 9293 3.7.1:
   *  the interface MTU minus the IP and TCP headers, capped by `mssClamp` (TCP_MAXSEG)). */
  configFor(base: ConnectionConfig, family: 4 | 6, mtu: number, mssClamp?: number): ConnectionConfig {
    const hdr = family === 4 ? 40 : 60;
    const linkMss = Math.max(64, Math.min(65535, mtu) - hdr);
    // tcp.mss given at construction (or changed in tcpDefaults since) caps the link's MSS.
    const hostClamp = this.mssClamp !== undefined || this.tcpDefaults.mss !== DEFAULT_CONFIG.mss ? this.tcpDefaults.mss : undefined;
    const clamp = mssClamp ?? hostClamp;
    const mss = clamp ? Math.min(clamp, linkMss) : linkMss;
    // One object per (base, family, MSS), shared by the connections made from it: a connection
    // never writes its config (TcpConnection.reconfigure copies it first), nor does anyone
    // write a base (a listener's is replaced, socket layer bases are made fresh or shared).
    let byKey = this.configCache.get(base);
    if (byKey === undefined) this.configCache.set(base, (byKey = new Map()));
    const key = family * 65536 + mss;
    let c = byKey.get(key);
    if (c === undefined) byKey.set(key, (c = { ...base, family, mss }));
    return c;
  }

  private newEntry(family: 4 | 6, local: Endpoint, remote: Endpoint, reuseAddr: boolean, reusePort: boolean, ephemeral: boolean): ConnEntry {
    const e = new ConnEntry(family, local, remote, reuseAddr, reusePort, ephemeral);
    this.conns.set(e.key, e);
    this.ports.add(local.port, e);
    return e;
  }

  private makeConnection(e: ConnEntry, config: ConnectionConfig, iss?: number): void {
    // The entry is the sink (no object and two closures per connection).
    e.sinkTo(this.sinkHost);
    e.conn = this.create({ config, local: e.local, remote: e.remote, sink: e, iss: iss ?? this.isn.next(e.local, e.remote, this.now()), now: this.now() });
  }

  /** Remove a connection from every table (after 'closed', or when discarding a child). */
  private removeEntry(e: ConnEntry): void {
    if (e.removed) return;
    e.removed = true;
    this.timeWaits.delete(e);
    if (this.conns.get(e.key) === e) this.conns.delete(e.key);
    this.heap.remove(e);
    this.ports.delete(e.local.port, e);
    const l = e.listener;
    if (l) {
      l.synQueue.delete(e);
      const i = l.acceptQueue.indexOf(e);
      if (i >= 0) l.acceptQueue.splice(i, 1);
      e.listener = null;
      e.queue = null;
    }
  }

  /** Drop a connection without sending anything (TIME-WAIT recycling, orphan timeouts). */
  private forget(e: ConnEntry, cause: string): void {
    if (this.trace) this.emit({ type: 'state', t: this.now(), host: this.name, conn: e.id, from: e.state, to: 'CLOSED', cause });
    e.state = 'CLOSED';
    this.removeEntry(e);
    const owner = e.owner;
    if (owner) this.sockets.connEvent(e, { type: 'closed' });
  }

  private connEvent(e: ConnEntry, ev: ConnEvent): void {
    const tr = this.trace;
    switch (ev.type) {
      case 'state': {
        const { from, to } = ev;
        e.state = to;
        if (to === 'ESTABLISHED' && e.establishedAt === undefined) e.establishedAt = this.now();
        if (to === 'TIME-WAIT') {
          this.timeWaits.add(e);
          if (this.timeWaits.size > this.limits.maxTimeWait) {
            // Linux "time wait bucket table overflow": no TIME-WAIT state for this one.
            this.c.timeWaitOverflows++;
            this.forget(e, 'time-wait table full');
            break;
          }
        } else if (from === 'TIME-WAIT') this.timeWaits.delete(e);
        // A listener's child is the listener's TCB forked at the SYN (RFC 9293 3.10.7.2: LISTEN
        // -> SYN-RECEIVED); its CLOSED -> LISTEN is bookkeeping, not an arc, so it is not traced.
        if (tr && !(e.listener && from === 'CLOSED' && to === 'LISTEN')) {
          this.emit({ type: 'state', t: this.now(), host: this.name, conn: e.id, from, to, cause: ev.cause });
        }
        if (from === 'CLOSED' && to === 'SYN-SENT') this.c.tcpActiveOpens++;
        else if (from === 'LISTEN' && to === 'SYN-RECEIVED') this.c.tcpPassiveOpens++;
        if ((from === 'SYN-SENT' || from === 'SYN-RECEIVED') && (to === 'CLOSED' || to === 'LISTEN')) this.c.tcpAttemptFails++;
        if ((from === 'ESTABLISHED' || from === 'CLOSE-WAIT') && to === 'CLOSED') this.c.tcpEstabResets++;
        const l = e.listener;
        if (l) {
          if ((to === 'LISTEN' && from !== 'CLOSED') || to === 'CLOSED') {
            // RFC 9293 3.10.7.4: a passive child back in LISTEN is simply discarded here; the
            // listener goes on serving other SYNs.
            this.removeEntry(e);
          } else if (e.queue === 'syn' && to !== 'SYN-RECEIVED' && to !== 'LISTEN' && to !== 'SYN-SENT') {
            l.synQueue.delete(e);
            e.queue = 'accept';
            l.acceptQueue.push(e);
            this.notify(l.onAccept);
          }
        }
        if (to === 'FIN-WAIT-2' && !e.owner && this.limits.finWait2Timeout > 0 && !e.listener) {
          e.orphanDeadline = this.now() + this.limits.finWait2Timeout;
        } else if (to !== 'FIN-WAIT-2') e.orphanDeadline = Infinity;
        break;
      }
      case 'closed':
        e.state = 'CLOSED';
        this.removeEntry(e);
        break;
      case 'retransmit':
        this.c.tcpRetransSegs++;
        if (tr) this.emit({ type: 'retransmit', t: this.now(), host: this.name, conn: e.id, seq: ev.seq, len: ev.len, cause: ev.cause });
        break;
      case 'challenge-ack':
        if (ev.suppressed) this.c.tcpChallengeAcksSuppressed++;
        else this.c.tcpChallengeAcks++;
        break;
      case 'drop':
        this.c.connDrops[ev.reason] = (this.c.connDrops[ev.reason] ?? 0) + 1;
        if (tr) this.emit({ type: 'drop', t: this.now(), host: this.name, conn: e.id, layer: 'tcp', reason: ev.reason });
        break;
      case 'timer':
        if (tr) this.emit({ type: 'timer', t: this.now(), host: this.name, conn: e.id, timer: ev.timer, action: ev.action, deadline: ev.deadline });
        break;
      case 'error':
        e.error = { code: ev.code, message: ev.message };
        if (tr) this.emit({ type: 'error', t: this.now(), host: this.name, conn: e.id, code: ev.code, message: ev.message });
        break;
      default:
        break;
    }
    if (e.owner) this.sockets.connEvent(e, ev);
  }

  private outputSegment(e: ConnEntry, seg: Segment): void {
    if (e.quiet) return;
    if (e.routeGen !== this.routeGen || !e.route) {
      e.route = this.sharedRoute(e.remote.addr, e.local.addr);
      e.routeGen = this.routeGen;
    }
    const r = e.route;
    if (!r) {
      this.c.ipOutNoRoutes++;
      this.drop('ip', 'no-route', e.id);
      return;
    }
    this.c.tcpOutSegs++;
    if (seg.flags & RST) this.c.tcpOutRsts++;
    if (this.trace) this.traceSegment('out', e.local.addr, e.remote.addr, seg, e.id);
    const cfg = e.conn.config;
    // RFC 3168 6.1: an ECN-capable connection chooses each segment's ECN codepoint.
    const tos = seg.ecn === undefined ? cfg.tos : ((cfg.tos ?? 0) & 0xfc) | seg.ecn;
    this.sendIp(r.iface, buildTcpPacket(e.srcBytes, e.dstBytes, seg, { checksum: !r.iface.port.checksumOffload, id: this.nextId(), tos, ttl: cfg.ttl }));
  }

  private nextId(): number {
    this.ipId = (this.ipId + 1) & 0xffff;
    return this.ipId;
  }

  private sendIp(iface: Iface, pkt: Uint8Array): void {
    this.c.ipOutRequests++;
    if (pkt.length > iface.mtu) {
      // No fragmentation (TCP sizes its segments by the MSS; DF is set): count, never lose silently.
      this.c.ipOutDiscards++;
      return this.drop('ip', 'exceeds-mtu');
    }
    iface.port.send(pkt);
  }

  /** A segment not belonging to a connection (RST for a closed port). */
  /** @internal A segment not belonging to a connection (RST for a closed port, SYN cookie). */
  sendRaw(family: 4 | 6, src: string, dst: string, seg: Segment, ip?: IpFields): void {
    const r = this.route(dst, src);
    if (!r) {
      this.c.ipOutNoRoutes++;
      this.drop('ip', 'no-route');
      return;
    }
    this.c.tcpOutSegs++;
    if (seg.flags & RST) this.c.tcpOutRsts++;
    if (this.trace) this.traceSegment('out', src, dst, seg);
    this.sendIp(r.iface, buildTcpPacket(r.srcBytes, parseAddr(dst)!.bytes, seg, { checksum: !r.iface.port.checksumOffload, id: this.nextId(), tos: ip?.tos, ttl: ip?.ttl }));
  }

  /** RFC 9293 3.10.7.1 (CLOSED): never answer a RST; otherwise
   *  ACK off: <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>; ACK on: <SEQ=SEG.ACK><CTL=RST>. */
  private resetFor(family: 4 | 6, local: string, remote: string, seg: Segment, ip?: IpFields): void {
    if (seg.flags & RST) return;
    let rst: Segment;
    if (seg.flags & ACK) {
      rst = { srcPort: seg.dstPort, dstPort: seg.srcPort, seq: seg.ack, ack: 0, flags: RST, window: 0, urgent: 0, options: {}, payload: new Uint8Array(0) };
    } else {
      const len = seg.payload.length + (seg.flags & SYN ? 1 : 0) + (seg.flags & FIN ? 1 : 0);
      rst = { srcPort: seg.dstPort, dstPort: seg.srcPort, seq: 0, ack: (seg.seq + len) >>> 0, flags: RST | ACK, window: 0, urgent: 0, options: {}, payload: new Uint8Array(0) };
    }
    this.sendRaw(family, local, remote, rst, ip ?? this.boundIpFields(family, local, seg.dstPort));
  }

  /** The IP header fields of a socket bound (not connected, not listening) to the segment's
   *  address and port: the RST answering it goes out with them (as FreeBSD's tcp_respond uses
   *  the matched socket's TOS and TTL). */
  private boundIpFields(family: 4 | 6, local: string, port: number): IpFields | undefined {
    for (const u of this.ports.usersOf(port)) {
      if (!u.ipFields || u.kind() !== 'bound') continue;
      if (u.addr === local || u.addr === (family === 4 ? '0.0.0.0' : '::')) return u.ipFields();
    }
    return undefined;
  }

  // ---- input -------------------------------------------------------------------------------

  /** An IP packet arrived on an interface (also what LinkPort.onReceive calls). */
  input(ifaceName: string, packet: Uint8Array): void {
    this.work(() => this.inputInner(ifaceName, packet));
  }

  private inputInner(ifaceName: string, packet: Uint8Array): void {
    this.c.ipInReceives++;
    const iface = this.ifaces.get(ifaceName);
    if (!iface) return this.drop('link', 'unknown-interface');
    const r = parsePacket(packet, { verifyChecksums: !iface.port.checksumOffload });
    if (!r.ok) {
      const { layer, reason } = r.error;
      if (layer === 'tcp') {
        this.c.ipInDelivers++;
        this.c.tcpInErrs++;
        return this.drop('tcp', reason);
      }
      if (layer === 'icmp' || layer === 'icmpv6') {
        this.c.ipInDelivers++;
        this.c.icmpInMsgs++;
        this.c.icmpInErrors++;
        return this.drop('icmp', reason);
      }
      this.c.ipInHdrErrors++;
      return this.drop('ip', reason);
    }
    const p = r.value;
    if (!this.localAddrKeys.has(addrKey(p.dstBytes))) {
      this.c.ipInAddrErrors++;
      return this.drop('ip', 'not-for-us');
    }
    if (p.tcp) {
      this.c.ipInDelivers++;
      // RFC 3168 5: the ECN field goes up to TCP (6.1.3: CE-marked segments).
      return this.inputTcp(p, toSegment(p.tcp, p.ip.version === 4 ? p.ip.ecn : p.ip.trafficClass & 3));
    }
    if (p.icmp && (p.protocol === PROTO_ICMP || p.protocol === PROTO_ICMPV6)) {
      this.c.ipInDelivers++;
      return this.inputIcmp(p);
    }
    this.c.ipInUnknownProtos++;
    this.drop('ip', p.protocol === PROTO_TCP ? 'tcp-unparsed' : 'unknown-protocol');
  }

  private inputTcp(p: Packet, seg: Segment): void {
    const family = p.version;
    this.c.tcpInSegs++;
    if (seg.flags & RST) this.c.tcpInRsts++;
    let e = this.conns.get(tupleKey(p.dstBytes, seg.dstPort, p.srcBytes, seg.srcPort));
    if (this.trace) this.traceSegment('in', p.src, p.dst, seg, e?.id);
    if (e && this.timeWaitReopen && e.state === 'TIME-WAIT' && (seg.flags & (SYN | ACK | RST)) === SYN) {
      // RFC 6191 / RFC 1122 4.2.2.13: a new SYN with a sequence number above the old
      // connection's end may reopen the 4-tuple if a listener is there.
      const st = e.conn.status();
      const ts = seg.options.timestamp;
      const newer =
        this.timeWaitReopen === 'timestamps'
          ? st.tsRecent !== undefined && ts !== undefined && gt(ts.val, st.tsRecent)
          : gt(seg.seq, st.rcvNxt);
      if (newer && this.findListener(family, p.dst, seg.dstPort, p.src, seg.srcPort)) {
        this.c.timeWaitRecycled++;
        this.forget(e, 'time-wait recycled by SYN (RFC 6191)');
        e = undefined;
      }
    }
    if (e) {
      if (this.dropSynFin && e.state === 'SYN-SENT' && (seg.flags & (SYN | FIN)) === (SYN | FIN)) {
        return this.drop('tcp', 'syn-sent-syn-fin', e.id);
      }
      if (e.queue === 'syn' && e.listener?.acceptQueueFull && (seg.flags & (ACK | SYN | RST)) === ACK) {
        // Linux: the handshake-completing ACK is ignored while the accept queue is full; the
        // child's SYN-ACK retransmission gives the peer another chance.
        this.c.listenOverflows++;
        return this.drop('tcp', 'listen-overflow', e.id);
      }
      e.conn.segmentArrives(seg, this.now());
      this.touch(e);
      if (e.writeWaiting) this.sockets.writeRoom(e);
      return;
    }
    // Not a known connection: from here on the addresses are needed as text.
    const src = p.src;
    const dst = p.dst;
    const l = this.findListener(family, dst, seg.dstPort, src, seg.srcPort);
    if (l) return this.listenerInput(l, family, src, dst, seg);
    this.c.tcpNoSocket++;
    if (seg.flags & RST) return this.drop('tcp', 'rst-no-socket');
    this.resetFor(family, dst, src, seg);
  }

  private findListener(family: 4 | 6, dst: string, port: number, src: string, srcPort: number): Listener | undefined {
    const list =
      this.listeners.get(listenKey(dst, port)) ??
      this.listeners.get(listenKey(family === 4 ? '0.0.0.0' : '::', port)) ??
      (family === 4 ? this.listeners.get(listenKey('::', port)) : undefined);
    if (!list || list.length === 0) return undefined;
    if (list.length === 1) return list[0];
    // SO_REUSEPORT: spread by a hash of the peer.
    let h = srcPort;
    for (let i = 0; i < src.length; i++) h = (Math.imul(h, 31) + src.charCodeAt(i)) | 0;
    return list[(h >>> 0) % list.length];
  }

  /** RFC 9293 3.10.7.2 (LISTEN). */
  private listenerInput(l: Listener, family: 4 | 6, src: string, dst: string, seg: Segment): void {
    // first, check for a RST: ignore it
    if (seg.flags & RST) return this.drop('tcp', 'listen-rst');
    // second, check for an ACK: <SEQ=SEG.ACK><CTL=RST> (or a SYN cookie)
    if (seg.flags & ACK) {
      if (this.synCookies?.ackToListener(l, { src, dst, family }, seg)) return;
      return this.resetFor(family, dst, src, seg, { tos: l.config.tos, ttl: l.config.ttl });
    }
    // third, check for a SYN
    if (!(seg.flags & SYN)) return this.drop('tcp', 'listen-no-syn');
    if (this.dropSynFin && seg.flags & FIN) return this.drop('tcp', 'listen-syn-fin');
    if (l.acceptQueueFull) {
      this.c.listenOverflows++;
      this.c.listenDrops++;
      return this.drop('tcp', 'listen-overflow');
    }
    if (l.synQueue.size >= l.synLimit) {
      this.c.synQueueOverflows++;
      if (this.synCookies?.synQueueFull(l, { src, dst, family }, seg)) return;
      this.c.listenDrops++;
      return this.drop('tcp', 'syn-queue-full');
    }
    if (this.conns.size >= this.limits.maxConnections) {
      this.c.listenDrops++;
      return this.drop('tcp', 'connection-limit');
    }
    const e = this.adoptChild(l, family, { addr: dst, port: seg.dstPort }, { addr: src, port: seg.srcPort });
    e.conn.openPassive(this.now());
    e.conn.segmentArrives(seg, this.now());
    if (!e.removed) this.touch(e);
  }

  /** Create an unaccepted child connection of a listener (in the SYN queue), not yet opened.
   *  For SYN cookie implementations and the passive open above. */
  adoptChild(l: Listener, family: 4 | 6, local: Endpoint, remote: Endpoint, iss?: number): ConnEntry {
    const e = this.newEntry(family, local, remote, l.reuseAddr, l.reusePort, false);
    e.listener = l;
    e.queue = 'syn';
    l.synQueue.add(e);
    const r = this.route(remote.addr, local.addr);
    this.makeConnection(e, this.configFor(l.config, family, r ? r.iface.mtu : 1500, l.mssClamp), iss);
    return e;
  }

  private inputIcmp(p: Packet): void {
    const m = p.icmp!;
    this.c.icmpInMsgs++;
    const v4 = p.version === 4;
    if ((v4 && m.type === ICMP_ECHO_REQUEST) || (!v4 && m.type === ICMPV6_ECHO_REQUEST)) {
      // RFC 792 / RFC 4443 4.2: echo reply with the same identifier, sequence and data.
      this.c.icmpInEchos++;
      const route = this.route(p.src, p.dst);
      if (!route) {
        this.c.ipOutNoRoutes++;
        return this.drop('ip', 'no-route');
      }
      const reply = { type: v4 ? ICMP_ECHO_REPLY : ICMPV6_ECHO_REPLY, code: 0, rest: m.rest, body: m.body };
      this.c.icmpOutMsgs++;
      this.c.icmpOutEchoReps++;
      this.sendIp(route.iface, buildIcmpPacket(p.dstBytes, p.srcBytes, reply, { id: this.nextId() }));
      return;
    }
    let err: { code: TcpErrorCode; hard: boolean } | null = null;
    let mtu = 0;
    if (v4) {
      if (m.type === ICMP_DEST_UNREACHABLE) this.c.icmpInDestUnreachs++;
      if (m.type === ICMP_TIME_EXCEEDED) this.c.icmpInTimeExcds++;
      if (m.type === ICMP_DEST_UNREACHABLE && m.code === FRAG_NEEDED) {
        this.c.icmpInPktTooBigs++;
        mtu = m.mtu ?? m.rest & 0xffff; // RFC 1191 4: next-hop MTU in the low 16 bits
        if (mtu === 0) mtu = IPV4_MIN_MTU; // pre-RFC 1191 router: assume the minimum
      } else err = icmpV4Error(m.type, m.code);
    } else {
      if (m.type === ICMPV6_DEST_UNREACHABLE) this.c.icmpInDestUnreachs++;
      if (m.type === ICMPV6_TIME_EXCEEDED) this.c.icmpInTimeExcds++;
      if (m.type === ICMPV6_PACKET_TOO_BIG) {
        this.c.icmpInPktTooBigs++;
        mtu = m.mtu ?? m.rest;
      } else err = icmpV6Error(m.type, m.code);
    }
    if (!err && !mtu) return this.drop('icmp', `type-${m.type}-ignored`);
    const qt = m.quote;
    if (!qt || qt.protocol !== PROTO_TCP || qt.srcPort === undefined || qt.dstPort === undefined || qt.seq === undefined) {
      this.c.icmpIgnored++;
      return this.drop('icmp', 'quote-unusable');
    }
    // The quoted packet is one we sent: its source is our local end.
    const e = qt.src.length === qt.dst.length ? this.conns.get(tupleKey(qt.src, qt.srcPort, qt.dst, qt.dstPort)) : undefined;
    if (!e) {
      this.c.icmpIgnored++;
      return this.drop('icmp', 'no-connection');
    }
    // RFC 5927 4.1: the quoted sequence number must satisfy SND.UNA =< SEG.SEQ < SND.NXT (a
    // segment we sent and that is not yet acknowledged).
    const st = e.conn.status();
    if (!(ge(qt.seq, st.sndUna) && lt(qt.seq, st.sndNxt))) {
      this.c.icmpIgnored++;
      return this.drop('icmp', 'seq-out-of-window', e.id);
    }
    const now = this.now();
    if (mtu) {
      const min = v4 ? IPV4_MIN_MTU : IPV6_MIN_MTU;
      const linkMtu = e.route?.mtu ?? this.route(e.remote.addr, e.local.addr)?.iface.mtu ?? 65535;
      const newMtu = Math.max(min, Math.min(mtu, linkMtu));
      const cur = this.pmtu.get(e.remote.addr);
      if (!cur || cur.expires <= now || newMtu < cur.mtu) {
        this.pmtu.delete(e.remote.addr);
        // Bounded cache: the oldest entry goes first.
        if (this.pmtu.size >= PMTU_CACHE_MAX) this.pmtu.delete(this.pmtu.keys().next().value!);
        this.pmtu.set(e.remote.addr, { mtu: newMtu, expires: now + this.limits.pmtuExpiry });
      }
      this.routeGen++; // cached routes pick up the new path MTU
      e.conn.pathMtu(newMtu, now);
    } else if (err) {
      e.conn.icmpError(err.code, abortsOpen(this.icmpAbortsOpen, v4, m.type, m.code, err.hard), now);
    }
    this.touch(e);
  }

  // ---- what the socket layer calls ---------------------------------------------------------

  /** @internal Register a listener (the caller checked bind conflicts). */
  addListener(l: Listener): void {
    const k = listenKey(l.local.addr, l.local.port);
    const list = this.listeners.get(k);
    if (list) list.push(l);
    else this.listeners.set(k, [l]);
  }

  /** @internal Stop listening: every unaccepted child is aborted (RST when synchronized). */
  removeListener(l: Listener): void {
    this.userCall(() => {
      l.closed = true;
      const k = listenKey(l.local.addr, l.local.port);
      const list = this.listeners.get(k);
      if (list) {
        const i = list.indexOf(l);
        if (i >= 0) list.splice(i, 1);
        if (list.length === 0) this.listeners.delete(k);
      }
      const children = [...l.synQueue, ...l.acceptQueue];
      for (const e of children) {
        e.listener = null;
        e.queue = null;
        if (!e.removed && e.state === 'SYN-RECEIVED') {
          // Deliberate choice (Linux inet_csk_listen_stop, FreeBSD's syncache): a handshake not
          // yet complete is discarded silently; the peer's ACK then draws a RST (no listener).
          this.forget(e, 'listener closed');
          continue;
        }
        if (!e.removed) {
          e.conn.abort(this.now());
          this.touch(e);
          if (!e.removed && (e.state === 'CLOSED' || e.state === 'LISTEN')) this.removeEntry(e);
        }
      }
      l.synQueue.clear();
      l.acceptQueue.length = 0;
    });
  }

  /** @internal Take the oldest completed connection off a listener's accept queue. */
  acceptFrom(l: Listener): ConnEntry | undefined {
    const e = l.acceptQueue.shift();
    if (!e) return undefined;
    e.listener = null;
    e.queue = null;
    return e;
  }

  /** @internal Is this 4-tuple in use (any state, including TIME-WAIT)? */
  tupleInUse(local: Endpoint, remote: Endpoint): boolean {
    const k = connKey(local.addr, local.port, remote.addr, remote.port);
    return k !== null && this.conns.has(k);
  }

  get connectionCount(): number {
    return this.conns.size;
  }

  /** @internal Create and actively open a connection (RFC 9293 3.10.1 OPEN, active). */
  openActive(
    family: 4 | 6,
    local: Endpoint,
    remote: Endpoint,
    base: ConnectionConfig,
    flags: { reuseAddr: boolean; reusePort: boolean; ephemeral: boolean; mssClamp?: number },
    owner: unknown,
  ): ConnEntry {
    return this.userCall(() => {
      if (this.conns.size >= this.limits.maxConnections) throw new SocketError('ENOBUFS', 'connection limit');
      const r = this.route(remote.addr, local.addr);
      const e = this.newEntry(family, local, remote, flags.reuseAddr, flags.reusePort, flags.ephemeral);
      e.owner = owner;
      this.makeConnection(e, this.configFor(base, family, r ? r.iface.mtu : 1500, flags.mssClamp));
      e.conn.openActive(this.now());
      const pm = r ? this.pathMtuFor(remote.addr, r.iface.mtu) : undefined;
      if (pm !== undefined && r && pm < r.iface.mtu && !e.removed) e.conn.pathMtu(pm, this.now());
      this.touch(e);
      return e;
    });
  }

  /** Run a call on a connection as a user call (tools: abort, status), then re-read its
   *  deadline so the timer heap stays right. */
  withConn<T>(e: ConnEntry, fn: (c: TcpConnection, now: number) => T): T {
    return this.userCall(() => {
      try {
        return fn(e.conn, this.now());
      } finally {
        this.touch(e);
      }
    });
  }

  /** @internal The socket let go of a connection (close(fd)); it lives on as an orphan. */
  orphan(e: ConnEntry): void {
    e.owner = null;
    if (e.state === 'FIN-WAIT-2' && this.limits.finWait2Timeout > 0 && !e.removed) {
      e.orphanDeadline = this.now() + this.limits.finWait2Timeout;
      this.userCall(() => this.touch(e));
    }
  }

  /** @internal Count a connection-level drop seen by the socket layer. */
  mapError(code: TcpErrorCode): Errno {
    return mapTcpErrno(code);
  }

  /** Tear the host down: close every socket, abort every connection (RST where RFC 9293
   *  3.10.5 sends one), forget the rest and cancel the wakeup. The host stays usable. */
  destroy(): void {
    this.work(() => {
      this.sockets.closeAll();
      const now = this.now();
      for (const e of [...this.conns.values()]) {
        if (!e.removed) e.conn.abort(now);
        if (!e.removed) this.removeEntry(e);
      }
      this.heap.clear();
      this.pending = [];
    });
  }

  /** Every state, for tools. */
  static readonly STATES = TCP_STATES;
}

function hostPort(ep: Endpoint): string {
  return ep.addr.includes(':') ? `[${ep.addr}]:${ep.port}` : `${ep.addr}:${ep.port}`;
}

export { addrEqual };
