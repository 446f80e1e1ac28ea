// A host with one interface whose link is the test itself: packets the host sends are captured,
// packets the test builds are injected with host.input() (as the packetdrill runner does).
import { VirtualScheduler } from '../../src/sim/scheduler.js';
import { HostStack, type HostStackOptions } from '../../src/stack/host.js';
import type { LinkPort } from '../../src/link/types.js';
import { parsePacket, buildTcpPacket, type Packet } from '../../src/wire/packet.js';
import { parseAddr } from '../../src/wire/addr.js';
import type { Segment } from '../../src/wire/types.js';

export interface Raw {
  sched: VirtualScheduler;
  host: HostStack;
  out: Packet[];
  /** Inject a TCP segment from `src` to the host's `dst`. */
  inject(src: string, dst: string, seg: Partial<Segment> & { srcPort: number; dstPort: number }): void;
  injectBytes(pkt: Uint8Array): void;
  take(): Packet[];
}

export function raw(opts: Partial<HostStackOptions> = {}, mtu = 1500): Raw {
  const sched = new VirtualScheduler();
  const out: Packet[] = [];
  const port: LinkPort = {
    send(p) {
      const r = parsePacket(p);
      if (!r.ok) throw new Error(`host sent an unparsable packet: ${JSON.stringify(r.error)}`);
      out.push(r.value);
    },
    onReceive: null,
    mtu,
  };
  const host = new HostStack({ name: 'dut', scheduler: sched, rng: 3, ...opts });
  host.addInterface({ name: 'eth0', port, addresses: ['192.168.0.1/24', '2001:db8::1/64'] });
  const injectBytes = (p: Uint8Array) => host.input('eth0', p);
  return {
    sched,
    host,
    out,
    injectBytes,
    inject(src, dst, seg) {
      const full: Segment = { seq: 0, ack: 0, flags: 0, window: 65535, urgent: 0, options: {}, payload: new Uint8Array(0), ...seg };
      injectBytes(buildTcpPacket(parseAddr(src)!.bytes, parseAddr(dst)!.bytes, full));
    },
    take() {
      return out.splice(0, out.length);
    },
  };
}
