// Code written for node:net runs unchanged when handed stack.net: one generic function, run
// against node:net on 127.0.0.1 (real loopback) and against synack (real time on a Stack's
// loopback, and virtual time on a simulated LAN, IPv4 and IPv6).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import nodeNet from 'node:net';
import { Stack } from '../../src/index.js';
import { FAMILIES, lan } from './helpers.js';

/** The slice of node:net this code uses; both node:net and stack.net satisfy it. */
interface NetLike {
  createServer(listener: (s: nodeNet.Socket) => void): nodeNet.Server;
  connect(port: number, host: string): nodeNet.Socket;
  isIP(s: string): number;
}

/** A line-based upper-casing service and a client that uses it: written for node:net. */
async function upperService(net: NetLike, host: string): Promise<{ replies: string[]; events: string[]; refused: string }> {
  const server = net.createServer((sock) => {
    sock.setEncoding('utf8');
    let buf = '';
    sock.on('data', (d: string) => {
      buf += d;
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        sock.write(line.toUpperCase() + '\n');
      }
    });
    sock.on('end', () => sock.end());
  });
  await new Promise<void>((r) => server.listen(0, host, () => r()));
  const { port } = server.address() as nodeNet.AddressInfo;
  const events: string[] = [];
  const replies = await new Promise<string[]>((resolve, reject) => {
    const c = net.connect(port, host);
    let text = '';
    c.setEncoding('utf8');
    c.setNoDelay(true);
    c.on('connect', () => {
      events.push('connect');
      assert.equal(net.isIP(c.remoteAddress!), net.isIP(host));
      c.write('hello\nworld\n');
      c.end('bye\n');
    });
    c.on('ready', () => events.push('ready'));
    c.on('data', (d: string) => (text += d));
    c.on('end', () => events.push('end'));
    c.on('error', reject);
    c.on('close', (hadError) => {
      events.push(`close:${hadError}`);
      resolve(text.split('\n').filter(Boolean));
    });
  });
  await new Promise<void>((r) => server.close(() => r()));
  // The port is closed now: connecting again is refused.
  const refused = await new Promise<string>((resolve) => {
    const c = net.connect(port, host);
    c.on('error', (e: NodeJS.ErrnoException) => resolve(`${e.code} ${e.syscall}`));
    c.on('connect', () => resolve('connected?!'));
  });
  return { replies, events, refused };
}

const EXPECTED = {
  replies: ['HELLO', 'WORLD', 'BYE'],
  events: ['connect', 'ready', 'end', 'close:false'],
  refused: 'ECONNREFUSED connect',
};

test('compat: the generic node:net service on node:net itself (127.0.0.1)', async () => {
  assert.deepEqual(await upperService(nodeNet, '127.0.0.1'), EXPECTED);
});

test('compat: the same service on stack.net, real time, a Stack with loopback (127.0.0.1)', async () => {
  const stack = new Stack();
  assert.deepEqual(await upperService(stack.net as unknown as NetLike, '127.0.0.1'), EXPECTED);
});

for (const f of FAMILIES) {
  test(`compat: the same service on stack.net, virtual time, ${f.name} LAN host`, async () => {
    const { network, server } = lan();
    const result = await network.until(upperService(server.net as unknown as NetLike, f.server));
    assert.deepEqual(result, EXPECTED);
  });
}
