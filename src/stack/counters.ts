// Host counters, named after Linux's /proc/net/snmp and netstat MIB entries, and `netstat -s`
// style text.
import type { TcpState } from '../tcp/types.js';
import { TCP_STATES } from '../tcp/types.js';

export interface HostCounters {
  // IP (RFC 4293 names)
  ipInReceives: number;
  ipInDelivers: number;
  ipOutRequests: number;
  ipInHdrErrors: number;
  ipInAddrErrors: number;
  ipInUnknownProtos: number;
  ipOutNoRoutes: number;
  /** Outgoing packets larger than the interface MTU (dropped: no fragmentation). */
  ipOutDiscards: number;
  // ICMP
  icmpInMsgs: number;
  icmpInErrors: number;
  icmpInEchos: number;
  icmpInDestUnreachs: number;
  icmpInTimeExcds: number;
  icmpInPktTooBigs: number;
  icmpOutMsgs: number;
  icmpOutEchoReps: number;
  /** ICMP errors that quoted no known connection or a sequence number outside [sndUna, sndNxt]. */
  icmpIgnored: number;
  // TCP (RFC 4022 names)
  tcpActiveOpens: number;
  tcpPassiveOpens: number;
  tcpAttemptFails: number;
  tcpEstabResets: number;
  tcpInSegs: number;
  tcpOutSegs: number;
  tcpRetransSegs: number;
  tcpInErrs: number;
  tcpInRsts: number;
  tcpOutRsts: number;
  /** Segments for no connection and no listener (answered with RST unless they were RSTs). */
  tcpNoSocket: number;
  // TcpExt
  tcpChallengeAcks: number;
  tcpChallengeAcksSuppressed: number;
  /** Accept queue full: SYN dropped or completing ACK ignored (LINUX_MIB_LISTENOVERFLOWS). */
  listenOverflows: number;
  /** SYNs to LISTEN sockets dropped for any reason (LINUX_MIB_LISTENDROPS). */
  listenDrops: number;
  /** Half-open (SYN) queue full. */
  synQueueOverflows: number;
  /** SYN cookies (stack/syncookies.ts): cookie SYN,ACKs sent, valid cookie ACKs (connection
   *  created), ACKs that failed the check while cookies were in use (LINUX_MIB_SYNCOOKIES*). */
  syncookiesSent: number;
  syncookiesRecv: number;
  syncookiesFailed: number;
  /** TIME-WAIT connections replaced by a new SYN (RFC 6191 / RFC 1122 4.2.2.13). */
  timeWaitRecycled: number;
  /** Orphaned FIN-WAIT-2 connections forgotten after limits.finWait2Timeout. */
  finWait2Timeouts: number;
  /** Connections closed at once instead of entering TIME-WAIT: limits.maxTimeWait reached
   *  (LINUX_MIB_TCPTIMEWAITOVERFLOW). */
  timeWaitOverflows: number;
  /** Drops at the host level by "layer:reason" (e.g. "ip:bad-checksum", "tcp:listen-overflow"). */
  drops: Record<string, number>;
  /** Segments the connections refused, by the connection's reason. */
  connDrops: Record<string, number>;
}

export function newCounters(): HostCounters {
  return {
    ipInReceives: 0,
    ipInDelivers: 0,
    ipOutRequests: 0,
    ipInHdrErrors: 0,
    ipInAddrErrors: 0,
    ipInUnknownProtos: 0,
    ipOutNoRoutes: 0,
    ipOutDiscards: 0,
    icmpInMsgs: 0,
    icmpInErrors: 0,
    icmpInEchos: 0,
    icmpInDestUnreachs: 0,
    icmpInTimeExcds: 0,
    icmpInPktTooBigs: 0,
    icmpOutMsgs: 0,
    icmpOutEchoReps: 0,
    icmpIgnored: 0,
    tcpActiveOpens: 0,
    tcpPassiveOpens: 0,
    tcpAttemptFails: 0,
    tcpEstabResets: 0,
    tcpInSegs: 0,
    tcpOutSegs: 0,
    tcpRetransSegs: 0,
    tcpInErrs: 0,
    tcpInRsts: 0,
    tcpOutRsts: 0,
    tcpNoSocket: 0,
    tcpChallengeAcks: 0,
    tcpChallengeAcksSuppressed: 0,
    listenOverflows: 0,
    listenDrops: 0,
    synQueueOverflows: 0,
    syncookiesSent: 0,
    syncookiesRecv: 0,
    syncookiesFailed: 0,
    timeWaitRecycled: 0,
    finWait2Timeouts: 0,
    timeWaitOverflows: 0,
    drops: {},
    connDrops: {},
  };
}

/** What `HostStack.counters()` returns: the counters plus gauges computed at snapshot time. */
export interface CounterSnapshot extends HostCounters {
  /** Connections in ESTABLISHED or CLOSE-WAIT (RFC 4022 tcpCurrEstab). */
  tcpCurrEstab: number;
  connectionsByState: Record<TcpState, number>;
  /** Connections known to the demux table (every state but LISTEN sockets). */
  connections: number;
  listeners: number;
  /** Connections with an armed timer. */
  timers: number;
}

export function emptyByState(): Record<TcpState, number> {
  const r = {} as Record<TcpState, number>;
  for (const s of TCP_STATES) r[s] = 0;
  return r;
}

/** `netstat -s` style report. */
export function formatNetstat(c: CounterSnapshot): string {
  const L: string[] = [];
  const line = (n: number, text: string): void => {
    L.push(`    ${n} ${text}`);
  };
  L.push('Ip:');
  line(c.ipInReceives, 'total packets received');
  line(c.ipInHdrErrors, 'with invalid headers');
  line(c.ipInAddrErrors, 'with invalid addresses');
  line(c.ipInUnknownProtos, 'with unknown protocol');
  line(c.ipInDelivers, 'incoming packets delivered');
  line(c.ipOutRequests, 'requests sent out');
  line(c.ipOutNoRoutes, 'dropped because of missing route');
  line(c.ipOutDiscards, 'outgoing packets dropped (larger than the MTU)');
  L.push('Icmp:');
  line(c.icmpInMsgs, 'ICMP messages received');
  line(c.icmpInErrors, 'input ICMP message failed');
  line(c.icmpInEchos, 'echo requests');
  line(c.icmpInDestUnreachs, 'destination unreachable');
  line(c.icmpInTimeExcds, 'timeout in transit');
  line(c.icmpInPktTooBigs, 'packet too big / fragmentation needed');
  line(c.icmpOutMsgs, 'ICMP messages sent');
  line(c.icmpOutEchoReps, 'echo replies');
  L.push('Tcp:');
  line(c.tcpActiveOpens, 'active connection openings');
  line(c.tcpPassiveOpens, 'passive connection openings');
  line(c.tcpAttemptFails, 'failed connection attempts');
  line(c.tcpEstabResets, 'connection resets received');
  line(c.tcpCurrEstab, 'connections established');
  line(c.tcpInSegs, 'segments received');
  line(c.tcpOutSegs, 'segments sent out');
  line(c.tcpRetransSegs, 'segments retransmitted');
  line(c.tcpInErrs, 'bad segments received');
  line(c.tcpOutRsts, 'resets sent');
  line(c.tcpInRsts, 'resets received');
  L.push('TcpExt:');
  line(c.tcpNoSocket, 'segments for closed ports');
  line(c.listenOverflows, 'times the listen queue of a socket overflowed');
  line(c.listenDrops, 'SYNs to LISTEN sockets dropped');
  line(c.synQueueOverflows, 'times the SYN queue of a socket overflowed');
  line(c.syncookiesSent, 'SYN cookies sent');
  line(c.syncookiesRecv, 'SYN cookies received');
  line(c.syncookiesFailed, 'invalid SYN cookies received');
  line(c.tcpChallengeAcks, 'challenge ACKs sent');
  line(c.tcpChallengeAcksSuppressed, 'challenge ACKs suppressed by the rate limit');
  line(c.timeWaitRecycled, 'TIME-WAIT connections recycled by a new SYN');
  line(c.finWait2Timeouts, 'orphaned FIN-WAIT-2 connections timed out');
  line(c.timeWaitOverflows, 'times the TIME-WAIT table overflowed');
  line(c.icmpIgnored, 'ICMP errors ignored (no connection or sequence out of window)');
  L.push('Drops:');
  for (const k of Object.keys(c.drops).sort()) line(c.drops[k], k);
  for (const k of Object.keys(c.connDrops).sort()) line(c.connDrops[k], `conn:${k}`);
  L.push('Connections:');
  for (const s of Object.keys(c.connectionsByState) as TcpState[]) {
    if (c.connectionsByState[s]) line(c.connectionsByState[s], s);
  }
  return L.join('\n') + '\n';
}
