// Configures a TUN device's kernel side with `ip` (iproute2) and /proc/sys, from Node.
// The TUN device is a point-to-point wire between the kernel and synack: the kernel gets one
// address on the subnet (the "kernel address"), synack answers for another (its own address,
// which the kernel reaches through the subnet route on the device).
import { execFileSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { isIPv4, isIPv6 } from 'node:net';

export interface Cidr {
  family: 4 | 6;
  addr: string;
  prefix: number;
}

export class TunSetupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TunSetupError';
  }
}

/** Parses "10.99.0.2/24" or "fd00:99::2/64" (prefix defaults to /24 or /64). */
export function parseCidr(s: string): Cidr {
  const [addr, p, extra] = s.split('/');
  if (extra !== undefined) throw new TunSetupError(`bad address ${JSON.stringify(s)}: expected ADDR/PREFIX`);
  const family = isIPv4(addr) ? 4 : isIPv6(addr) ? 6 : 0;
  if (family === 0) throw new TunSetupError(`bad address ${JSON.stringify(s)}: not an IPv4 or IPv6 address`);
  const max = family === 4 ? 32 : 128;
  const prefix = p === undefined ? (family === 4 ? 24 : 64) : Number(p);
  if (!/^\d+$/.test(p ?? '0') || !Number.isInteger(prefix) || prefix < 1 || prefix > max - 2) {
    throw new TunSetupError(`bad prefix in ${JSON.stringify(s)}: need 1..${max - 2} (room for two hosts)`);
  }
  return { family, addr, prefix };
}

function v4ToBig(a: string): bigint {
  return a.split('.').reduce((acc, o) => (acc << 8n) | BigInt(Number(o)), 0n);
}
function bigToV4(n: bigint): string {
  return [24n, 16n, 8n, 0n].map((s) => String((n >> s) & 255n)).join('.');
}
function v6ToBig(a: string): bigint {
  let s = a;
  const m = /(\d+\.\d+\.\d+\.\d+)$/.exec(s); // embedded IPv4 tail
  if (m) {
    const v = v4ToBig(m[1]);
    s = s.slice(0, -m[1].length) + `${(v >> 16n).toString(16)}:${(v & 0xffffn).toString(16)}`;
  }
  const [head, tail] = s.includes('::') ? s.split('::') : [s, undefined];
  const h = head ? head.split(':') : [];
  const t = tail !== undefined && tail !== '' ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
  return groups.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g, 16)), 0n);
}
function bigToV6(n: bigint): string {
  const g: string[] = [];
  for (let i = 7; i >= 0; i--) g.push(((n >> BigInt(i * 16)) & 0xffffn).toString(16));
  // compress the longest run of zero groups
  let best = -1, bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (g[i] !== '0') { i++; continue; }
    let j = i;
    while (j < 8 && g[j] === '0') j++;
    if (j - i > bestLen && j - i > 1) { best = i; bestLen = j - i; }
    i = j;
  }
  if (best < 0) return g.join(':');
  return `${g.slice(0, best).join(':')}::${g.slice(best + bestLen).join(':')}`;
}

/** Canonical text form of an address (for comparisons). */
export function canonicalAddr(a: string): string {
  return isIPv4(a) ? bigToV4(v4ToBig(a)) : bigToV6(v6ToBig(a));
}

/** The subnet's first host ("10.99.0.1" for 10.99.0.2/24); the second when `avoid` is the first. */
export function defaultKernelAddr(c: Cidr): string {
  const bits = c.family === 4 ? 32 : 128;
  const toBig = c.family === 4 ? v4ToBig : v6ToBig;
  const toStr = c.family === 4 ? bigToV4 : bigToV6;
  const hostBits = BigInt(bits - c.prefix);
  const net = (toBig(c.addr) >> hostBits) << hostBits;
  const first = net + 1n;
  return toStr(first === toBig(c.addr) ? net + 2n : first);
}

/** True when `a` lies in the subnet c. */
export function inSubnet(a: string, c: Cidr): boolean {
  const fam = isIPv4(a) ? 4 : isIPv6(a) ? 6 : 0;
  if (fam !== c.family) return false;
  const toBig = c.family === 4 ? v4ToBig : v6ToBig;
  const hostBits = BigInt((c.family === 4 ? 32 : 128) - c.prefix);
  return toBig(a) >> hostBits === toBig(c.addr) >> hostBits;
}

export interface TunSetupOptions {
  dev: string;
  mtu: number;
  /** synack's addresses; for each, the kernel gets `kernelAddrs[i]` (default: subnet's first host). */
  addrs: Cidr[];
  kernelAddrs?: (string | undefined)[];
  /** Network namespace the device is in (default: the current one). */
  netns?: string;
  /** Log each command (default: silent). */
  log?: (line: string) => void;
}

export interface TunSetupResult {
  dev: string;
  /** Per family, the kernel's address and synack's address. */
  pairs: { family: 4 | 6; kernel: string; synack: string; prefix: number }[];
}

function run(cmd: string, args: string[], log?: (l: string) => void): void {
  log?.(`${cmd} ${args.join(' ')}`);
  try {
    execFileSync(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  } catch (e) {
    const err = e as { stderr?: string; code?: string; message: string };
    if (err.code === 'ENOENT') throw new TunSetupError(`\`${cmd}\` not found: install iproute2`);
    throw new TunSetupError(`\`${cmd} ${args.join(' ')}\` failed: ${(err.stderr ?? err.message).trim()}`);
  }
}

function sysctl(path: string, value: string, log?: (l: string) => void, netns?: string): boolean {
  const p = `/proc/sys/${path.replace(/\./g, '/')}`;
  if (netns !== undefined) {
    // /proc/sys/net shows the reading process's namespace: write from inside the other one.
    log?.(`ip netns exec ${netns} sysctl -w ${path}=${value}`);
    try {
      execFileSync('ip', ['netns', 'exec', netns, 'sh', '-c', `[ -e ${p} ] && echo ${value} > ${p}`], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  }
  if (!existsSync(p)) return false;
  log?.(`sysctl -w ${path}=${value}`);
  try {
    writeFileSync(p, value);
    return true;
  } catch {
    return false;
  }
}

/** Brings the device up with the kernel's addresses and MTU. IPv6 on the device is turned off
 *  when synack has no IPv6 address (no router solicitations, MLD or DAD noise), and otherwise kept
 *  quiet: accept_ra=0, router_solicitations=0, no DAD. */
export function setupTun(o: TunSetupOptions): TunSetupResult {
  const { dev, log, netns } = o;
  const ip = (args: string[]) => run('ip', netns !== undefined ? ['-n', netns, ...args] : args, log);
  const sys = (k: string, v: string) => sysctl(k, v, log, netns);
  if (!/^[A-Za-z0-9_.-]{1,15}$/.test(dev)) throw new TunSetupError(`bad device name ${JSON.stringify(dev)}`);
  const pairs: TunSetupResult['pairs'] = [];
  o.addrs.forEach((c, i) => {
    const kernel = o.kernelAddrs?.[i] ?? defaultKernelAddr(c);
    if (!inSubnet(kernel, c)) throw new TunSetupError(`kernel address ${kernel} is not in ${c.addr}/${c.prefix}`);
    if (canonicalAddr(kernel) === canonicalAddr(c.addr)) {
      throw new TunSetupError(`kernel address and synack address are both ${kernel}`);
    }
    pairs.push({ family: c.family, kernel, synack: c.addr, prefix: c.prefix });
  });
  const v6 = pairs.some((p) => p.family === 6);
  if (v6) {
    sys(`net.ipv6.conf.${dev}.disable_ipv6`, '0');
    sys(`net.ipv6.conf.${dev}.accept_ra`, '0');
    sys(`net.ipv6.conf.${dev}.router_solicitations`, '0');
    sys(`net.ipv6.conf.${dev}.accept_dad`, '0');
    sys(`net.ipv6.conf.${dev}.dad_transmits`, '0');
    sys(`net.ipv6.conf.${dev}.addr_gen_mode`, '1'); // no link-local address of our making
  } else {
    sys(`net.ipv6.conf.${dev}.disable_ipv6`, '1');
  }
  ip(['link', 'set', 'dev', dev, 'mtu', String(o.mtu)]);
  for (const p of pairs) {
    const extra = p.family === 6 ? ['nodad'] : [];
    ip([p.family === 6 ? '-6' : '-4', 'addr', 'add', `${p.kernel}/${p.prefix}`, 'dev', dev, ...extra]);
  }
  ip(['link', 'set', 'dev', dev, 'up']);
  return { dev, pairs };
}

/** Why TUN devices cannot be set up here, or null. */
export function tunEnvironmentProblem(): string | null {
  if (process.platform !== 'linux') return `TUN needs Linux (this is ${process.platform})`;
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    return 'creating a TUN device needs root (or CAP_NET_ADMIN); run with sudo';
  }
  if (!existsSync('/dev/net/tun')) return '/dev/net/tun is missing (try `modprobe tun`)';
  return null;
}
