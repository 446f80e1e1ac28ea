// Placeholder until the real demo command lands (replace this file).
import type { Command } from '../args.js';

export const demo: Command = {
  name: 'demo',
  summary: 'Run a simulated client/server TCP demo (placeholder)',
  usage: 'synack demo',
  async run(args) {
    args.io.out('demo: not yet implemented\n');
    return 0;
  },
};
