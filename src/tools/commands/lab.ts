// `synack lab [--port N]`: build (if needed) and serve the lab page, the live RFC 9293 state
// diagram, on 127.0.0.1 until interrupted.
import type { Command } from '../args.js';
import { startLabServer } from '../lab-server.js';

export const lab: Command = {
  name: 'lab',
  summary: 'Serve the lab page: the RFC 9293 state diagram, live, driven by the stack',
  usage: 'synack lab [--port N] [--host ADDR] [--rebuild]',
  flags: {
    port: { type: 'number', short: 'p', default: 5173, description: 'TCP port (0: any free port)', metavar: 'N' },
    host: { type: 'string', default: '127.0.0.1', description: 'address to listen on', metavar: 'ADDR' },
    rebuild: { type: 'boolean', description: 'rebuild lab/dist even if it looks fresh' },
  },
  async run(args) {
    const port = args.num('port') ?? 5173;
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      args.io.err(`lab: --port must be an integer 0..65535, got ${port}\n`);
      return 2;
    }
    let server;
    try {
      server = await startLabServer({ port, host: args.str('host'), build: args.bool('rebuild') ? 'force' : true });
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      args.io.err(err.code === 'EADDRINUSE' ? `lab: port ${port} is in use; try --port 0\n` : `lab: ${err.message}\n`);
      return 1;
    }
    args.io.out(`synack lab: ${server.url}  (Ctrl-C to stop)\n`);
    await new Promise<void>((done) => {
      const stop = (): void => {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        void server.close().then(done);
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    });
    return 0;
  },
};
