// A tiny static server for the lab page (lab/dist), on 127.0.0.1 by default. Builds the page
// with Vite's JS API first when lab/dist is missing or older than its sources (lab/ and the
// stack modules it bundles from src/). Node-only.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { readFile, rename, rm } from 'node:fs/promises';
import { dirname, extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AddressInfo } from 'node:net';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const LAB_DIR = join(REPO_ROOT, 'lab');
export const LAB_DIST = join(LAB_DIR, 'dist');

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
  '.wasm': 'application/wasm',
  '.pcapng': 'application/octet-stream',
  '.woff2': 'font/woff2',
};

export function mimeType(path: string): string {
  return MIME[extname(path).toLowerCase()] ?? 'application/octet-stream';
}

/** Newest modification time (ms) of the files under `dir` with one of `exts`. */
function newest(dir: string, exts: string[], skip: (p: string) => boolean = () => false): number {
  let t = 0;
  if (!existsSync(dir)) return t;
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (skip(p)) continue;
    const st = statSync(p);
    if (st.isDirectory()) t = Math.max(t, newest(p, exts, skip));
    else if (exts.some((e) => name.endsWith(e))) t = Math.max(t, st.mtimeMs);
  }
  return t;
}

/** True when lab/dist is missing or older than anything it is built from. */
export function labDistIsStale(): boolean {
  const index = join(LAB_DIST, 'index.html');
  if (!existsSync(index)) return true;
  const built = statSync(index).mtimeMs;
  const sources = Math.max(
    newest(LAB_DIR, ['.ts', '.html', '.css'], (p) => p === LAB_DIST || p.startsWith(join(LAB_DIR, '.dist-'))),
    newest(join(REPO_ROOT, 'src'), ['.ts']),
  );
  return sources > built;
}

let building: Promise<void> | null = null;

/** Build lab/dist with Vite (into a temporary folder, then swapped in). One build at a time. */
export function buildLab(opts: { quiet?: boolean } = {}): Promise<void> {
  building ??= (async () => {
    const { build } = await import('vite');
    const tmp = join(LAB_DIR, `.dist-${process.pid}-${Date.now()}`);
    try {
      await build({
        configFile: join(LAB_DIR, 'vite.config.ts'),
        logLevel: opts.quiet ? 'error' : 'warn',
        build: { outDir: tmp, emptyOutDir: true },
      });
      await rm(LAB_DIST, { recursive: true, force: true });
      await rename(tmp, LAB_DIST);
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  })().finally(() => {
    building = null;
  });
  return building;
}

/** Build lab/dist if it is missing or stale. Returns whether it built. */
export async function ensureLabBuilt(opts: { force?: boolean; quiet?: boolean } = {}): Promise<boolean> {
  if (!opts.force && !labDistIsStale()) return false;
  try {
    await buildLab(opts);
  } catch (e) {
    // A stale page beats no page: serve what is there, but say so.
    if (existsSync(join(LAB_DIST, 'index.html'))) {
      process.stderr.write(`lab: build failed, serving the previous build: ${(e as Error).message}\n`);
      return false;
    }
    throw e;
  }
  return true;
}

export interface LabServerOptions {
  /** TCP port; 0 (the default) picks a free one. */
  port?: number;
  /** Address to listen on; 127.0.0.1 by default. */
  host?: string;
  /** Build lab/dist first when missing or stale (default true); 'force' always rebuilds. */
  build?: boolean | 'force';
  /** Directory to serve (default lab/dist). */
  root?: string;
  quiet?: boolean;
}

export interface LabServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

async function serveFile(root: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const send = (code: number, text: string): void => {
    res.writeHead(code, { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff' });
    res.end(req.method === 'HEAD' ? undefined : text);
  };
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('Allow', 'GET, HEAD');
    return send(405, 'method not allowed\n');
  }
  let path: string;
  try {
    path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
  } catch {
    return send(400, 'bad request\n');
  }
  if (path.includes('\0')) return send(400, 'bad request\n');
  if (path.endsWith('/')) path += 'index.html';
  const file = normalize(join(root, path));
  if (file !== root && !file.startsWith(root + sep)) return send(403, 'forbidden\n');
  let body: Buffer;
  try {
    const st = statSync(file, { throwIfNoEntry: false });
    if (!st || !st.isFile()) return send(404, `not found: ${path}\n`);
    body = await readFile(file);
  } catch {
    return send(404, `not found: ${path}\n`);
  }
  res.writeHead(200, {
    'Content-Type': mimeType(file),
    'Content-Length': body.length,
    'Cache-Control': 'no-cache',
    'X-Content-Type-Options': 'nosniff',
  });
  res.end(req.method === 'HEAD' ? undefined : body);
}

/** Serve the lab page. `synack lab` and `synack demo` use this. */
export async function startLabServer(opts: LabServerOptions = {}): Promise<LabServer> {
  const root = resolve(opts.root ?? LAB_DIST);
  if (opts.build !== false && !opts.root) await ensureLabBuilt({ force: opts.build === 'force', quiet: opts.quiet });
  if (!existsSync(join(root, 'index.html'))) throw new Error(`no index.html in ${root}`);
  const server = createServer((req, res) => {
    serveFile(root, req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
  const host = opts.host ?? '127.0.0.1';
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(opts.port ?? 0, host, () => {
      server.off('error', fail);
      ok();
    });
  });
  const { port } = server.address() as AddressInfo;
  const shown = host.includes(':') ? `[${host}]` : host === '0.0.0.0' ? '127.0.0.1' : host;
  return {
    url: `http://${shown}:${port}/`,
    port,
    close: () =>
      new Promise<void>((ok) => {
        server.closeAllConnections?.();
        server.close(() => ok());
      }),
  };
}
