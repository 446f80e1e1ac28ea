// The flag parser and main() in-process, with captured output and test commands.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseArgs, formatFlags, ArgError, type Command, type CliIo, type FlagSpecs } from '../../src/tools/args.js';
import { main } from '../../src/tools/cli.js';
import { commands } from '../../src/tools/commands/index.js';

const specs: FlagSpecs = {
  seed: { type: 'number', default: 1, description: 'random seed' },
  out: { type: 'string', short: 'o', metavar: 'FILE' },
  verbose: { type: 'boolean', short: 'v' },
  color: { type: 'boolean', default: true },
  format: { type: 'string', choices: ['ladder', 'json'], default: 'ladder' },
  set: { type: 'string', multiple: true },
  offset: { type: 'number' },
};

test('parseArgs: --flag value, --flag=value, short aliases, positionals, defaults', () => {
  const a = parseArgs(['run', '--seed', '7', '-o', 'x.pcapng', '--format=json', 'file.txt', '-v'], specs);
  assert.deepEqual(a.positionals, ['run', 'file.txt']);
  assert.equal(a.num('seed'), 7);
  assert.equal(a.str('out'), 'x.pcapng');
  assert.equal(a.str('format'), 'json');
  assert.equal(a.bool('verbose'), true);
  assert.equal(a.bool('color'), true);
  assert.equal(a.num('offset'), undefined);
  assert.deepEqual(a.list('set'), []);
  const d = parseArgs([], specs);
  assert.equal(d.num('seed'), 1);
  assert.equal(d.bool('verbose'), false);
  assert.equal(d.str('format'), 'ladder');
});

test('parseArgs: booleans take --no-x and =true/false; repeatable flags collect; -- stops parsing', () => {
  const a = parseArgs(['--no-color', '--verbose=false', '--set', 'a=1', '--set=b=2', '--offset', '-5', '--', '--seed', 'x'], specs);
  assert.equal(a.bool('color'), false);
  assert.equal(a.bool('verbose'), false);
  assert.deepEqual(a.list('set'), ['a=1', 'b=2']);
  assert.equal(a.num('offset'), -5);
  assert.equal(a.num('seed'), 1);
  assert.deepEqual(a.rest, ['--seed', 'x']);
});

test('parseArgs: unknown flags, missing values, bad numbers and bad choices are ArgErrors', () => {
  assert.throws(() => parseArgs(['--nope'], specs), (e: unknown) => e instanceof ArgError && /unknown flag --nope/.test(e.message));
  assert.throws(() => parseArgs(['-x'], specs), /unknown flag -x/);
  assert.throws(() => parseArgs(['--seed'], specs), /--seed needs a value/);
  assert.throws(() => parseArgs(['--out', '--verbose'], specs), /--out needs a value \(FILE\)/);
  assert.throws(() => parseArgs(['--seed', 'abc'], specs), /--seed expects a number, got 'abc'/);
  assert.throws(() => parseArgs(['--seed='], specs), /expects a number/);
  assert.throws(() => parseArgs(['--format', 'xml'], specs), /must be one of ladder, json/);
  assert.throws(() => parseArgs(['--verbose=maybe'], specs), /expects true or false/);
  assert.throws(() => parseArgs(['--flag'], {}), /unknown flag --flag/);
});

test('parseArgs: a lone "-" and negative-looking positionals are positionals', () => {
  const a = parseArgs(['-', '-1'], specs);
  assert.deepEqual(a.positionals, ['-', '-1']);
});

test('formatFlags: lists every flag with metavar, default and help', () => {
  const h = formatFlags(specs);
  assert.match(h, /--seed N\s+random seed \(default 1\)/);
  assert.match(h, /-o, --out FILE/);
  assert.match(h, /--format ladder\|json/);
  assert.match(h, /-h, --help\s+show this help/);
});

function capture(): CliIo & { o: string; e: string } {
  const c = { o: '', e: '', out: (s: string) => void (c.o += s), err: (s: string) => void (c.e += s) };
  return c;
}

const echo: Command = {
  name: 'echo',
  summary: 'echo things',
  usage: 'synack echo [--upper] WORDS...',
  flags: { upper: { type: 'boolean' }, times: { type: 'number', default: 1 } },
  async run(a) {
    const s = a.positionals.join(' ');
    for (let i = 0; i < (a.num('times') ?? 1); i++) a.io.out((a.bool('upper') ? s.toUpperCase() : s) + '\n');
    return 0;
  },
};
const boom: Command = { name: 'boom', summary: 'fails', usage: 'synack boom', async run() { throw new Error('kaput'); } };
const usage: Command = {
  name: 'strict',
  summary: 'needs a file',
  usage: 'synack strict FILE',
  async run(a) {
    if (a.positionals.length !== 1) throw new ArgError('expected exactly one FILE');
    return 3;
  },
};

test('main: dispatches to the command with parsed flags and returns its exit code', async () => {
  const io = capture();
  assert.equal(await main(['echo', '--upper', '--times', '2', 'hi', 'there'], io, [echo]), 0);
  assert.equal(io.o, 'HI THERE\nHI THERE\n');
  assert.equal(await main(['strict', 'f'], capture(), [usage]), 3);
});

test('main: a thrown error exits 1 with a message; an ArgError from run exits 2', async () => {
  const io = capture();
  assert.equal(await main(['boom'], io, [boom]), 1);
  assert.match(io.e, /synack boom: error: kaput/);
  const io2 = capture();
  assert.equal(await main(['strict'], io2, [usage]), 2);
  assert.match(io2.e, /expected exactly one FILE/);
});

test('main: --help after other arguments still shows usage; after -- it is an argument', async () => {
  const io = capture();
  assert.equal(await main(['echo', 'x', '--help'], io, [echo]), 0);
  assert.match(io.o, /Usage: synack echo \[--upper\] WORDS/);
  const io2 = capture();
  assert.equal(await main(['echo', '--', '--help'], io2, [echo]), 0);
  assert.equal(io2.o, '\n');
});

test('registry: command names are unique and each has summary and usage', () => {
  const names = commands.map((c) => c.name);
  assert.equal(new Set(names).size, names.length);
  for (const c of commands) {
    assert.ok(c.summary.length > 0 && c.usage.length > 0, c.name);
    assert.equal(typeof c.run, 'function');
  }
});
