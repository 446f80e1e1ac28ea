// Hand-built IPv4/IPv6 + TCP packets for link tests (independent of src/wire on purpose).

function sum16(bytes: Uint8Array, start: number, end: number, acc = 0): number {
  for (let i = start; i < end; i += 2) acc += (bytes[i] << 8) | (i + 1 < end ? bytes[i + 1] : 0);
  return acc;
}
function fold(acc: number): number {
  while (acc > 0xffff) acc = (acc & 0xffff) + (acc >>> 16);
  return ~acc & 0xffff;
}

export interface TcpSpec {
  src?: [number, number, number, number];
  dst?: [number, number, number, number];
  sport?: number;
  dport?: number;
  seq?: number;
  ack?: number;
  flags?: number; // FIN 1 SYN 2 RST 4 PSH 8 ACK 16
  win?: number;
  payload?: Uint8Array | number; // bytes or a length
}

/** A valid IPv4 + TCP packet with correct header and TCP checksums. */
export function ipv4Tcp(s: TcpSpec = {}): Uint8Array {
  const payload = typeof s.payload === 'number' ? new Uint8Array(s.payload).map((_, i) => i & 0xff) : (s.payload ?? new Uint8Array(0));
  const src = s.src ?? [10, 0, 0, 1];
  const dst = s.dst ?? [10, 0, 0, 2];
  const total = 20 + 20 + payload.length;
  const p = new Uint8Array(total);
  const v = new DataView(p.buffer);
  p[0] = 0x45;
  v.setUint16(2, total);
  v.setUint16(4, 1); // id
  v.setUint16(6, 0x4000); // DF
  p[8] = 64;
  p[9] = 6;
  p.set(src, 12);
  p.set(dst, 16);
  v.setUint16(10, fold(sum16(p, 0, 20)));
  const t = 20;
  v.setUint16(t, s.sport ?? 40000);
  v.setUint16(t + 2, s.dport ?? 80);
  v.setUint32(t + 4, (s.seq ?? 0) >>> 0);
  v.setUint32(t + 8, (s.ack ?? 0) >>> 0);
  p[t + 12] = 5 << 4;
  p[t + 13] = s.flags ?? 0x10;
  v.setUint16(t + 14, s.win ?? 65535);
  p.set(payload, t + 20);
  // Pseudo-header: src, dst, zero, proto, TCP length.
  let acc = sum16(p, 12, 20);
  acc += 6 + (total - 20);
  acc = sum16(p, 20, total, acc);
  v.setUint16(t + 16, fold(acc));
  return p;
}

/** Minimal IPv6 packet (no valid upper layer) for routing tests. */
export function ipv6(dst: Uint8Array, src: Uint8Array = new Uint8Array(16), payloadLen = 0): Uint8Array {
  const p = new Uint8Array(40 + payloadLen);
  p[0] = 0x60;
  new DataView(p.buffer).setUint16(4, payloadLen);
  p[6] = 59; // no next header
  p[7] = 64;
  p.set(src, 8);
  p.set(dst, 24);
  return p;
}

/** A test stand-in for wire's describePacket: reads IPv4/TCP by hand. */
export function describeV4(p: Uint8Array) {
  if (p.length < 40 || p[0] >> 4 !== 4 || p[9] !== 6) return null;
  const v = new DataView(p.buffer, p.byteOffset, p.byteLength);
  const ihl = (p[0] & 15) * 4;
  const doff = (p[ihl + 12] >> 4) * 4;
  const f = p[ihl + 13];
  let flags = '';
  if (f & 2) flags += 'S';
  if (f & 1) flags += 'F';
  if (f & 4) flags += 'R';
  if (f & 8) flags += 'P';
  if (f & 16) flags += '.';
  return {
    flags: flags || 'none',
    seq: v.getUint32(ihl + 4),
    ack: v.getUint32(ihl + 8),
    len: v.getUint16(2) - ihl - doff,
    src: `${p.slice(12, 16).join('.')}:${v.getUint16(ihl)}`,
    dst: `${p.slice(16, 20).join('.')}:${v.getUint16(ihl + 2)}`,
  };
}

/** Sequence number of a hand-built IPv4/TCP packet (to identify packets in tests). */
export function seqOf(p: Uint8Array): number {
  return new DataView(p.buffer, p.byteOffset, p.byteLength).getUint32(24);
}
