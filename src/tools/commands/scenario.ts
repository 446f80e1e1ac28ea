// `synack scenario <name>`: run one scenario of the catalogue (src/tools/scenarios) and print
// its ladder and a summary, or the trace as JSON lines. Exit 0 when the scenario did what it
// should, 1 when not, 2 for usage errors (unknown scenario, bad option values).
import { writeFileSync } from 'node:fs';
import type { Command } from '../args.js';
import { formatLadder, formatJsonLines } from '../../trace/format.js';
import { SCENARIOS, runScenario, ScenarioError, type ScenarioOptions } from '../scenarios/index.js';

/** Rows kept at each end of an abbreviated ladder (a 10 MB bulk run has tens of thousands). */
const LADDER_ENDS = 40;

export const scenario: Command = {
  name: 'scenario',
  summary: 'Run a scripted two-host scenario (handshake, close, loss, RST...) and show its ladder',
  usage: 'synack scenario <name> [--seed N] [--loss P] [--delay MS] [--bytes N] [--pcap FILE] [--json] [--full] | --list',
  flags: {
    list: { type: 'boolean', description: 'list the scenarios' },
    seed: { type: 'number', description: 'random seed (ISNs, ports, link loss)', metavar: 'N' },
    loss: { type: 'number', description: 'random packet loss on the link, 0..1 (e.g. 0.05)', metavar: 'P' },
    delay: { type: 'number', description: 'one-way link delay in ms (default 10)', metavar: 'MS' },
    bytes: { type: 'number', description: 'bytes to transfer (bulk, zero-window, half-close)', metavar: 'N' },
    pcap: { type: 'string', description: "write the client's link capture (pcapng) to FILE", metavar: 'FILE' },
    json: { type: 'boolean', description: 'print the trace as JSON lines (one event per line)' },
    full: { type: 'boolean', description: `print every row of a long ladder (default: the first and last ${LADDER_ENDS}, state changes and user calls between)` },
    color: { type: 'boolean', description: 'colour the ladder with ANSI escapes' },
  },
  async run(args) {
    const io = args.io;
    if (args.bool('list')) {
      const w = Math.max(...SCENARIOS.map((s) => s.name.length));
      io.out(SCENARIOS.map((s) => `${s.name.padEnd(w)}  ${s.title}`).join('\n') + '\n');
      return 0;
    }
    const [name, ...extra] = args.positionals;
    if (!name) {
      io.err(`synack scenario: which scenario? One of: ${SCENARIOS.map((s) => s.name).join(', ')}\nUsage: ${this.usage}\n`);
      return 2;
    }
    if (extra.length) {
      io.err(`synack scenario: one scenario at a time (extra: ${extra.join(' ')})\n`);
      return 2;
    }
    if (!SCENARIOS.some((s) => s.name === name)) {
      io.err(`synack scenario: unknown scenario '${name}'. Known: ${SCENARIOS.map((s) => s.name).join(', ')}\n(synack scenario --list describes them)\n`);
      return 2;
    }
    const opts: ScenarioOptions = {};
    for (const k of ['seed', 'loss', 'delay', 'bytes'] as const) {
      const v = args.num(k);
      if (v !== undefined) opts[k] = v;
    }
    let r;
    try {
      r = runScenario(name, opts);
    } catch (e) {
      if (e instanceof ScenarioError) {
        io.err(`synack scenario: ${e.message}\n`);
        return 2;
      }
      throw e;
    }
    const pcap = args.str('pcap');
    if (pcap) writeFileSync(pcap, r.pcapng);
    if (args.bool('json')) {
      io.out(formatJsonLines(r.events));
    } else {
      const color = args.bool('color');
      const info = SCENARIOS.find((s) => s.name === name)!;
      io.out(`${info.title}: ${info.description}\n\n`);
      const abbreviate = args.bool('full') ? undefined : { head: LADDER_ENDS, tail: LADDER_ENDS, hint: ' (use --full for all)' };
      io.out(formatLadder(r.events, { left: 'client', right: 'server', color, abbreviate }));
      io.out('\n' + r.summary + '\n');
      if (pcap) io.out(`capture written to ${pcap}\n`);
    }
    if (!r.ok) {
      if (args.bool('json')) io.err(r.summary + '\n');
      return 1;
    }
    return 0;
  },
};
