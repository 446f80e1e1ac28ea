// A plain Node `net` peer for the tun bench, started inside a network namespace:
//   node tcp-peer.mjs send HOST PORT BYTES   -> connects, writes BYTES, ends; prints JSON
//   node tcp-peer.mjs recv HOST PORT BYTES   -> listens, prints "ready", reads BYTES; prints JSON
// Timing (receiver): from the accepted connection's first byte to the last byte.
import net from 'node:net';

const [mode, host, portText, bytesText] = process.argv.slice(2);
const port = Number(portText);
const bytes = Number(bytesText);
const CHUNK = 256 * 1024;

if (mode === 'send') {
  const chunk = Buffer.alloc(CHUNK, 0x5a);
  const c = net.connect({ host, port, noDelay: true }, () => {
    const t0 = performance.now();
    let sent = 0;
    const pump = () => {
      while (sent < bytes) {
        const len = Math.min(CHUNK, bytes - sent);
        sent += len;
        if (!c.write(len === CHUNK ? chunk : chunk.subarray(0, len))) return void c.once('drain', pump);
      }
      c.end(() => {
        console.log(JSON.stringify({ sent, seconds: (performance.now() - t0) / 1000 }));
      });
    };
    pump();
  });
  c.on('error', (e) => {
    console.error(`tcp-peer send: ${e.message}`);
    process.exit(1);
  });
  c.on('close', () => process.exit(0));
} else if (mode === 'recv') {
  const srv = net.createServer((s) => {
    let got = 0;
    let t0 = 0;
    s.on('data', (d) => {
      if (got === 0) t0 = performance.now();
      got += d.length;
      if (got >= bytes) {
        console.log(JSON.stringify({ received: got, seconds: (performance.now() - t0) / 1000 }));
        s.destroy();
        srv.close();
      }
    });
    s.on('error', () => {});
  });
  srv.listen(port, host, () => console.log('ready'));
} else {
  console.error('usage: tcp-peer.mjs send|recv HOST PORT BYTES');
  process.exit(2);
}
