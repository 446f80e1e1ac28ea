// `synack tun`: synack on a real TUN device, talking to the Linux kernel's TCP.
//
//   synack tun --dev NAME --addr 10.99.0.2/24 [--kernel-addr 10.99.0.1] [--mtu N] [--pcap FILE]
//              serve --port P --mode echo|discard|http
//   synack tun ... connect HOST:PORT [--file F]
//
// Creates the TUN device in the current network namespace, gives the kernel's side the
// --kernel-addr (default: the subnet's first host), brings it up and runs synack at --addr.
// serve: echo, discard, or an HTTP server (Node's `http` over synack sockets) answering
// `GET /bytes/N` with N bytes and `POST /sha256` with the hex SHA-256 of the body.
// connect: sends stdin (or --file), half-closes, prints what comes back.
// Status lines go to stderr; stdout carries only data (connect).
import { createReadStream } from 'node:fs';
import { createHash } from 'node:crypto';
import http from 'node:http';
import type { Command, ParsedArgs } from '../args.js';
import '../../index.js'; // registers stack.net (Node entry)
import { Stack } from '../../api/stack.js';
import type { Socket, Server } from '../../api/net.js';
import { TunLink, TunUnavailableError, tunAddonProblem, TUN_MAX_MTU, TUN_MIN_MTU, type TunImpairment } from '../../link/tun.js';
import { parseCidr, setupTun, tunEnvironmentProblem, TunSetupError, type Cidr } from '../../link/tun-setup.js';
import { PcapStream } from '../../link/tun-pcap.js';

/** The deterministic byte stream `GET /bytes/N` serves (xorshift32), in chunks. Tests compute
 *  the expected SHA-256 from the same generator. */
export function* payloadChunks(n: number, chunkSize = 65536): Generator<Buffer> {
  let x = 0x2545f491;
  for (let off = 0; off < n; off += chunkSize) {
    const len = Math.min(chunkSize, n - off);
    const w = new Int32Array((len + 3) >> 2);
    for (let i = 0; i < w.length; i++) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      w[i] = x;
    }
    yield Buffer.from(w.buffer, 0, len);
  }
}

export function payloadSha256(n: number): string {
  const h = createHash('sha256');
  for (const c of payloadChunks(n)) h.update(c);
  return h.digest('hex');
}

const MAX_BYTES = 16 * 1024 * 1024 * 1024;

class UsageError extends Error {}

function parseHostPort(s: string): { host: string; port: number } {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(s) ?? /^([^:]+):(\d+)$/.exec(s);
  if (!m) throw new UsageError(`expected HOST:PORT or [IPv6]:PORT, got '${s}'`);
  const port = Number(m[2]);
  if (port < 1 || port > 65535) throw new UsageError(`port out of range in '${s}'`);
  return { host: m[1], port };
}

function impairmentFrom(args: ParsedArgs): TunImpairment | undefined {
  const im: TunImpairment = {};
  const prob = (flag: string): number | undefined => {
    const v = args.num(flag);
    if (v !== undefined && !(v >= 0 && v <= 1)) throw new UsageError(`--${flag} is a probability in [0, 1], got ${v}`);
    return v;
  };
  const ms = (flag: string): number | undefined => {
    const v = args.num(flag);
    if (v !== undefined && !(v >= 0 && v <= 60_000)) throw new UsageError(`--${flag} is a delay in ms (0..60000), got ${v}`);
    return v;
  };
  const loss = prob('loss');
  im.lossIn = prob('loss-in') ?? loss;
  im.lossOut = prob('loss-out') ?? loss;
  im.delayMs = ms('delay');
  im.jitterMs = ms('jitter');
  im.reorder = prob('reorder');
  im.reorderMs = ms('reorder-ms');
  im.duplicate = prob('duplicate');
  im.seed = args.num('seed') ?? 1;
  const any = [im.lossIn, im.lossOut, im.delayMs, im.jitterMs, im.reorder, im.duplicate].some((v) => v !== undefined && v > 0);
  return any ? im : undefined;
}

export const tun: Command = {
  name: 'tun',
  summary: "Run synack on a TUN device against the Linux kernel's TCP (serve or connect); root",
  usage:
    'synack tun --dev NAME --addr 10.99.0.2/24 [--addr fd00:99::2/64] [--kernel-addr 10.99.0.1] [--mtu N] [--pcap FILE]\n' +
    '           serve --port P --mode echo|discard|http\n' +
    '       synack tun ... connect HOST:PORT [--file F]\n' +
    'Impairments inside the link (synack side, seeded): --loss P --loss-in P --loss-out P --delay MS\n' +
    '  --jitter MS --reorder P --reorder-ms MS --duplicate P --seed N',
  flags: {
    dev: { type: 'string', description: 'TUN device name (created; default: the kernel picks tunN)', metavar: 'NAME' },
    addr: { type: 'string', multiple: true, description: "synack's address and prefix (repeat for IPv4 + IPv6)", metavar: 'ADDR/PREFIX' },
    'kernel-addr': { type: 'string', multiple: true, description: "the kernel's address on the device, per --addr (default: the subnet's first host)", metavar: 'ADDR' },
    mtu: { type: 'number', description: `link MTU, ${TUN_MIN_MTU}..${TUN_MAX_MTU} (default 1500)`, metavar: 'N' },
    pcap: { type: 'string', description: "write synack's view of the link (pcap) to FILE", metavar: 'FILE' },
    snaplen: { type: 'number', description: 'bytes of each packet kept in the pcap (default 262144)', metavar: 'N' },
    port: { type: 'number', description: 'serve: TCP port', metavar: 'P' },
    mode: { type: 'string', choices: ['echo', 'discard', 'http'], default: 'echo', description: 'serve: what the server does' },
    file: { type: 'string', description: 'connect: send this file instead of stdin', metavar: 'F' },
    loss: { type: 'number', metavar: 'P', description: 'drop packets in both directions with probability P' },
    'loss-in': { type: 'number', metavar: 'P', description: 'drop packets from the kernel with probability P' },
    'loss-out': { type: 'number', metavar: 'P', description: 'drop packets to the kernel with probability P' },
    delay: { type: 'number', metavar: 'MS', description: 'one-way delay added in each direction' },
    jitter: { type: 'number', metavar: 'MS', description: 'uniform extra delay per packet' },
    reorder: { type: 'number', metavar: 'P', description: 'hold a packet back (reorder) with probability P' },
    'reorder-ms': { type: 'number', metavar: 'MS', description: 'how long a reordered packet is held (default 3)' },
    duplicate: { type: 'number', metavar: 'P', description: 'duplicate a packet with probability P' },
    seed: { type: 'number', metavar: 'N', description: 'seed for the impairments and the stack (default 1)' },
    linger: { type: 'number', metavar: 'MS', description: 'connect: after closing, keep answering the peer (TIME-WAIT) this long (default 1000)' },
    stats: { type: 'boolean', description: 'print link and stack counters to stderr on exit' },
    verbose: { type: 'boolean', short: 'v', description: 'print the device setup commands' },
  },
  async run(args) {
    const io = args.io;
    const fail = (msg: string, code = 1): number => {
      io.err(`synack tun: ${msg}\n`);
      return code;
    };
    let link: TunLink | undefined;
    let pcap: PcapStream | undefined;
    try {
      const [action, ...rest] = args.positionals;
      if (action !== 'serve' && action !== 'connect') {
        throw new UsageError(`say what to do: serve or connect\nUsage: ${this.usage}`);
      }
      const addrs = args.list('addr').map((a) => {
        try {
          return parseCidr(a);
        } catch (e) {
          throw new UsageError((e as Error).message);
        }
      });
      if (addrs.length === 0) throw new UsageError('--addr ADDR/PREFIX is required (e.g. --addr 10.99.0.2/24)');
      if (addrs.filter((a) => a.family === 4).length > 1 || addrs.filter((a) => a.family === 6).length > 1) {
        throw new UsageError('at most one IPv4 and one IPv6 --addr');
      }
      const kernelAddrs = args.list('kernel-addr');
      if (kernelAddrs.length > addrs.length) throw new UsageError('more --kernel-addr than --addr');
      const mtu = args.num('mtu') ?? 1500;
      if (!Number.isInteger(mtu) || mtu < TUN_MIN_MTU || mtu > TUN_MAX_MTU) {
        throw new UsageError(`--mtu must be an integer in ${TUN_MIN_MTU}..${TUN_MAX_MTU}`);
      }
      if (addrs.some((a) => a.family === 6) && mtu < 1280) throw new UsageError('IPv6 needs --mtu 1280 or more');
      let target: { host: string; port: number } | undefined;
      let port: number | undefined;
      if (action === 'connect') {
        if (rest.length !== 1) throw new UsageError('connect takes one HOST:PORT');
        target = parseHostPort(rest[0]);
      } else {
        if (rest.length) throw new UsageError(`unexpected arguments after serve: ${rest.join(' ')}`);
        port = args.num('port');
        if (port === undefined || !Number.isInteger(port) || port < 1 || port > 65535) {
          throw new UsageError('serve needs --port P (1..65535)');
        }
      }
      const impair = impairmentFrom(args);

      // Environment, with the reason when something is missing.
      const env = tunEnvironmentProblem();
      if (env) return fail(env);
      const addon = tunAddonProblem();
      if (addon) return fail(addon.message);

      const pcapFile = args.str('pcap');
      const snaplen = args.num('snaplen') ?? 262144;
      if (!Number.isInteger(snaplen) || snaplen < 20) throw new UsageError('--snaplen must be an integer >= 20');
      if (pcapFile) pcap = new PcapStream(pcapFile, snaplen);
      const flusher = pcap ? setInterval(() => pcap?.flush(), 500) : undefined;
      flusher?.unref();
      const p = pcap;
      link = TunLink.open({ name: args.str('dev') ?? '', mtu, impair, tap: p ? (_dir, pkt) => p.write(pkt) : undefined });
      const setup = setupTun({
        dev: link.name,
        mtu,
        addrs,
        kernelAddrs,
        log: args.bool('verbose') ? (l) => io.err(`+ ${l}\n`) : undefined,
      });
      const stack = new Stack({ name: 'synack', seed: args.num('seed') ?? 1 });
      stack.addInterface({ name: link.name, port: link, addresses: addrs.map((a: Cidr) => `${a.addr}/${a.prefix}`) });
      for (const pr of setup.pairs) {
        io.err(`synack tun: ${link.name} up, mtu ${mtu}: kernel ${pr.kernel}/${pr.prefix}, synack ${pr.synack}\n`);
      }

      const l = link;
      let finished = false;
      const finish = (code: number): number => {
        if (finished) return code;
        finished = true;
        if (args.bool('stats')) {
          io.err(`synack tun: link ${JSON.stringify(l.stats)}\n`);
          io.err(stack.netstat());
        }
        l.close();
        if (flusher) clearInterval(flusher);
        pcap?.close();
        return code;
      };

      if (action === 'serve') {
        const code = await serve(stack, addrs, port!, args.str('mode') as 'echo' | 'discard' | 'http', io.err);
        return finish(code);
      }
      const linger = args.num('linger') ?? 1000;
      if (!(linger >= 0 && linger <= 120_000)) throw new UsageError('--linger is 0..120000 ms');
      const code = await connect(stack, target!, args.str('file'), linger, io.err);
      return finish(code);
    } catch (e) {
      link?.close();
      pcap?.close();
      if (e instanceof UsageError) return fail(e.message, 2);
      if (e instanceof TunUnavailableError || e instanceof TunSetupError) return fail(e.message);
      if (e instanceof RangeError) return fail(e.message, 2);
      throw e;
    }
  },
};

/** Serve until SIGINT/SIGTERM. */
function serve(stack: Stack, addrs: Cidr[], port: number, mode: 'echo' | 'discard' | 'http', log: (s: string) => void): Promise<number> {
  const net = stack.net;
  const httpServer = mode === 'http' ? makeHttpServer() : null;
  const servers: Server[] = [];
  return new Promise<number>((resolve) => {
    const onConn = (sock: Socket): void => {
      sock.on('error', () => {}); // a reset peer is the peer's business
      if (httpServer) {
        httpServer.emit('connection', sock);
      } else if (mode === 'echo') {
        sock.pipe(sock);
      } else {
        sock.resume();
        sock.on('end', () => sock.end());
      }
    };
    let listening = 0;
    for (const a of addrs) {
      const srv = net.createServer(onConn);
      srv.on('error', (e: Error) => {
        log(`synack tun: listen on ${a.addr}:${port}: ${e.message}\n`);
        resolve(1);
      });
      srv.listen(port, a.addr, () => {
        log(`synack tun: listening on ${a.family === 6 ? `[${a.addr}]` : a.addr}:${port} (${mode})\n`);
        if (++listening === addrs.length) log('synack tun: ready\n');
      });
      servers.push(srv);
    }
    // SIGUSR1: print synack's connection states (the interop tests check nothing is stuck).
    const status = (): void => {
      const counts: Record<string, number> = {};
      for (const r of stack.connectionTable()) if (r.state !== 'LISTEN') counts[r.state] = (counts[r.state] ?? 0) + 1;
      log(`synack tun: connections ${JSON.stringify(counts)}\n`);
    };
    process.on('SIGUSR1', status);
    const stop = (): void => {
      process.off('SIGUSR1', status);
      for (const s of servers) s.close();
      resolve(0);
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}

function makeHttpServer(): http.Server {
  return http.createServer((req, res) => {
    const bytes = /^\/bytes\/(\d+)$/.exec(req.url ?? '');
    if (req.method === 'GET' && bytes) {
      const n = Number(bytes[1]);
      if (n > MAX_BYTES) {
        res.writeHead(400).end(`at most ${MAX_BYTES} bytes\n`);
        return;
      }
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(n) });
      const chunks = payloadChunks(n);
      const pump = (): void => {
        for (;;) {
          const c = chunks.next();
          if (c.done) {
            res.end();
            return;
          }
          if (!res.write(c.value)) {
            res.once('drain', pump);
            return;
          }
        }
      };
      res.on('close', () => chunks.return(undefined));
      pump();
      return;
    }
    if (req.method === 'POST' && req.url === '/sha256') {
      const h = createHash('sha256');
      let n = 0;
      req.on('data', (d: Buffer) => {
        h.update(d);
        n += d.length;
      });
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'text/plain', 'x-bytes': String(n) });
        res.end(h.digest('hex'));
      });
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' }).end('GET /bytes/N or POST /sha256\n');
  });
}

/** Connect, send the input, half-close, print what comes back; 0 when the exchange completed. */
function connect(
  stack: Stack, target: { host: string; port: number }, file: string | undefined, linger: number, log: (s: string) => void,
): Promise<number> {
  return new Promise<number>((resolve) => {
    let failed: string | null = null;
    const sock = stack.net.createConnection({ host: target.host, port: target.port });
    const interrupted = (sig: string): void => {
      failed = sig;
      log(`synack tun: ${sig}: closing\n`);
      sock.destroy();
      resolve(130);
    };
    const onInt = (): void => interrupted('SIGINT');
    const onTerm = (): void => interrupted('SIGTERM');
    process.once('SIGINT', onInt);
    process.once('SIGTERM', onTerm);
    sock.on('connect', () => {
      log(`synack tun: connected ${sock.localAddress}:${sock.localPort} -> ${target.host}:${target.port}\n`);
      const input = file ? createReadStream(file) : process.stdin;
      input.on('error', (e: Error) => {
        log(`synack tun: reading ${file ?? 'stdin'}: ${e.message}\n`);
        sock.destroy();
      });
      input.pipe(sock);
    });
    sock.on('data', (d: Buffer) => {
      if (!process.stdout.write(d)) {
        sock.pause();
        process.stdout.once('drain', () => sock.resume());
      }
    });
    sock.on('error', (e: NodeJS.ErrnoException) => {
      failed = e.code ?? e.message;
      log(`synack tun: connection to ${target.host}:${target.port}: ${e.code ?? ''} ${e.message}\n`);
    });
    sock.on('close', () => {
      if (!file) process.stdin.destroy();
      // The device goes away with this process, so first let the close finish: wait (at most
      // 10 s) until nothing but TIME-WAIT remains, then stay in TIME-WAIT for `linger` ms so a
      // retransmitted FIN (our last ACK lost) is still answered.
      const started = Date.now();
      let lingerUntil = 0;
      const wait = (): void => {
        const rows = stack.connectionTable().filter((r) => r.state !== 'LISTEN' && r.state !== 'CLOSED');
        const busy = rows.some((r) => r.state !== 'TIME-WAIT');
        if (busy && Date.now() - started < 10_000) {
          setTimeout(wait, 5);
          return;
        }
        if (!busy && rows.length > 0 && linger > 0) {
          if (lingerUntil === 0) lingerUntil = Date.now() + linger;
          if (Date.now() < lingerUntil) {
            setTimeout(wait, 20);
            return;
          }
        }
        process.off('SIGINT', onInt);
        process.off('SIGTERM', onTerm);
        process.stdout.write('', () => resolve(failed ? 1 : 0));
      };
      wait();
    });
  });
}
