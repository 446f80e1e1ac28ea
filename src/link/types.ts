// A link carries whole IP packets between interfaces. The host stack attaches to a LinkPort:
// it calls send() for outbound packets and sets onReceive for inbound ones.

export interface LinkPort {
  /** Send one IP packet (IPv4 or IPv6, no link-layer header). The port takes ownership of the
   *  bytes: the caller must not change them afterwards (the host stack builds a fresh buffer
   *  per packet), so a simulated link can hand them to the receiver without a copy. */
  send(packet: Uint8Array): void;
  /** Called for each packet that arrives on this port. */
  onReceive: ((packet: Uint8Array) => void) | null;
  /** Largest IP packet this link carries. */
  readonly mtu: number;
  /** True when the link cannot corrupt packets, so checksums may be skipped (like Linux lo). */
  readonly checksumOffload?: boolean;
}
