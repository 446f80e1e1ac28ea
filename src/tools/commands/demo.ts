// `synack demo` (= `npm start`): a complete TCP connection lifecycle between two simulated hosts
// in virtual time: three-way handshake, an HTTP/1.1 request and response over the socket layer,
// the four-way close, TIME-WAIT and CLOSED. Prints a coloured ladder with each side's state
// beside every segment, writes demo.pcapng, then serves the lab page until Ctrl-C (--no-lab:
// stop after the terminal part). No network access and no root needed: all of it is simulated.
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from '../args.js';
import { formatLadder } from '../../trace/format.js';
import { World, listen, connect, SERVER_ADDR, wireSegments } from '../scenarios/index.js';

export interface DemoResult {
  world: World;
  request: string;
  response: string;
  ok: boolean;
  problems: string[];
}

const BODY = 'Hello from synack, a TCP/IP stack in TypeScript!\n';

/** The demo's simulation, on its own (tests and other tools can call it). */
export function runDemo(opts: { seed?: number; delay?: number } = {}): DemoResult {
  const w = new World({ seed: opts.seed ?? 1, loss: 0, delay: opts.delay ?? 10 });
  const l = listen(w, 'server', 80);
  let request = '';
  l.onAccept = (s) => {
    s.onData = () => {
      const text = s.text();
      if (!request && text.includes('\r\n\r\n')) {
        request = text;
        w.note('server', `HTTP request: ${text.split('\r\n')[0]}`);
        s.write(`HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: ${BODY.length}\r\nServer: synack\r\n\r\n${BODY}`);
      }
    };
    // The client closes first; the server closes on EOF (passive close).
    s.onEof = () => s.close();
  };
  let response = '';
  w.at(0, () => {
    const c = connect(w, 'client', SERVER_ADDR, 80);
    c.onConnect = () => c.write(`GET / HTTP/1.1\r\nHost: ${SERVER_ADDR}\r\nUser-Agent: synack-demo\r\nAccept: */*\r\n\r\n`);
    c.onData = () => {
      const text = c.text();
      const head = text.indexOf('\r\n\r\n');
      const m = /Content-Length: (\d+)/i.exec(text);
      if (head >= 0 && m && text.length >= head + 4 + Number(m[1]) && !response) {
        response = text;
        w.note('client', `HTTP response: ${text.split('\r\n')[0]}`);
        c.close(); // active close: the client will wait in TIME-WAIT
      }
    };
  });
  w.runToEnd();
  l.close();
  w.runToEnd();
  const problems: string[] = [];
  const cs = w.states('client').join(' > ');
  const ss = w.states('server').join(' > ');
  if (cs !== 'SYN-SENT > ESTABLISHED > FIN-WAIT-1 > FIN-WAIT-2 > TIME-WAIT > CLOSED') problems.push(`client states: ${cs}`);
  if (ss !== 'LISTEN > SYN-RECEIVED > ESTABLISHED > CLOSE-WAIT > LAST-ACK > CLOSED') problems.push(`server states: ${ss}`);
  if (!response.endsWith(BODY)) problems.push('no complete HTTP response');
  if (w.finalState('client') !== 'CLOSED' || w.finalState('server') !== 'CLOSED') problems.push('a host did not end CLOSED');
  return { world: w, request, response, ok: problems.length === 0, problems };
}

function indent(text: string, prefix: string): string {
  return text
    .replace(/\r\n/g, '\n')
    .trimEnd()
    .split('\n')
    .map((l) => prefix + l)
    .join('\n');
}

export const demo: Command = {
  name: 'demo',
  summary: 'Watch a TCP connection live its whole life between two simulated hosts, then open the lab',
  usage: 'synack demo [--no-lab] [--port N] [--pcap FILE] [--color auto|always|never]',
  flags: {
    lab: { type: 'boolean', default: true, description: 'serve the lab page afterwards (--no-lab: exit after the ladder)' },
    port: { type: 'number', short: 'p', default: 5173, description: 'port for the lab page (0: any free port)', metavar: 'N' },
    pcap: { type: 'string', default: 'demo.pcapng', description: "where to write the capture of the client's link", metavar: 'FILE' },
    color: { type: 'string', choices: ['auto', 'always', 'never'], default: 'auto', description: 'ANSI colours (auto: when stdout is a terminal and NO_COLOR is unset)', metavar: 'WHEN' },
    delay: { type: 'number', default: 10, description: 'one-way link delay, ms', metavar: 'MS' },
  },
  async run(args) {
    const io = args.io;
    const port = args.num('port') ?? 5173;
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      io.err(`demo: --port must be an integer 0..65535, got ${port}\n`);
      return 2;
    }
    const delay = args.num('delay') ?? 10;
    if (!(delay >= 0 && delay <= 10_000)) {
      io.err(`demo: --delay must be 0..10000 ms, got ${delay}\n`);
      return 2;
    }
    const when = args.str('color') ?? 'auto';
    const color = when === 'always' || (when === 'auto' && !!process.stdout.isTTY && !process.env.NO_COLOR);
    const b = (s: string) => (color ? `\x1b[1m${s}\x1b[0m` : s);
    const dim = (s: string) => (color ? `\x1b[2m${s}\x1b[0m` : s);

    const t0 = performance.now();
    const d = runDemo({ delay });
    const ms = performance.now() - t0;
    const w = d.world;

    io.out(b('synack demo: one TCP connection, from SYN to CLOSED') + '\n');
    io.out(dim(`client 10.0.0.1 and server 10.0.0.2 on a simulated link (${delay} ms each way), virtual time; the stack is synack's own`) + '\n\n');
    io.out(formatLadder(w.events(), { left: 'client', right: 'server', color }));
    io.out('\n' + b('HTTP request (client -> server):') + '\n' + indent(d.request, '  > ') + '\n');
    io.out(b('HTTP response (server -> client):') + '\n' + indent(d.response, '  < ') + '\n\n');
    const segs = wireSegments(w.events());
    io.out(
      `${segs.length} segments; client ${w.states('client').join(' > ')}\n` +
        `${' '.repeat(String(segs.length).length + 11)}server ${w.states('server').join(' > ')}\n` +
        dim(`TIME-WAIT held the client's side for 2 MSL (60 s of virtual time); simulated ${(w.now() / 1000).toFixed(3)} s in ${ms.toFixed(0)} ms`) +
        '\n',
    );
    const pcapPath = args.str('pcap') ?? 'demo.pcapng';
    try {
      writeFileSync(pcapPath, w.pcap.toPcapng());
      io.out(`capture written to ${resolve(pcapPath)} (open it with Wireshark, or load it in the lab)\n`);
    } catch (e) {
      io.err(`demo: could not write ${pcapPath}: ${(e as Error).message}\n`);
    }
    if (!d.ok) {
      io.err(`demo: the connection did not go as expected: ${d.problems.join('; ')}\n`);
      return 1;
    }
    if (!args.bool('lab')) return 0;

    // The lab page: the same stack, in the browser, with the RFC 9293 state diagram.
    let mod: { startLabServer?: (o: { port: number }) => Promise<{ url: string; close(): Promise<void> | void }> };
    try {
      const spec = '../lab-server.js';
      mod = await import(spec);
    } catch (e) {
      io.out(`\nThe lab page is not available in this checkout (src/tools/lab-server.ts did not load: ${(e as Error).message}).\n`);
      return 0;
    }
    if (typeof mod.startLabServer !== 'function') {
      io.out('\nThe lab page is not available in this checkout (no startLabServer).\n');
      return 0;
    }
    let server;
    try {
      server = await mod.startLabServer({ port });
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      io.err(err.code === 'EADDRINUSE' ? `demo: port ${port} is in use; try --port 0\n` : `demo: lab server: ${err.message}\n`);
      return 1;
    }
    io.out(`\n${b('lab:')} ${server.url}?scenario=handshake  (the state diagram, live; Ctrl-C to stop)\n`);
    await new Promise<void>((done) => {
      const stop = (): void => {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        void Promise.resolve(server.close()).then(() => done());
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    });
    return 0;
  },
};
