// isIP / isIPv4 / isIPv6 with Node's exact grammar (lib/internal/net.js), plus port validation
// and name resolution for the API layer. Browser-safe.
import { badPort } from './errors.js';

const v4Seg = '(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9][0-9]|[0-9])';
const v4Str = `(?:${v4Seg}\\.){3}${v4Seg}`;
const IPv4Reg = new RegExp(`^${v4Str}$`);
const v6Seg = '(?:[0-9a-fA-F]{1,4})';
const IPv6Reg = new RegExp(
  '^(?:' +
    `(?:${v6Seg}:){7}(?:${v6Seg}|:)|` +
    `(?:${v6Seg}:){6}(?:${v4Str}|:${v6Seg}|:)|` +
    `(?:${v6Seg}:){5}(?::${v4Str}|(?::${v6Seg}){1,2}|:)|` +
    `(?:${v6Seg}:){4}(?:(?::${v6Seg}){0,1}:${v4Str}|(?::${v6Seg}){1,3}|:)|` +
    `(?:${v6Seg}:){3}(?:(?::${v6Seg}){0,2}:${v4Str}|(?::${v6Seg}){1,4}|:)|` +
    `(?:${v6Seg}:){2}(?:(?::${v6Seg}){0,3}:${v4Str}|(?::${v6Seg}){1,5}|:)|` +
    `(?:${v6Seg}:){1}(?:(?::${v6Seg}){0,4}:${v4Str}|(?::${v6Seg}){1,6}|:)|` +
    `(?::(?:(?::${v6Seg}){0,5}:${v4Str}|(?::${v6Seg}){1,7}|:))` +
    ')(?:%[0-9a-zA-Z-.:]{1,})?$',
);

export function isIPv4(s: unknown): boolean {
  return typeof s === 'string' && IPv4Reg.test(s);
}
export function isIPv6(s: unknown): boolean {
  return typeof s === 'string' && IPv6Reg.test(s);
}
/** 4, 6, or 0 (not an IP address), as node:net's isIP. */
export function isIP(s: unknown): 0 | 4 | 6 {
  return isIPv4(s) ? 4 : isIPv6(s) ? 6 : 0;
}

/** Strip an IPv6 zone id ("fe80::1%eth0" -> "fe80::1"); the stack has no scopes. */
export function stripZone(addr: string): string {
  const i = addr.indexOf('%');
  return i >= 0 ? addr.slice(0, i) : addr;
}

/** Node's validatePort: numbers or numeric strings in [0, 65535] (0 only when allowZero). */
export function validatePort(port: unknown, name = 'Port', allowZero = true): number {
  if (
    (typeof port !== 'number' && typeof port !== 'string') ||
    (typeof port === 'string' && port.trim().length === 0) ||
    +port !== +port >>> 0 ||
    +port > 0xffff ||
    (+port === 0 && !allowZero)
  ) {
    throw badPort(name, port, allowZero);
  }
  return +port | 0;
}

export function familyName(addr: string): 'IPv4' | 'IPv6' {
  return isIPv6(addr) ? 'IPv6' : 'IPv4';
}
