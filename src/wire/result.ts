// Typed parse results: wire parsers never throw; they return ok or a WireError naming the field.

export type WireLayer = 'ipv4' | 'ipv6' | 'tcp' | 'icmp' | 'icmpv6';

/** Why a byte string was rejected. `reason` is short and stable (e.g. 'truncated', 'bad-checksum'). */
export interface WireError {
  layer: WireLayer;
  field: string;
  reason: string;
}

export type WireResult<T> = { ok: true; value: T } | { ok: false; error: WireError };

export function ok<T>(value: T): WireResult<T> {
  return { ok: true, value };
}

export function fail<T = never>(layer: WireLayer, field: string, reason: string): WireResult<T> {
  return { ok: false, error: { layer, field, reason } };
}

/** "tcp.dataOffset: bad-data-offset", for logs and drop counters. */
export function formatWireError(e: WireError): string {
  return `${e.layer}.${e.field}: ${e.reason}`;
}
