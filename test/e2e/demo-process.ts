// Starts the full-stack demo exactly as the README does (`pnpm --filter
// @evrmore-auth/example-fullstack start`, after the root `pnpm build` the test command runs first),
// waits for the URL it prints, and stops its whole process group.

import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

/** The pnpm the tests run under (pnpm sets npm_execpath), else the README's pinned pnpm. */
function pnpmCommand(): { command: string; args: string[] } {
  const execPath = process.env.npm_execpath;
  if (execPath && /pnpm/.test(execPath)) {
    return /\.c?js$/.test(execPath)
      ? { command: process.execPath, args: [execPath] }
      : { command: execPath, args: [] };
  }
  return { command: 'npx', args: ['-y', 'pnpm@10.34.9'] };
}

/** A TCP port nobody listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address
          ? resolve(address.port)
          : reject(new Error('no port')),
      );
    });
  });
}

export interface RunningDemo {
  url: string;
  /** Everything the demo printed so far (stdout and stderr). */
  output(): string;
  stop(): Promise<void>;
}

/** Start the demo with `env` added to the environment; resolves once it prints its URL. */
export async function startDemo(
  env: Record<string, string>,
  timeoutMs = 120_000,
): Promise<RunningDemo> {
  const { command, args } = pnpmCommand();
  const child: ChildProcess = spawn(
    command,
    [...args, '--filter', '@evrmore-auth/example-fullstack', 'start'],
    {
      cwd: repoRoot,
      env: { ...process.env, ...env, FORCE_COLOR: '0', NO_COLOR: '1' },
      detached: true, // its own process group, so stop() ends pnpm, tsx and node together
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  let exited = false;
  const exit = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  void exit.then(() => (exited = true));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`the demo printed no URL within ${timeoutMs} ms:\n${output}`)),
      timeoutMs,
    );
    const onData = (chunk: Buffer): void => {
      output += chunk.toString('utf8');
      const match = /(http:\/\/localhost:\d+)/.exec(output);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    void exit.then(() => {
      clearTimeout(timer);
      reject(new Error(`the demo exited before printing its URL:\n${output}`));
    });
  });
  return {
    url,
    output: () => output,
    async stop() {
      if (exited || child.pid === undefined) return;
      const kill = (signal: NodeJS.Signals): void => {
        try {
          process.kill(-child.pid!, signal);
        } catch {
          // already gone
        }
      };
      kill('SIGTERM');
      const timeout = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 10_000).unref());
      if ((await Promise.race([exit, timeout])) === 'timeout') {
        kill('SIGKILL');
        await exit;
      }
    },
  };
}
