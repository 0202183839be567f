// Run an ES module snippet in a fresh Node process (cwd: bench/, so workspace packages resolve)
// and parse the JSON it prints last.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * `node [flags] --input-type=module -e code`; resolves to the last stdout line parsed as JSON.
 *
 * @example
 * ```ts
 * const { ok } = await runSnippet<{ ok: boolean }>('console.log(JSON.stringify({ ok: true }))');
 * ```
 */
export async function runSnippet<T>(code: string, flags: string[] = []): Promise<T> {
  let stdout: string;
  try {
    ({ stdout } = await run(process.execPath, [...flags, '--input-type=module', '-e', code], {
      cwd: new URL('../..', import.meta.url).pathname,
      env: { ...process.env, NODE_ENV: 'development' },
      maxBuffer: 1 << 20,
    }));
  } catch (err) {
    const stderr = (err as { stderr?: string }).stderr ?? String(err);
    const line = stderr.split('\n').find((l) => /Error/.test(l)) ?? stderr.slice(0, 300);
    throw new Error(`child process failed: ${line.trim()}`, { cause: err });
  }
  const lines = stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1]!) as T;
}
