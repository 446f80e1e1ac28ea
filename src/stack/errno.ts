// Linux errno numbers for the socket layer's error names (asm-generic/errno.h), so SO_ERROR can
// return a number like getsockopt(2) does and callers can map it back to a name.
import type { Errno } from './types.js';

export const ERRNO: Readonly<Record<Errno, number>> = {
  EBADF: 9,
  EAGAIN: 11,
  EINVAL: 22,
  EMFILE: 24,
  EPIPE: 32,
  EMSGSIZE: 90,
  ENOPROTOOPT: 92,
  EOPNOTSUPP: 95,
  EAFNOSUPPORT: 97,
  EADDRINUSE: 98,
  EADDRNOTAVAIL: 99,
  ENETUNREACH: 101,
  ECONNABORTED: 103,
  ECONNRESET: 104,
  ENOBUFS: 105,
  EISCONN: 106,
  ENOTCONN: 107,
  ETIMEDOUT: 110,
  ECONNREFUSED: 111,
  EHOSTUNREACH: 113,
  EALREADY: 114,
  EINPROGRESS: 115,
};

const BY_NUMBER = new Map<number, Errno>(Object.entries(ERRNO).map(([k, v]) => [v, k as Errno]));

/** Errno name -> Linux number. */
export function errnoNumber(name: Errno): number {
  return ERRNO[name];
}

/** Linux number -> errno name (undefined for 0 or numbers the socket layer never produces). */
export function errnoName(n: number): Errno | undefined {
  return BY_NUMBER.get(n);
}
