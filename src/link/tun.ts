// TunLink: a LinkPort on a Linux TUN device (IFF_TUN | IFF_NO_PI: whole IP packets, no header).
// Node-only. The addon (native/tun.c) opens the device and reports readability through a libuv
// poll handle; we drain the non-blocking fd with fs.readSync until EAGAIN and write with
// fs.writeSync (both on the loop thread: no threadpool, so process.exit() never waits on a
// pending read).
//
// Optional impairments (seeded, per direction) let tests inject loss, delay and reordering on
// synack's side of the wire. Device configuration (addresses, up, MTU) is in tun-setup.ts.
import { closeSync, readSync, writeSync } from 'node:fs';
import type { LinkPort } from './types.js';
import { SeededRng } from '../sim/random.js';
import { loadTunAddon, TunUnavailableError, type NativePoller, type TunAddon } from './tun-native.js';

export { TunUnavailableError, tunAddonProblem } from './tun-native.js';

export const TUN_MIN_MTU = 68; // RFC 791: every IPv4 module must forward 68 octets
export const TUN_MAX_MTU = 65535;

/** Impairments applied inside the link (synack's side), each direction separately. */
export interface TunImpairment {
  /** Seed for the impairment's random stream (default 1). */
  seed?: number | string;
  /** Probability of dropping a packet arriving from the kernel, before the stack sees it. */
  lossIn?: number;
  /** Probability of dropping a packet the stack sends, before it reaches the kernel. */
  lossOut?: number;
  /** Fixed one-way delay added to every packet, ms (both directions). */
  delayMs?: number;
  /** Uniform extra delay in [0, jitterMs) per packet, ms. FIFO order is kept unless reordered. */
  jitterMs?: number;
  /** Probability that a packet is held back by `reorderMs` so later packets overtake it. */
  reorder?: number;
  /** How long a reordered packet is held back, ms (default 3). */
  reorderMs?: number;
  /** Probability of delivering a packet twice. */
  duplicate?: number;
  /** Which directions delay, jitter and reordering apply to (default both; loss has its own
   *  per-direction knobs, duplication applies to both). */
  directions?: 'in' | 'out' | 'both';
}

export interface TunLinkOptions {
  /** Device name or template ("synack%d"); "" lets the kernel choose (tunN). */
  name?: string;
  /** Largest IP packet carried, 68..65535 (default 1500). Set the device MTU to match (tun-setup). */
  mtu?: number;
  impair?: TunImpairment;
  /** Packets handled per readability callback before yielding to the event loop (default 512). */
  batch?: number;
  /** Called with each packet as the stack sees it: 'in' after inbound impairment, 'out' before
   *  outbound impairment (for a pcap of synack's view). */
  tap?: (dir: 'in' | 'out', packet: Uint8Array) => void;
}

export interface TunStats {
  rxPackets: number;
  rxBytes: number;
  txPackets: number;
  txBytes: number;
  /** Writes the kernel refused, by errno (EAGAIN: the device queue was full; EIO: device down). */
  txErrors: Record<string, number>;
  /** Reads that failed with something other than EAGAIN, by errno (reading then stops). */
  rxErrors: Record<string, number>;
  /** Sends larger than the MTU (dropped; the stack should never do this). */
  txOversize: number;
  impairDroppedIn: number;
  impairDroppedOut: number;
  impairReordered: number;
  impairDuplicated: number;
}

interface Held {
  at: number;
  seq: number;
  packet: Uint8Array;
}

/** A time-ordered queue of delayed packets with one timer. */
class DelayLine {
  private q: Held[] = [];
  private timer: ReturnType<typeof setTimeout> | null = null;
  private timerAt = Infinity;
  private seq = 0;
  lastAt = 0; // latest FIFO delivery time, to keep non-reordered packets in order

  constructor(private readonly deliver: (p: Uint8Array) => void) {}

  push(at: number, packet: Uint8Array): void {
    const h: Held = { at, seq: this.seq++, packet };
    let i = this.q.length;
    while (i > 0 && (this.q[i - 1].at > at || (this.q[i - 1].at === at && this.q[i - 1].seq > h.seq))) i--;
    this.q.splice(i, 0, h);
    this.arm();
  }

  private arm(): void {
    if (this.q.length === 0) return;
    const at = this.q[0].at;
    if (this.timer && this.timerAt <= at) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(() => this.fire(), Math.max(0, at - performance.now()));
  }

  private fire(): void {
    this.timer = null;
    this.timerAt = Infinity;
    const now = performance.now();
    while (this.q.length > 0 && this.q[0].at <= now + 0.5) this.deliver(this.q.shift()!.packet);
    this.arm();
  }

  clear(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.q = [];
  }
}

/** A LinkPort on a TUN device. Create with `TunLink.open()`. */
export class TunLink implements LinkPort {
  readonly mtu: number;
  readonly checksumOffload = false;
  onReceive: ((packet: Uint8Array) => void) | null = null;
  readonly stats: TunStats = {
    rxPackets: 0, rxBytes: 0, txPackets: 0, txBytes: 0, txErrors: {}, rxErrors: {}, txOversize: 0,
    impairDroppedIn: 0, impairDroppedOut: 0, impairReordered: 0, impairDuplicated: 0,
  };

  private readonly addon: TunAddon;
  private readonly poller: NativePoller;
  private readonly buf: Buffer;
  private readonly batch: number;
  private readonly impair: Required<Omit<TunImpairment, 'seed'>> | null;
  private readonly rng: SeededRng | null;
  private readonly delayIn: DelayLine | null;
  private readonly delayOut: DelayLine | null;
  private readonly tap: TunLinkOptions['tap'];
  private closed = false;

  /** Opens (creates) the TUN device. Throws TunUnavailableError with a clear reason when the
   *  addon is not built, /dev/net/tun is missing, or we lack CAP_NET_ADMIN. */
  static open(opts: TunLinkOptions = {}): TunLink {
    const mtu = opts.mtu ?? 1500;
    if (!Number.isInteger(mtu) || mtu < TUN_MIN_MTU || mtu > TUN_MAX_MTU) {
      throw new RangeError(`TUN link: mtu must be an integer in ${TUN_MIN_MTU}..${TUN_MAX_MTU}, got ${mtu}`);
    }
    const addon = loadTunAddon();
    let dev: { fd: number; name: string };
    try {
      dev = addon.open(opts.name ?? '');
    } catch (e) {
      const code = (e as { code?: string }).code;
      if (code === 'ENOENT' || code === 'ENXIO' || code === 'ENODEV') {
        throw new TunUnavailableError('no-device',
          `TUN link: /dev/net/tun is missing or the tun driver is not loaded (${(e as Error).message}); ` +
          'try `modprobe tun`, or in a container pass --device /dev/net/tun');
      }
      if (code === 'EPERM' || code === 'EACCES') {
        throw new TunUnavailableError('permission',
          `TUN link: not permitted to create a TUN device (${(e as Error).message}); ` +
          'run as root or with CAP_NET_ADMIN');
      }
      throw e;
    }
    return new TunLink(addon, dev.fd, dev.name, mtu, opts);
  }

  private constructor(addon: TunAddon, readonly fd: number, readonly name: string, mtu: number, opts: TunLinkOptions) {
    this.addon = addon;
    this.mtu = mtu;
    this.buf = Buffer.allocUnsafe(mtu);
    this.batch = opts.batch ?? 512;
    this.tap = opts.tap;
    const im = opts.impair;
    if (im && Object.entries(im).some(([k, v]) => k !== 'seed' && k !== 'directions' && typeof v === 'number' && v > 0)) {
      for (const k of ['lossIn', 'lossOut', 'reorder', 'duplicate'] as const) {
        const v = im[k] ?? 0;
        if (!(v >= 0 && v <= 1)) throw new RangeError(`TUN link: impair.${k} must be a probability in [0, 1], got ${v}`);
      }
      this.impair = {
        lossIn: im.lossIn ?? 0, lossOut: im.lossOut ?? 0, delayMs: im.delayMs ?? 0, jitterMs: im.jitterMs ?? 0,
        reorder: im.reorder ?? 0, reorderMs: im.reorderMs ?? 3, duplicate: im.duplicate ?? 0,
        directions: im.directions ?? 'both',
      };
      this.rng = new SeededRng(im.seed ?? 1);
      const timed = this.impair.delayMs > 0 || this.impair.jitterMs > 0 || this.impair.reorder > 0;
      const dirs = this.impair.directions;
      this.delayIn = timed && dirs !== 'out' ? new DelayLine((p) => this.deliverIn(p)) : null;
      this.delayOut = timed && dirs !== 'in' ? new DelayLine((p) => this.writeOut(p)) : null;
    } else {
      this.impair = null;
      this.rng = null;
      this.delayIn = null;
      this.delayOut = null;
    }
    this.poller = addon.pollerNew(fd, () => this.drain());
    addon.pollerStart(this.poller);
  }

  /** Sends one IP packet to the kernel. Never throws: failures are counted in `stats`. */
  send(packet: Uint8Array): void {
    if (this.closed) return;
    if (packet.length > this.mtu) {
      this.stats.txOversize++;
      return;
    }
    this.tap?.('out', packet);
    const im = this.impair;
    if (im === null) {
      this.writeOut(packet);
      return;
    }
    const rng = this.rng!;
    if (im.lossOut > 0 && rng.next() < im.lossOut) {
      this.stats.impairDroppedOut++;
      return;
    }
    this.schedule(this.delayOut, packet, (p) => this.writeOut(p));
  }

  /** Stop or resume reading from the device (backpressure). */
  pause(): void {
    if (!this.closed) this.addon.pollerStop(this.poller);
  }
  resume(): void {
    if (!this.closed) this.addon.pollerStart(this.poller);
  }

  /** Whether an open link keeps the Node process alive (default true). */
  ref(on = true): void {
    if (!this.closed) this.addon.pollerRef(this.poller, on);
  }

  /** Closes the device (the kernel deletes a non-persistent TUN device with its last fd). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.delayIn?.clear();
    this.delayOut?.clear();
    this.addon.pollerClose(this.poller);
    try {
      closeSync(this.fd);
    } catch {
      // already closed
    }
    this.onReceive = null;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  private drain(): void {
    const buf = this.buf;
    for (let i = 0; i < this.batch && !this.closed; i++) {
      let n: number;
      try {
        n = readSync(this.fd, buf, 0, buf.length, null);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'EAGAIN' || code === 'EWOULDBLOCK' || code === 'EINTR') return;
        // EBADFD/EIO: the device went away. Stop polling rather than spin.
        const k = code ?? 'unknown';
        this.stats.rxErrors[k] = (this.stats.rxErrors[k] ?? 0) + 1;
        this.addon.pollerStop(this.poller);
        return;
      }
      if (n <= 0) return;
      this.stats.rxPackets++;
      this.stats.rxBytes += n;
      const packet = new Uint8Array(n);
      packet.set(buf.subarray(0, n));
      const im = this.impair;
      if (im === null) {
        this.deliverIn(packet);
        continue;
      }
      if (im.lossIn > 0 && this.rng!.next() < im.lossIn) {
        this.stats.impairDroppedIn++;
        continue;
      }
      this.schedule(this.delayIn, packet, (p) => this.deliverIn(p));
    }
  }

  private schedule(line: DelayLine | null, packet: Uint8Array, now: (p: Uint8Array) => void): void {
    const im = this.impair!;
    const rng = this.rng!;
    const dup = im.duplicate > 0 && rng.next() < im.duplicate;
    if (dup) this.stats.impairDuplicated++;
    if (line === null) {
      now(packet);
      if (dup) now(packet);
      return;
    }
    const t = performance.now();
    let at = t + im.delayMs + (im.jitterMs > 0 ? rng.next() * im.jitterMs : 0);
    if (im.reorder > 0 && rng.next() < im.reorder) {
      this.stats.impairReordered++;
      at += im.reorderMs; // held back; later packets overtake it
    } else {
      at = Math.max(at, line.lastAt); // FIFO among the rest
      line.lastAt = at;
    }
    line.push(at, packet);
    if (dup) line.push(at, packet);
  }

  private deliverIn(packet: Uint8Array): void {
    if (this.closed) return;
    this.tap?.('in', packet);
    const rx = this.onReceive;
    if (rx) rx(packet);
  }

  private writeOut(packet: Uint8Array): void {
    if (this.closed) return;
    try {
      writeSync(this.fd, packet);
      this.stats.txPackets++;
      this.stats.txBytes += packet.length;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code ?? 'unknown';
      this.stats.txErrors[code] = (this.stats.txErrors[code] ?? 0) + 1;
    }
  }
}
