// Shared fixtures for the host stack tests: two hosts on a SimLink, in virtual time.
import { VirtualScheduler } from '../../src/sim/scheduler.js';
import { SimLink, type SimLinkOptions } from '../../src/link/sim-link.js';
import { HostStack, type HostStackOptions } from '../../src/stack/host.js';
import { SocketError, type Errno } from '../../src/stack/types.js';
import { TraceRecorder } from '../../src/trace/trace.js';
import assert from 'node:assert/strict';

export interface Pair {
  sched: VirtualScheduler;
  link: SimLink;
  a: HostStack;
  b: HostStack;
  trace: TraceRecorder;
}

export function pair(opts: { link?: Partial<SimLinkOptions>; a?: Partial<HostStackOptions>; b?: Partial<HostStackOptions>; trace?: boolean } = {}): Pair {
  const sched = new VirtualScheduler();
  const trace = new TraceRecorder();
  const link = new SimLink({ scheduler: sched, delay: 5, seed: 7, ...(opts.link ?? {}) });
  const a = new HostStack({ name: 'a', scheduler: sched, rng: 1, trace: opts.trace ? trace.sink : undefined, ...(opts.a ?? {}) });
  const b = new HostStack({ name: 'b', scheduler: sched, rng: 2, trace: opts.trace ? trace.sink : undefined, ...(opts.b ?? {}) });
  a.addInterface({ name: 'eth0', port: link.a, addresses: ['10.0.0.1/24', 'fd00::1/64'] });
  b.addInterface({ name: 'eth0', port: link.b, addresses: ['10.0.0.2/24', 'fd00::2/64'] });
  return { sched, link, a, b, trace };
}

/** Expect fn to throw SocketError with this code. */
export function throwsErrno(fn: () => unknown, code: Errno): void {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof SocketError, `expected SocketError, got ${String(e)}`);
    assert.equal(e.code, code);
    return;
  }
  assert.fail(`expected ${code}, nothing thrown`);
}

export function bytes(s: string): Uint8Array {
  return new TextEncoder().encode(s);
}

export function text(b: Uint8Array): string {
  return new TextDecoder().decode(b);
}

/** Read everything buffered (not EOF), '' when nothing. */
export function drain(h: HostStack, fd: number): { data: Uint8Array; eof: boolean } {
  const parts: Uint8Array[] = [];
  let eof = false;
  for (;;) {
    try {
      const d = h.sockets.read(fd, 65536);
      if (d.length === 0) {
        eof = true;
        break;
      }
      parts.push(d);
    } catch (e) {
      if (e instanceof SocketError && e.code === 'EAGAIN') break;
      throw e;
    }
  }
  const n = parts.reduce((s, p) => s + p.length, 0);
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return { data: out, eof };
}

/** connect() that expects EINPROGRESS. */
export function connectNb(h: HostStack, fd: number, addr: string, port: number): void {
  throwsErrno(() => h.sockets.connect(fd, { addr, port }), 'EINPROGRESS');
}
