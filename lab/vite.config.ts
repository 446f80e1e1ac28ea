// Vite config for the lab page: lab/index.html + lab/src/*.ts, with the stack's browser-safe
// modules bundled from ../src. Build: `npx vite build --config lab/vite.config.ts` (or let
// `synack lab` do it). Output: lab/dist.
import { defineConfig } from 'vite';
import { fileURLToPath } from 'node:url';
import { dirname, resolve } from 'node:path';

const here = dirname(fileURLToPath(import.meta.url));

export default defineConfig({
  root: here,
  base: './',
  logLevel: 'warn',
  clearScreen: false,
  build: {
    outDir: resolve(here, 'dist'),
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
    chunkSizeWarningLimit: 2000,
  },
  server: {
    host: '127.0.0.1',
    fs: { allow: [resolve(here, '..')] },
  },
});
