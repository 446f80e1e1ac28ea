// synack's command-line entry point (Node only). bin/synack.js calls main(process.argv.slice(2)).
// Exit codes: 0 ok, 1 the command failed, 2 usage error (unknown command or bad flags).
import { readFileSync } from 'node:fs';
import { ArgError, formatFlags, parseArgs, type CliIo, type Command } from './args.js';
import { commands as registry } from './commands/index.js';

function version(): string {
  try {
    return JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).version ?? '?';
  } catch {
    return '?';
  }
}

function topHelp(cmds: readonly Command[]): string {
  const w = Math.max(4, ...cmds.map((c) => c.name.length));
  return [
    'synack: a TCP/IP stack in TypeScript',
    '',
    'Usage: synack <command> [options]',
    '       synack <command> --help',
    '',
    'Commands:',
    ...cmds.map((c) => `  ${c.name.padEnd(w)}  ${c.summary}`),
    `  ${'help'.padEnd(w)}  Show help for a command`,
    '',
    'Options:',
    '  -h, --help     show this help',
    '  --version      print the version',
    '',
  ].join('\n');
}

function commandHelp(c: Command): string {
  const usage = c.usage.startsWith('synack') ? c.usage : `synack ${c.name} ${c.usage}`;
  return [`Usage: ${usage}`, '', c.summary, '', 'Options:', formatFlags(c.flags), ''].join('\n');
}

/** Closest command name (for "did you mean"), or undefined if none is close. */
function suggest(name: string, cmds: readonly Command[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of cmds) {
    const d = editDistance(name, c.name);
    if (d < bestD) {
      bestD = d;
      best = c.name;
    }
  }
  return bestD <= (name.length <= 2 ? 1 : Math.max(2, Math.floor(name.length / 3))) ? best : undefined;
}

function editDistance(a: string, b: string): number {
  const dp = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = dp[0];
    dp[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = dp[j];
      dp[j] = Math.min(dp[j] + 1, dp[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return dp[b.length];
}

const processIo: CliIo = {
  out: (s) => void process.stdout.write(s),
  err: (s) => void process.stderr.write(s),
};

/** Run the CLI. Returns the exit code. `io` and `commands` are for tests. */
export async function main(argv: string[], io: CliIo = processIo, commands: readonly Command[] = registry): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined || first === '--help' || first === '-h') {
    io.out(topHelp(commands));
    return 0;
  }
  if (first === '--version' || first === '-V') {
    io.out(`synack ${version()}\n`);
    return 0;
  }
  if (first === 'help') {
    if (rest.length === 0) {
      io.out(topHelp(commands));
      return 0;
    }
    const c = commands.find((x) => x.name === rest[0]);
    if (!c) return unknownCommand(rest[0], io, commands);
    io.out(commandHelp(c));
    return 0;
  }
  if (first.startsWith('-')) {
    io.err(`synack: unknown option ${first}\nRun 'synack --help' for usage.\n`);
    return 2;
  }
  const cmd = commands.find((c) => c.name === first);
  if (!cmd) return unknownCommand(first, io, commands);

  // --help anywhere before a bare `--` shows the command's usage.
  const dd = rest.indexOf('--');
  const beforeDd = dd >= 0 ? rest.slice(0, dd) : rest;
  if (beforeDd.includes('--help') || beforeDd.includes('-h')) {
    io.out(commandHelp(cmd));
    return 0;
  }
  let args;
  try {
    args = parseArgs(rest, cmd.flags ?? {}, cmd.name, io);
  } catch (e) {
    if (e instanceof ArgError) {
      io.err(`synack ${cmd.name}: ${e.message}\nUsage: ${cmd.usage}\nRun 'synack ${cmd.name} --help' for details.\n`);
      return 2;
    }
    throw e;
  }
  try {
    const code = await cmd.run(args);
    return typeof code === 'number' ? code : 0;
  } catch (e) {
    if (e instanceof ArgError) {
      io.err(`synack ${cmd.name}: ${e.message}\nUsage: ${cmd.usage}\n`);
      return 2;
    }
    const msg = e instanceof Error ? e.message : String(e);
    io.err(`synack ${cmd.name}: error: ${msg}\n`);
    if (process.env.SYNACK_DEBUG && e instanceof Error && e.stack) io.err(e.stack + '\n');
    return 1;
  }
}

function unknownCommand(name: string, io: CliIo, commands: readonly Command[]): number {
  const hint = suggest(name, commands);
  io.err(`synack: unknown command '${name}'${hint ? ` (did you mean '${hint}'?)` : ''}\nRun 'synack --help' for the list of commands.\n`);
  return 2;
}
