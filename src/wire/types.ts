// Shared shapes of TCP segments, used by wire/ (parse/emit), tcp/ (the core) and tools.
// The core sees a TCP segment without IP addresses (the host stack knows the 4-tuple).

/** TCP header flag bits (RFC 9293 3.1, RFC 3168 for ECE/CWR). */
export const FIN = 0x01;
export const SYN = 0x02;
export const RST = 0x04;
export const PSH = 0x08;
export const ACK = 0x10;
export const URG = 0x20;
export const ECE = 0x40;
export const CWR = 0x80;

/** One TCP option in header order; the parsed form keeps layout so it round-trips. */
export type TcpOption =
  | { kind: 'eol' }
  | { kind: 'nop' }
  | { kind: 'mss'; value: number } // RFC 9293 3.2, kind 2
  | { kind: 'wscale'; shift: number } // RFC 7323 2, kind 3
  | { kind: 'sackPermitted' } // RFC 2018, kind 4
  | { kind: 'sack'; blocks: Array<[number, number]> } // RFC 2018, kind 5: [left, right)
  | { kind: 'timestamp'; val: number; ecr: number } // RFC 7323 3, kind 8
  | { kind: 'unknown'; type: number; data: Uint8Array }; // preserved, skipped by length

/** The options the core cares about, flattened (absent = not present). */
export interface SegmentOptions {
  mss?: number;
  wscale?: number;
  sackPermitted?: boolean;
  sack?: Array<[number, number]>;
  timestamp?: { val: number; ecr: number };
}

/** A TCP segment as the connection state machine sees it. Numbers are uint32 / uint16. */
export interface Segment {
  srcPort: number;
  dstPort: number;
  seq: number;
  ack: number;
  /** Bitmask of FIN|SYN|RST|PSH|ACK|URG|ECE|CWR. */
  flags: number;
  /** Raw 16-bit window field (not yet scaled). */
  window: number;
  urgent: number;
  options: SegmentOptions;
  payload: Uint8Array;
  /** RFC 3168 5: the IP header's ECN codepoint (ECN_NOT_ECT, ECN_ECT1, ECN_ECT0, ECN_CE). Inbound:
   *  what the packet carried (set by the host). Outbound: what the connection asks the host to
   *  send; absent = the socket's TOS byte as it is (an ECN-capable connection always sets it). */
  ecn?: number;
}

/** RFC 3168 5: ECN codepoints, the two low bits of the IPv4 TOS / IPv6 Traffic Class byte. */
export const ECN_NOT_ECT = 0;
export const ECN_ECT1 = 1;
export const ECN_ECT0 = 2;
export const ECN_CE = 3;

/** tcpdump/packetdrill style flag string: "S", "S.", ".", "F.", "R.", "P.", "FP." ... */
export function flagString(flags: number): string {
  let s = '';
  if (flags & SYN) s += 'S';
  if (flags & FIN) s += 'F';
  if (flags & RST) s += 'R';
  if (flags & PSH) s += 'P';
  if (flags & URG) s += 'U';
  if (flags & ECE) s += 'E';
  if (flags & CWR) s += 'W';
  if (flags & ACK) s += '.';
  return s === '' ? 'none' : s;
}
