// Loads the TUN addon (native/tun.c, built to build/Release/synack_tun.node by `npm ci`).
// Node-only. When the addon is missing or cannot load, `loadTunAddon()` throws TunUnavailableError
// with the reason and the fix; nothing else in synack needs the addon.
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** An opaque uv_poll_t handle owned by the addon. */
export type NativePoller = { readonly __poller: unique symbol };

export interface TunAddon {
  /** Opens /dev/net/tun (IFF_TUN | IFF_NO_PI, non-blocking). `name` "" lets the kernel choose. */
  open(name: string, multiQueue?: boolean): { fd: number; name: string };
  pollerNew(fd: number, onReadable: (status: number) => void): NativePoller;
  pollerStart(p: NativePoller): void;
  pollerStop(p: NativePoller): void;
  pollerRef(p: NativePoller, on: boolean): void;
  pollerClose(p: NativePoller): void;
}

export type TunUnavailableReason = 'platform' | 'addon-missing' | 'addon-load' | 'no-device' | 'permission';

/** The TUN link cannot be used here; `message` says why and how to fix it. */
export class TunUnavailableError extends Error {
  constructor(readonly reason: TunUnavailableReason, message: string) {
    super(message);
    this.name = 'TunUnavailableError';
  }
}

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const ADDON_PATH = process.env.SYNACK_TUN_ADDON ?? join(root, 'build', 'Release', 'synack_tun.node');

let cached: TunAddon | TunUnavailableError | undefined;

/** The addon, or throws TunUnavailableError. The result (either way) is cached. */
export function loadTunAddon(): TunAddon {
  if (cached === undefined) cached = tryLoad();
  if (cached instanceof TunUnavailableError) throw cached;
  return cached;
}

/** Why the addon is unavailable, or null when it loads. */
export function tunAddonProblem(): TunUnavailableError | null {
  try {
    loadTunAddon();
    return null;
  } catch (e) {
    if (e instanceof TunUnavailableError) return e;
    throw e;
  }
}

function tryLoad(): TunAddon | TunUnavailableError {
  if (process.platform !== 'linux') {
    return new TunUnavailableError('platform', `TUN link: Linux only (this is ${process.platform})`);
  }
  if (!existsSync(ADDON_PATH)) {
    return new TunUnavailableError(
      'addon-missing',
      `TUN link: the native addon is not built (${ADDON_PATH} is missing). ` +
        'Build it with `npm run build:native` (needs a C compiler, make, python3 and the Node ' +
        'headers under /usr/include/node); `npm ci` prints why it could not build it.',
    );
  }
  try {
    const req = createRequire(import.meta.url);
    return req(ADDON_PATH) as TunAddon;
  } catch (e) {
    return new TunUnavailableError(
      'addon-load',
      `TUN link: the native addon at ${ADDON_PATH} does not load (${(e as Error).message}); ` +
        'rebuild it with `npm run build:native`.',
    );
  }
}
