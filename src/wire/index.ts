// The wire layer: bytes <-> headers. Browser-safe (no node: imports, no Buffer).
export * from './types.js';
export * from './result.js';
export * from './addr.js';
export * from './checksum.js';
export * from './ipv4.js';
export * from './ipv6.js';
export * from './options.js';
export * from './tcp.js';
export * from './icmp.js';
export * from './packet.js';
