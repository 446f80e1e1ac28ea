// The `ws` WebSocket library over synack: a ws server in noServer mode whose handleUpgrade is fed
// from a Node http server running on synack sockets, and a ws client whose createConnection opens
// a synack connection. Virtual time; IPv4 and IPv6.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import { FAMILIES, lan, pattern } from './helpers.js';

for (const f of FAMILIES) {
  test(`${f.name} ws: WebSocket echo (text and a 1 MB binary message) and a clean close`, async () => {
    const { network, client, server } = lan();
    const httpServer = http.createServer((_req, res) => res.end('not a websocket'));
    const wss = new WebSocketServer({ noServer: true });
    httpServer.on('upgrade', (req, socket, head) => {
      wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
    });
    const serverSide: { closeCode?: number; closeReason?: string; peer?: string } = {};
    wss.on('connection', (ws: WebSocket, req: http.IncomingMessage) => {
      serverSide.peer = req.socket.remoteAddress;
      ws.on('message', (data: RawData, isBinary: boolean) => ws.send(data as Buffer, { binary: isBinary }));
      ws.on('close', (code: number, reason: Buffer) => {
        serverSide.closeCode = code;
        serverSide.closeReason = reason.toString();
      });
    });
    const listener = server.net.createServer((sock) => httpServer.emit('connection', sock));
    listener.listen(80, f.server);

    const hostInUrl = f.family === 6 ? `[${f.server}]` : f.server;
    const session = async () => {
      const ws = new WebSocket(`ws://${hostInUrl}:80/echo`, {
        createConnection: ((opts: { host: string; port: number }) =>
          client.net.createConnection({ host: opts.host.replace(/^\[|\]$/g, ''), port: Number(opts.port) })) as never,
      });
      await new Promise<void>((resolve, reject) => {
        ws.once('open', () => resolve());
        ws.once('error', reject);
      });
      const replies: RawData[] = [];
      let want = 0;
      let wake: (() => void) | null = null;
      ws.on('message', (d: RawData) => {
        replies.push(d);
        if (replies.length >= want && wake) wake();
      });
      const expectReplies = (n: number) =>
        new Promise<void>((r) => {
          want = n;
          if (replies.length >= n) r();
          else wake = r;
        });
      for (let i = 0; i < 100; i++) ws.send(`message ${i}`);
      await expectReplies(100);
      for (let i = 0; i < 100; i++) assert.equal(replies[i].toString(), `message ${i}`);
      const big = Buffer.from(pattern(1 << 20, 7));
      ws.send(big);
      await expectReplies(101);
      assert.ok(Buffer.isBuffer(replies[100]) && (replies[100] as Buffer).equals(big), '1 MB binary echoed intact');
      const closed = new Promise<number>((r) => ws.once('close', (code: number) => r(code)));
      ws.close(1000, 'done');
      return closed;
    };
    const code = await network.until(session());
    assert.equal(code, 1000);
    await network.until(() => serverSide.closeCode !== undefined);
    assert.equal(serverSide.closeCode, 1000);
    assert.equal(serverSide.closeReason, 'done');
    assert.equal(serverSide.peer, f.client);
    listener.close();
    wss.close();
    await network.settle();
    assert.deepEqual(client.connectionTable(), []);
    assert.deepEqual(server.connectionTable(), []);
  });
}
