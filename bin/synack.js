#!/usr/bin/env node
// Entry point. Runs the compiled CLI from dist/ when it is a build of the current sources
// (scripts/dist.mjs; `npm ci` builds it), else the TypeScript through tsx's loader (no build
// step needed). SYNACK_TSX=1 forces tsx.
import { distFresh, DIST, pathToFileURL } from '../scripts/dist.mjs';
import { join } from 'node:path';

let main;
if (!process.env.SYNACK_TSX && distFresh()) {
  ({ main } = await import(pathToFileURL(join(DIST, 'src', 'tools', 'cli.js')).href));
} else {
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import('../src/tools/cli.ts'));
}
const code = await main(process.argv.slice(2));
if (typeof code === 'number') process.exitCode = code;
