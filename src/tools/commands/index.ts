// The CLI's command registry. To add a command: write src/tools/commands/<name>.ts exporting
// a `Command` (see ../args.ts), then add one import line and one array entry below.
import type { Command } from '../args.js';
import { demo } from './demo.js';
import { lab } from './lab.js';
import { packetdrill } from './packetdrill.js';
import { scenario } from './scenario.js';
import { tun } from './tun.js';

export type { Command } from '../args.js';

export const commands: Command[] = [
  demo,
  lab,
  packetdrill,
  scenario,
  tun,
];

export function findCommand(name: string): Command | undefined {
  return commands.find((c) => c.name === name);
}
