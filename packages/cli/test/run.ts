// Runs the built CLI (dist/cli.js) as a subprocess, the way a user's shell does.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
/** The CLI package's folder: scripts run here resolve its dependencies (@evrmore-auth/server). */
export const PACKAGE_DIR = fileURLToPath(new URL('..', import.meta.url));

if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`pnpm build\` first`);

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** `node dist/cli.js ...args`, with `input` on stdin (stdin is closed either way). */
export function run(
  args: readonly string[],
  options: { input?: string; env?: Record<string, string | undefined>; node?: string[] } = {},
): Promise<RunResult> {
  return runNode([...(options.node ?? []), CLI, ...args], options);
}

/** `node ...args` in the CLI package's folder. */
export function runNode(
  args: readonly string[],
  options: { input?: string; env?: Record<string, string | undefined> } = {},
): Promise<RunResult> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const env = { ...process.env, ...options.env };
    for (const [k, v] of Object.entries(env)) if (v === undefined) delete env[k];
    const child = spawn(process.execPath, args, { cwd: PACKAGE_DIR, env });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr, ms: performance.now() - started }));
    child.stdin.end(options.input ?? '');
  });
}

/** A failure as the CLI must report it: the exit status and exactly one line on stderr. */
export function oneLineError(r: RunResult): string {
  const lines = r.stderr.split('\n');
  if (lines.length !== 2 || lines[1] !== '' || !lines[0]!.startsWith('evrmore-auth: '))
    throw new Error(
      `expected one 'evrmore-auth: …' line on stderr, got ${JSON.stringify(r.stderr)}`,
    );
  return lines[0]!;
}
