// `synack packetdrill [--json] [--verbose] FILE|DIR...`: run packetdrill scripts against the
// stack. One line per script (PASS / FAIL path:line: ... / UNSUPPORTED path: reason), then a
// summary line. Exit 1 when any script failed.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from '../args.js';
import { formatResult, LENIENT, runScriptFile, type ScriptResult } from '../packetdrill/run.js';

function collect(path: string, out: string[]): void {
  const st = statSync(path);
  if (st.isDirectory()) {
    for (const name of readdirSync(path).sort()) {
      const p = join(path, name);
      if (statSync(p).isDirectory() || name.endsWith('.pkt')) collect(p, out);
    }
  } else out.push(path);
}

export const packetdrill: Command = {
  name: 'packetdrill',
  summary: 'Run packetdrill scripts against the stack (virtual time, one result per script)',
  usage: 'synack packetdrill [--json] [--verbose] [--define NAME] FILE|DIR...',
  flags: {
    json: { type: 'boolean', description: 'one JSON object per script, then a summary object' },
    verbose: { type: 'boolean', short: 'v', description: 'print every event and packet of failing scripts' },
    define: { type: 'string', multiple: true, metavar: 'NAME', description: 'names for #ifdef (default STANDARD)' },
    'time-cap': { type: 'number', default: 2000, metavar: 'MS', description: 'real-time cap per script' },
  },
  async run(args) {
    if (args.positionals.length === 0) {
      args.io.err('packetdrill: give at least one script or directory\n');
      return 2;
    }
    const files: string[] = [];
    for (const p of args.positionals) {
      try {
        collect(p, files);
      } catch (e) {
        args.io.err(`packetdrill: ${p}: ${(e as Error).message}\n`);
        return 2;
      }
    }
    const json = args.bool('json');
    const verbose = args.bool('verbose');
    const defines = args.list('define');
    const opts = {
      verbose,
      defines: defines.length ? defines : undefined,
      realTimeCapMs: args.num('time-cap') ?? 2000,
    };
    const counts = { PASS: 0, FAIL: 0, UNSUPPORTED: 0 };
    if (!json) args.io.out(`# lenient: ${LENIENT.join(', ')} (strict: flags, seq, ack, length, SACK blocks, MSS, timing, every packet)\n`);
    for (const f of files) {
      const r: ScriptResult = runScriptFile(f, opts);
      counts[r.verdict]++;
      if (json) {
        const { log, ...rest } = r;
        args.io.out(JSON.stringify(verbose ? r : rest) + '\n');
        void log;
      } else {
        args.io.out(formatResult(r) + (r.verdict === 'PASS' && r.lenient.length ? `  (lenient: ${r.lenient.join(', ')})` : '') + '\n');
        if (verbose && r.verdict === 'FAIL') for (const l of r.log) args.io.out(`    ${l}\n`);
      }
    }
    const summary = `${counts.PASS} passed, ${counts.FAIL} failed, ${counts.UNSUPPORTED} unsupported`;
    if (json) args.io.out(JSON.stringify({ summary: true, passed: counts.PASS, failed: counts.FAIL, unsupported: counts.UNSUPPORTED, lenient: LENIENT }) + '\n');
    else args.io.out(summary + '\n');
    return counts.FAIL > 0 ? 1 : 0;
  },
};
