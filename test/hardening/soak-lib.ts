// Soak under faults, shared by test/hardening/soak-fast.test.ts (~200 connections) and
// test/soak/run-soak.ts (10,000). Two hosts on a SimLink whose impairments change every 250 ms
// of virtual time (loss cycling up to 30%, duplication, reordering, bit corruption, jitter) and
// which goes down for 150 ms every 700 ms (flaps). Each connection: the client sends a request
// stream (its id in the first 4 bytes), the server answers with a response stream, both
// half-close, both close. SHA-256 of every stream is compared end to end; every connection must
// reach CLOSED on both hosts; the run is repeated in rounds and the heap measured after each.
import { createHash, type Hash } from 'node:crypto';
import { VirtualScheduler } from '../../src/sim/scheduler.js';
import { SimLink } from '../../src/link/sim-link.js';
import { HostStack } from '../../src/stack/host.js';
import { SocketError } from '../../src/stack/types.js';
import { heapUsed } from './heap.js';

export interface SoakOptions {
  connections: number;
  rounds: number;
  concurrency: number;
  /** Largest request/response size in bytes (sizes are spread over [1, maxBytes]). */
  maxBytes: number;
  seed: number;
  log?: (s: string) => void;
  /** TCP options on both hosts (e.g. { sack: false }). */
  tcp?: Partial<import('../../src/tcp/types.js').ConnectionConfig>;
  /** Trace sink for both hosts (debugging). */
  trace?: import('../../src/trace/trace.js').TraceSink;
}

export interface SoakResult {
  connections: number;
  bytes: number;
  faults: number;
  lost: number;
  leaks: number;
  failures: string[];
  heapMB: number[];
  virtualMs: number;
  checksumDrops: number;
  faultDetail: Record<string, number>;
}

function reqSize(id: number, max: number): number {
  return 4 + ((Math.imul(id, 2654435761) >>> 0) % max);
}
function respSize(id: number, max: number): number {
  return 1 + ((Math.imul(id ^ 0x5bd1e995, 40503) >>> 0) % max);
}
function fill(buf: Uint8Array, id: number, off: number, salt: number): void {
  for (let i = 0; i < buf.length; i++) {
    const k = off + i;
    buf[i] = (Math.imul(k, 131) + (k >>> 8) + id * 17 + salt) & 0xff;
  }
}

export function soak(opts: SoakOptions): SoakResult {
  const sched = new VirtualScheduler();
  const link = new SimLink({ scheduler: sched, seed: opts.seed, delay: 3, jitter: 2, duplicate: 0.02, reorder: 0.03, corrupt: 0.01, loss: 0.01, bandwidth: '10Mbit', queueLimit: 2000 });
  const tcp = { msl: 1000, synRetries: 10, r2: 30, rtoMax: 10_000, sndBuf: 64 * 1024, rcvBuf: 64 * 1024, ...(opts.tcp ?? {}) };
  const limits = { somaxconn: 4096, maxSynBacklog: 4096, ephemeralMin: 10000, ephemeralMax: 65000 };
  const client = new HostStack({ name: 'client', scheduler: sched, rng: opts.seed * 3 + 1, tcp, limits, trace: opts.trace });
  const server = new HostStack({ name: 'server', scheduler: sched, rng: opts.seed * 3 + 2, tcp, limits, trace: opts.trace });
  client.addInterface({ name: 'eth0', port: link.a, addresses: ['10.0.0.1/24'] });
  server.addInterface({ name: 'eth0', port: link.b, addresses: ['10.0.0.2/24'] });
  const cs = client.sockets;
  const ss = server.sockets;
  const lfd = ss.socket(4);
  ss.bind(lfd, { addr: '0.0.0.0', port: 7 });
  ss.listen(lfd, 4096);

  // Faults: impairment phases and flaps, until the workload is done.
  const losses = [0.01, 0.1, 0.3, 0.05, 0.2, 0];
  let phase = 0;
  let running = true;
  const phaseTick = (): void => {
    if (!running) return;
    phase++;
    link.configure({ loss: losses[phase % losses.length], jitter: phase % 3 === 0 ? 8 : 2 });
    sched.at(sched.now() + 250, phaseTick);
  };
  let flaps = 0;
  const flapTick = (): void => {
    if (!running) return;
    link.setUp(false);
    flaps++;
    sched.at(sched.now() + 150, () => link.setUp(true));
    sched.at(sched.now() + 700, flapTick);
  };

  const failures: string[] = [];
  let bytes = 0;
  let lost = 0;
  const serverSha = new Map<number, string>();

  // ---- server application -------------------------------------------------------------------
  ss.watch(lfd, () => {
    for (;;) {
      let fd: number;
      try {
        fd = ss.accept(lfd).fd;
      } catch {
        return;
      }
      let id = -1;
      const head = new Uint8Array(4);
      let got = 0;
      let eof = false;
      let sent = 0;
      let total = 0;
      let shut = false;
      let closed = false;
      const h: Hash = createHash('sha256');
      const step = (): void => {
        if (closed) return;
        for (;;) {
          let d: Uint8Array;
          try {
            d = ss.read(fd, 65536);
          } catch (e) {
            if (e instanceof SocketError && e.code === 'EAGAIN') break;
            failures.push(`server read ${String(e)}`);
            closed = true;
            ss.close(fd);
            return;
          }
          if (d.length === 0) {
            eof = true;
            break;
          }
          h.update(d);
          for (let i = 0; i < d.length && got + i < 4; i++) head[got + i] = d[i];
          got += d.length;
          if (id < 0 && got >= 4) {
            id = (head[0] << 24) | (head[1] << 16) | (head[2] << 8) | head[3];
            total = respSize(id, opts.maxBytes);
          }
        }
        if (id >= 0) {
          while (sent < total) {
            const chunk = new Uint8Array(Math.min(16384, total - sent));
            fill(chunk, id, sent, 99);
            let w: number;
            try {
              w = ss.write(fd, chunk);
            } catch (e) {
              if (e instanceof SocketError && e.code === 'EAGAIN') break;
              failures.push(`server write ${String(e)}`);
              closed = true;
              ss.close(fd);
              return;
            }
            sent += w;
          }
          if (sent === total && !shut) {
            shut = true;
            ss.shutdown(fd, 'wr');
          }
        }
        if (eof && shut) {
          if (id >= 0) serverSha.set(id, h.digest('hex'));
          closed = true;
          ss.close(fd);
        }
      };
      ss.watch(fd, step);
      step();
    }
  });

  // ---- client side ----------------------------------------------------------------------------
  let nextId = 0;
  let active = 0;
  let done = 0;
  const startOne = (): void => {
    const id = nextId++;
    active++;
    const fd = cs.socket(4);
    const reqTotal = reqSize(id, opts.maxBytes);
    const respTotal = respSize(id, opts.maxBytes);
    let sent = 0;
    let recvd = 0;
    let shut = false;
    let finished = false;
    const reqHash = createHash('sha256');
    const respHash = createHash('sha256');
    const respExpect = createHash('sha256');
    const end = (err?: string): void => {
      if (finished) return;
      finished = true;
      active--;
      done++;
      try {
        cs.close(fd);
      } catch {
        /* already */
      }
      const reqSha = reqHash.digest('hex');
      const respOk = !err && recvd === respTotal && respHash.digest('hex') === respExpect.digest('hex');
      // The server's digest is checked once it has closed too (below, at the end of the round).
      pendingChecks.push({ id, reqSha, reqTotal, respOk, respTotal, err });
    };
    const step = (ev?: string): void => {
      if (finished) return;
      if (ev === 'error') {
        const code = cs.getsockopt(fd, 'SO_ERROR');
        end(`client ${id}: socket error ${code}`);
        return;
      }
      if (cs.state(fd) === 'SYN-SENT') return;
      while (sent < reqTotal) {
        const chunk = new Uint8Array(Math.min(16384, reqTotal - sent));
        fill(chunk, id, sent, 7);
        if (sent === 0) {
          chunk[0] = id >>> 24;
          chunk[1] = (id >>> 16) & 0xff;
          chunk[2] = (id >>> 8) & 0xff;
          chunk[3] = id & 0xff;
        }
        let w: number;
        try {
          w = cs.write(fd, chunk);
        } catch (e) {
          if (e instanceof SocketError && e.code === 'EAGAIN') break;
          end(`client ${id}: write ${String(e)}`);
          return;
        }
        reqHash.update(chunk.subarray(0, w));
        sent += w;
      }
      if (sent === reqTotal && !shut) {
        shut = true;
        cs.shutdown(fd, 'wr');
      }
      for (;;) {
        let d: Uint8Array;
        try {
          d = cs.read(fd, 65536);
        } catch (e) {
          if (e instanceof SocketError && e.code === 'EAGAIN') break;
          end(`client ${id}: read ${String(e)}`);
          return;
        }
        if (d.length === 0) {
          end();
          return;
        }
        respHash.update(d);
        const exp = new Uint8Array(d.length);
        fill(exp, id, recvd, 99);
        respExpect.update(exp);
        recvd += d.length;
      }
    };
    cs.watch(fd, step);
    try {
      cs.connect(fd, { addr: '10.0.0.2', port: 7 });
    } catch (e) {
      if (!(e instanceof SocketError) || e.code !== 'EINPROGRESS') {
        end(`client ${id}: connect ${String(e)}`);
      }
    }
  };
  interface Check {
    id: number;
    reqSha: string;
    reqTotal: number;
    respOk: boolean;
    respTotal: number;
    err?: string;
  }
  const pendingChecks: Check[] = [];

  const heapMB: number[] = [];
  const perRound = Math.ceil(opts.connections / opts.rounds);
  let leaks = 0;
  for (let round = 0; round < opts.rounds; round++) {
    const target = Math.min(opts.connections, (round + 1) * perRound);
    running = true;
    sched.at(sched.now() + 250, phaseTick);
    sched.at(sched.now() + 700, flapTick);
    while (done < target) {
      while (active < opts.concurrency && nextId < target) startOne();
      sched.runFor(20);
      if (sched.now() > 50_000_000) {
        failures.push(`round ${round}: stuck with ${active} active connections`);
        break;
      }
    }
    // Drain: every connection must reach CLOSED on both hosts (TIME-WAIT included).
    running = false;
    link.setUp(true);
    link.configure({ loss: 0 });
    sched.runFor(30_000);
    for (const c of pendingChecks.splice(0)) {
      const srv = serverSha.get(c.id);
      serverSha.delete(c.id);
      const reqOk = !c.err && srv === c.reqSha;
      if (reqOk) bytes += c.reqTotal;
      else {
        lost += c.reqTotal;
        failures.push(c.err ?? `conn ${c.id}: request digest mismatch (server ${srv ? 'different' : 'none'})`);
      }
      if (c.respOk) bytes += c.respTotal;
      else {
        lost += c.respTotal;
        if (!c.err) failures.push(`conn ${c.id}: response digest mismatch`);
      }
    }
    const left = client.connectionCount + server.connectionCount;
    const fds = cs.openFds().length + ss.openFds().length - 1; // minus the listener
    const timers = client.timerCount + server.timerCount;
    if (left || fds || timers) {
      leaks += left + fds + timers;
      failures.push(`round ${round}: ${left} connections, ${fds} sockets, ${timers} timers left (${client.ss()}${server.ss()})`);
    }
    heapMB.push(heapUsed() / 1048576);
    opts.log?.(`round ${round}: ${done} connections done, t=${(sched.now() / 1000).toFixed(0)} s, heap ${heapMB[round].toFixed(1)} MB`);
  }
  // Heap stable across rounds: the last round may not hold much more than the first (noise
  // allowance: 8 MB or 25%).
  if (heapMB.length >= 2) {
    const first = heapMB[0];
    const last = heapMB[heapMB.length - 1];
    if (last - first > Math.max(8, first * 0.25)) {
      leaks++;
      failures.push(`heap grew across rounds: ${heapMB.map((h) => h.toFixed(1)).join(' -> ')} MB`);
    }
  }
  const sa = link.stats('a>b');
  const sb = link.stats('b>a');
  const faultDetail = {
    lost: sa.lost + sb.lost,
    duplicated: sa.duplicated + sb.duplicated,
    reordered: sa.reordered + sb.reordered,
    corrupted: sa.corrupted + sb.corrupted,
    downDrops: sa.downDrops + sb.downDrops,
    queueDrops: sa.queueDrops + sb.queueDrops,
    mtuDrops: sa.mtuDrops + sb.mtuDrops,
    flaps,
  };
  const faults = faultDetail.lost + faultDetail.duplicated + faultDetail.reordered + faultDetail.corrupted + faultDetail.downDrops + faultDetail.queueDrops;
  const cc = client.counters();
  const sc = server.counters();
  const checksumDrops = ['ip:bad-checksum', 'tcp:bad-checksum'].reduce((n, k) => n + (cc.drops[k] ?? 0) + (sc.drops[k] ?? 0), 0);
  return { connections: done, bytes, faults, lost, leaks, failures, heapMB, virtualMs: sched.now(), checksumDrops, faultDetail };
}

export function soakLine(r: SoakResult): string {
  return `soak: ${r.connections} connections, ${r.bytes} bytes, ${r.faults} faults injected, ${r.lost} bytes lost, ${r.leaks} leaks`;
}
