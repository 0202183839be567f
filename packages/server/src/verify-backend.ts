// The secp256k1 backend of the default configuration: the `secp256k1` native addon (libsecp256k1,
// an optional dependency of this package) when it loads (Node, Bun, and Deno with --allow-ffi; it
// verifies about ten times faster than pure JS on each, and passes the same vector suite there:
// test/runtimes), else @noble/secp256k1 (pure JS: Workers, browsers, Deno without --allow-ffi, or
// no addon for the platform). Nothing here imports a Node module at the top level: the addon is
// reached through `process.getBuiltinModule('node:module')`, which only Node and the runtimes
// emulating it have, and through a `require` that bundlers do not follow.
import { nobleBackend, type Secp256k1Backend } from '@evrmore-auth/core';
import { readNodeEnv } from './config/environment.js';
import type { PinoLikeLogger } from './events.js';

/** The part of Node's `process` this file reads; absent on Workers and in browsers. */
export interface ProcessLike {
  getBuiltinModule?: (id: string) => unknown;
  versions?: Record<string, string | undefined>;
  env?: Record<string, string | undefined>;
}

/**
 * The native backend, or `null` when `proc` is not Node's or the addon does not load (not
 * installed, no prebuild for this platform and not built, or a runtime that cannot load addons).
 *
 * @example
 * ```ts
 * loadNativeBackend(globalThis.process)?.name; // 'secp256k1 (native)' or undefined
 * ```
 */
export function loadNativeBackend(proc: ProcessLike | undefined): Secp256k1Backend | null {
  if (!proc?.versions?.node) return null;
  try {
    const nodeModule = proc?.getBuiltinModule?.('node:module') as
      { createRequire(from: string): (id: string) => unknown } | undefined;
    if (!nodeModule) return null;
    // `/backends/native` imports the addon itself (`secp256k1/bindings.js`), never the package's
    // silent pure-JS fallback: it throws when the addon cannot load.
    const { nativeBackend } = nodeModule.createRequire(import.meta.url)(
      '@evrmore-auth/core/backends/native',
    ) as { nativeBackend: Secp256k1Backend };
    return nativeBackend;
  } catch {
    return null;
  }
}

const nodeProcess = (globalThis as { process?: ProcessLike }).process;
let chosen: Secp256k1Backend | undefined;
let announced = false;

/**
 * The backend `createEvrmoreAuth` uses when its config names none: the native addon when it
 * loads (decided once per process), else `nobleBackend`. Says which in one log line at start-up:
 * through `logger.info` when a logger is configured, else `console.info` once per process (not
 * under a test runner: `NODE_ENV=test`).
 *
 * @example
 * ```ts
 * const backend = config.backend ?? defaultBackend(config.logger);
 * ```
 */
export function defaultBackend(logger?: PinoLikeLogger): Secp256k1Backend {
  chosen ??= loadNativeBackend(nodeProcess) ?? nobleBackend;
  const denoHint = nodeProcess?.versions?.deno ? '; on Deno, --allow-ffi lets it load' : '';
  const message =
    chosen === nobleBackend
      ? `evrmore-auth: verifying signatures with ${chosen.name} (pure JS: the secp256k1 native addon is not available here${denoHint})`
      : `evrmore-auth: verifying signatures with ${chosen.name} (libsecp256k1: the secp256k1 addon loaded)`;
  if (logger) logger.info({ backend: chosen.name }, message);
  else if (!announced && readNodeEnv() !== 'test') {
    announced = true;
    console.info(message);
  }
  return chosen;
}
