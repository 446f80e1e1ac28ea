// Locating the shared conformance scripts (../shared/conformance relative to the repo root).
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const CONFORMANCE_DIR = resolve(REPO_ROOT, '..', 'shared', 'conformance');

export function conformanceAvailable(): boolean {
  return existsSync(CONFORMANCE_DIR) && statSync(CONFORMANCE_DIR).isDirectory();
}

export function listPktFiles(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) listPktFiles(p, out);
    else if (name.endsWith('.pkt')) out.push(p);
  }
  return out;
}
