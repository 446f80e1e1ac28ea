// A small command-line flag parser and the Command shape the CLI registry uses.
// Flags are declared with a type (string | number | boolean); `--flag value`, `--flag=value`,
// `-f value` (declared short aliases), `--no-flag` for booleans, `--` ends flags. Anything not
// declared is an error (ArgError), which the CLI reports with exit code 2.

export type FlagType = 'string' | 'number' | 'boolean';
export type FlagValue = string | number | boolean | string[] | undefined;

export interface FlagSpec {
  type: FlagType;
  /** One-letter alias, without the dash: 'o' for -o. */
  short?: string;
  description?: string;
  /** Value when the flag is absent. Booleans default to false. */
  default?: string | number | boolean;
  /** Allowed values (string flags). */
  choices?: readonly string[];
  /** Placeholder for help text: '--out FILE'. */
  metavar?: string;
  /** Collect every occurrence into a string[] (string flags only). */
  multiple?: boolean;
}

export type FlagSpecs = Record<string, FlagSpec>;

/** Where a command writes. The CLI passes process.stdout/stderr; tests can capture. */
export interface CliIo {
  out(text: string): void;
  err(text: string): void;
}

export interface ParsedArgs {
  /** The command name ('' for the top level). */
  command: string;
  /** Non-flag arguments in order. */
  positionals: string[];
  /** Every declared flag: its value, its default, or undefined. */
  flags: Record<string, FlagValue>;
  /** Arguments after a bare `--`, untouched. */
  rest: string[];
  io: CliIo;
  /** Typed accessors (throw ArgError on a type mismatch, which never happens for declared flags). */
  str(name: string): string | undefined;
  num(name: string): number | undefined;
  bool(name: string): boolean;
  list(name: string): string[];
}

/** One CLI command: lives in src/tools/commands/<name>.ts, listed in commands/index.ts. */
export interface Command {
  name: string;
  /** One line for `synack --help`. */
  summary: string;
  /** Usage text for `synack <name> --help`: first line like 'synack name [options] FILE'. */
  usage: string;
  /** Declared flags (none when absent: any flag is an error). --help is always accepted. */
  flags?: FlagSpecs;
  /** Returns the exit code. */
  run(args: ParsedArgs): Promise<number>;
}

export class ArgError extends Error {
  override name = 'ArgError';
}

const defaultIo: CliIo = {
  out: (s) => void globalThis.process?.stdout.write(s),
  err: (s) => void globalThis.process?.stderr.write(s),
};

/** Parse argv against declared flags. Throws ArgError with a user-facing message. */
export function parseArgs(argv: readonly string[], specs: FlagSpecs = {}, command = '', io: CliIo = defaultIo): ParsedArgs {
  const flags: Record<string, FlagValue> = {};
  const positionals: string[] = [];
  const rest: string[] = [];
  const byShort = new Map<string, string>();
  for (const [name, spec] of Object.entries(specs)) {
    if (spec.short) byShort.set(spec.short, name);
    flags[name] = spec.multiple ? [] : spec.default ?? (spec.type === 'boolean' ? false : undefined);
  }

  const setValue = (name: string, spec: FlagSpec, raw: string, shown: string): void => {
    let v: string | number | boolean;
    if (spec.type === 'number') {
      const n = raw.trim() === '' ? NaN : Number(raw);
      if (!Number.isFinite(n)) throw new ArgError(`${shown} expects a number, got '${raw}'`);
      v = n;
    } else if (spec.type === 'boolean') {
      if (/^(true|1|yes|on)$/i.test(raw)) v = true;
      else if (/^(false|0|no|off)$/i.test(raw)) v = false;
      else throw new ArgError(`${shown} expects true or false, got '${raw}'`);
    } else {
      if (spec.choices && !spec.choices.includes(raw)) {
        throw new ArgError(`${shown} must be one of ${spec.choices.join(', ')}; got '${raw}'`);
      }
      v = raw;
    }
    if (spec.multiple) (flags[name] as string[]).push(String(v));
    else flags[name] = v;
  };

  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') {
      rest.push(...argv.slice(i + 1));
      break;
    }
    let name: string | undefined;
    let inline: string | undefined;
    let shown = arg;
    if (arg.startsWith('--') && arg.length > 2) {
      const eq = arg.indexOf('=');
      name = eq >= 0 ? arg.slice(2, eq) : arg.slice(2);
      inline = eq >= 0 ? arg.slice(eq + 1) : undefined;
      shown = `--${name}`;
      if (!(name in specs) && name.startsWith('no-') && specs[name.slice(3)]?.type === 'boolean' && inline === undefined) {
        flags[name.slice(3)] = false;
        continue;
      }
      if (!(name in specs)) throw new ArgError(`unknown flag ${shown}`);
    } else if (arg.startsWith('-') && arg.length === 2 && !/^-[0-9]$/.test(arg)) {
      name = byShort.get(arg[1]);
      if (!name) throw new ArgError(`unknown flag ${arg}`);
    } else {
      positionals.push(arg);
      continue;
    }
    const spec = specs[name];
    if (spec.type === 'boolean' && inline === undefined) {
      flags[name] = true;
      continue;
    }
    if (inline === undefined) {
      const next = argv[i + 1];
      const looksLikeFlag = next !== undefined && next.startsWith('-') && !(spec.type === 'number' && /^-[0-9.]/.test(next)) && next !== '-';
      if (next === undefined || looksLikeFlag) throw new ArgError(`${shown} needs a value${spec.metavar ? ` (${spec.metavar})` : ''}`);
      inline = next;
      i++;
    }
    setValue(name, spec, inline, shown);
  }

  const typed = <T>(name: string, want: string, ok: (v: FlagValue) => boolean): T => {
    if (!(name in flags)) throw new ArgError(`internal: flag --${name} is not declared`);
    const v = flags[name];
    if (!ok(v)) throw new ArgError(`internal: flag --${name} is not a ${want}`);
    return v as T;
  };
  return {
    command,
    positionals,
    flags,
    rest,
    io,
    str: (n) => typed<string | undefined>(n, 'string', (v) => v === undefined || typeof v === 'string'),
    num: (n) => typed<number | undefined>(n, 'number', (v) => v === undefined || typeof v === 'number'),
    bool: (n) => typed<boolean>(n, 'boolean', (v) => typeof v === 'boolean'),
    list: (n) => {
      const v = typed<FlagValue>(n, 'list', () => true);
      return Array.isArray(v) ? v : v === undefined ? [] : [String(v)];
    },
  };
}

/** Help text for declared flags, one per line, aligned. */
export function formatFlags(specs: FlagSpecs = {}): string {
  const rows = Object.entries(specs).map(([name, s]) => {
    const meta = s.type === 'boolean' ? '' : ` ${s.metavar ?? (s.choices ? s.choices.join('|') : s.type === 'number' ? 'N' : 'VALUE')}`;
    const left = `${s.short ? `-${s.short}, ` : '    '}--${name}${meta}`;
    let desc = s.description ?? '';
    if (s.default !== undefined && s.default !== false) desc += `${desc ? ' ' : ''}(default ${s.default})`;
    if (s.multiple) desc += `${desc ? ' ' : ''}(repeatable)`;
    return [left, desc] as const;
  });
  rows.push(['-h, --help', 'show this help']);
  const w = Math.max(...rows.map(([l]) => l.length));
  return rows.map(([l, d]) => `  ${l.padEnd(w)}  ${d}`.trimEnd()).join('\n');
}
