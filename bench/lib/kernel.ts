// Node's `net` over the kernel loopback, in this process: the counterpart of every synack figure.
import net from 'node:net';
import { once } from 'node:events';

export interface KernelPair {
  server: net.Server;
  port: number;
  close(): Promise<void>;
}

export async function kernelServer(onConn: (s: net.Socket) => void): Promise<KernelPair> {
  const server = net.createServer({ noDelay: true }, onConn);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as net.AddressInfo).port;
  return {
    server,
    port,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

export async function kernelConnect(port: number): Promise<net.Socket> {
  const c = net.connect({ port, host: '127.0.0.1', noDelay: true });
  await once(c, 'connect');
  return c;
}
