// Backquoted shell commands in scripts, understood as data (never executed).
import { parseSockstat, Unsupported, type SockstatQuery } from './dialect.js';

export type ShellStep =
  | { kind: 'sysctl'; settings: Array<[string, string]> }
  | { kind: 'defaults'; path: string }
  | { kind: 'sockstat'; query: SockstatQuery }
  | { kind: 'tcpdrop'; state: string }
  | { kind: 'noop'; why: string };

/** Splits a command into steps; throws Unsupported for anything not understood. */
export function interpretCommand(text: string): ShellStep[] {
  const steps: ShellStep[] = [];
  const pieces = text
    .replace(/\\\s*\n/g, ' ')
    .split(/\n|;|&&/)
    .map((s) => s.trim())
    .filter(Boolean);
  for (const cmd of pieces) steps.push(interpretOne(cmd));
  return steps;
}

function interpretOne(cmd: string): ShellStep {
  let m: RegExpExecArray | null;
  if ((m = /^sysctl\s+(-w|-q)\s+(.*)$/.exec(cmd))) {
    const settings: Array<[string, string]> = [];
    for (const [, name, value] of m[2].matchAll(/([A-Za-z0-9_.]+)=("[^"]*"|\S+)/g)) settings.push([name, value]);
    if (settings.length === 0) throw new Unsupported(`command not understood: ${cmd}`);
    return { kind: 'sysctl', settings };
  }
  if ((m = /^(\S*\/)?defaults\.sh$/.exec(cmd))) return { kind: 'defaults', path: cmd };
  if ((m = /^\S*set_sysctls\.py\s+(.*)$/.exec(cmd))) {
    const settings: Array<[string, string]> = [];
    const rest = m[1].replace(/\/proc\/sys\/(net\/[A-Za-z0-9_/]+)=("[^"]*"|\S+)/g, (_s, name: string, value: string) => {
      settings.push([name.replace(/\//g, '.'), value]);
      return '';
    });
    if (rest.trim()) throw new Unsupported(`set_sysctls.py argument not understood: ${rest.trim()}`);
    return { kind: 'sysctl', settings };
  }
  if (/^\/tmp\/sysctl_restore_\$\{PPID\}\.sh$/.test(cmd)) return { kind: 'noop', why: 'sysctl restore (fresh stack per script)' };
  if (cmd.startsWith('sockstat')) {
    const q = parseSockstat(cmd);
    if (!q) throw new Unsupported(`sockstat query not understood: ${cmd}`);
    return { kind: 'sockstat', query: q };
  }
  if ((m = /^tcpdrop\s+-s\s+([A-Z_0-9]+)$/.exec(cmd))) return { kind: 'tcpdrop', state: m[1] };
  if (/^setkey\s+-F$/.test(cmd)) return { kind: 'noop', why: 'IPsec SAD flush (no IPsec state)' };
  if (/^ip\s+tcp_metrics\s+flush\b/.test(cmd)) return { kind: 'noop', why: 'TCP metrics flush (fresh stack per script)' };
  if (/^tc\s+qdisc\s+add\s+dev\s+tun0\s+root\s+pfifo$/.test(cmd)) return { kind: 'noop', why: 'qdisc (no queueing discipline)' };
  throw new Unsupported(`command not understood: ${cmd.length > 60 ? cmd.slice(0, 60) + '...' : cmd}`);
}
