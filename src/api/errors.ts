// Node-style errors for the API layer: system errors carry `code`, `errno` (negative, as libuv
// reports them on Linux), `syscall` and, when known, `address`/`port`; argument errors carry
// Node's `ERR_*` codes. Browser-safe: no node: imports.
import { SocketError, type Errno } from '../stack/types.js';

/** Linux errno numbers for the codes the socket layer uses (Node reports them negated). */
export const ERRNO: Record<Errno, number> = {
  EAGAIN: 11, EINPROGRESS: 115, EALREADY: 114, EISCONN: 106, ENOTCONN: 107, ECONNREFUSED: 111,
  ECONNRESET: 104, ECONNABORTED: 103, ETIMEDOUT: 110, EPIPE: 32, EADDRINUSE: 98, EADDRNOTAVAIL: 99,
  EINVAL: 22, EBADF: 9, EOPNOTSUPP: 95, EAFNOSUPPORT: 97, EHOSTUNREACH: 113, ENETUNREACH: 101,
  EMFILE: 24, ENOBUFS: 105, EMSGSIZE: 90, ENOPROTOOPT: 92,
};

const BY_NUMBER = new Map<number, Errno>(Object.entries(ERRNO).map(([k, v]) => [v, k as Errno]));

/** libuv's wording (uv_strerror), which Node puts in some messages. */
const UV_MESSAGE: Partial<Record<Errno, string>> = {
  EAGAIN: 'resource temporarily unavailable', ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset by peer', ECONNABORTED: 'software caused connection abort',
  ETIMEDOUT: 'connection timed out', EPIPE: 'broken pipe', EADDRINUSE: 'address already in use',
  EADDRNOTAVAIL: 'address not available', EINVAL: 'invalid argument', EBADF: 'bad file descriptor',
  EHOSTUNREACH: 'host is unreachable', ENETUNREACH: 'network is unreachable', ENOTCONN:
  'socket is not connected', EISCONN: 'socket is already connected', EMFILE: 'too many open files',
  ENOBUFS: 'no buffer space available', EAFNOSUPPORT: 'address family not supported',
  EOPNOTSUPP: 'operation not supported on socket', EMSGSIZE: 'message too long',
};

/** The errno name for a SO_ERROR value (a Linux errno number, possibly negated), or undefined. */
export function errnoName(n: number): Errno | undefined {
  return BY_NUMBER.get(Math.abs(n));
}

export interface NodeSystemError extends Error {
  code: string;
  errno: number;
  syscall: string;
  address?: string;
  port?: number;
}

/** Node's `exceptionWithHostPort` shape: "connect ECONNREFUSED 127.0.0.1:80". With `uv` true the
 *  libuv message is included as Node does for listen/bind: "listen EADDRINUSE: address already
 *  in use 127.0.0.1:80". */
export function systemError(
  code: Errno | string,
  syscall: string,
  address?: string,
  port?: number,
  uv = false,
): NodeSystemError {
  let details = '';
  if (address !== undefined) details = port !== undefined && port > 0 ? ` ${address}:${port}` : ` ${address}`;
  const msg = uv && UV_MESSAGE[code as Errno] ? `${syscall} ${code}: ${UV_MESSAGE[code as Errno]}${details}` : `${syscall} ${code}${details}`;
  const err = new Error(msg) as NodeSystemError;
  err.code = code;
  err.errno = -(ERRNO[code as Errno] ?? 0) || 0;
  err.syscall = syscall;
  if (address !== undefined) err.address = address;
  if (port !== undefined && port > 0) err.port = port;
  return err;
}

/** Turn whatever a SocketLayer call threw into a Node-style error (non-SocketErrors pass through,
 *  wrapped when they are not Errors). */
export function fromSocketError(e: unknown, syscall: string, address?: string, port?: number, uv = false): Error {
  if (e instanceof SocketError) return systemError(e.code, syscall, address, port, uv);
  const code = (e as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && code in ERRNO) return systemError(code, syscall, address, port, uv);
  return e instanceof Error ? e : new Error(String(e));
}

export function isErrno(e: unknown, ...codes: Errno[]): boolean {
  return e instanceof SocketError && codes.includes(e.code);
}

type ErrorCtor = new (message: string) => Error;

/** Node's internal `ERR_*` errors: `new TypeError(msg)` with `code`, and the name Node prints. */
export function codedError(code: string, message: string, Ctor: ErrorCtor = Error): Error & { code: string } {
  const err = new Ctor(message) as Error & { code: string };
  err.code = code;
  return err;
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (v === undefined) return 'undefined';
  if (typeof v === 'function') return `function ${(v as { name?: string }).name || '<anonymous>'}`;
  if (typeof v === 'object') return `an instance of ${(v as object).constructor?.name ?? 'Object'}`;
  let s = typeof v === 'string' ? `'${v}'` : String(v);
  if (s.length > 28) s = s.slice(0, 25) + '...';
  return `type ${typeof v} (${s})`;
}

/** ERR_SOCKET_BAD_PORT, worded as Node words it. */
export function badPort(name: string, port: unknown, allowZero = true): Error {
  const op = allowZero ? '>=' : '>';
  return codedError('ERR_SOCKET_BAD_PORT', `${name} should be ${op} 0 and < 65536. Received ${describe(port)}.`, RangeError);
}

export function invalidArgType(name: string, expected: string, actual: unknown): Error {
  return codedError('ERR_INVALID_ARG_TYPE', `The "${name}" argument must be ${expected}. Received ${describe(actual)}`, TypeError);
}

export function invalidArgValue(name: string, value: unknown, reason = 'is invalid'): Error {
  return codedError('ERR_INVALID_ARG_VALUE', `The argument '${name}' ${reason}. Received ${describe(value)}`, TypeError);
}

export function invalidIp(addr: unknown): Error {
  return codedError('ERR_INVALID_IP_ADDRESS', `Invalid IP address: ${String(addr)}`, TypeError);
}
