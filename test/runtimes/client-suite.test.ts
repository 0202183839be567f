// The client package's unit suite under Bun and Deno (issue 18: core and client are isomorphic).
// vitest itself runs under each runtime (`bun --bun vitest.mjs`, `deno run vitest.mjs` on the
// installed node_modules, offline), once with the forks pool (workers are processes of the
// runtime's own process.execPath: a main thread, like a server or a script) and once with the
// threads pool (worker threads: in Deno a worker has a file: `location`, which the client once
// mistook for the page). fixtures/client-suite-runtime.ts stamps every test with the runtime and
// thread that ran it, so a test quietly run by Node, or on the wrong thread, fails here. The
// expected tests are those of the same config run under the Node running this suite, side by side,
// and every client test file on disk must be among them.
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BINARIES, installed, QUIET_ENV } from './processes.js';
import type { RuntimeStamp } from './fixtures/client-suite-runtime.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const VITEST = join(ROOT, 'node_modules/vitest/vitest.mjs');
const CONFIG = fileURLToPath(new URL('./fixtures/client-suite.config.ts', import.meta.url));
const CLIENT_SRC = join(ROOT, 'packages/client/src');
/** A run that takes longer is killed (and fails): the whole test stays under ~2 minutes. */
const RUN_TIMEOUT_MS = 110_000;

const RUNTIMES = ['bun', 'deno'] as const;
type Runtime = (typeof RUNTIMES)[number] | 'node';
type Pool = 'forks' | 'threads';

/** One run of the suite. */
interface Variant<R extends Runtime = Runtime> {
  runtime: R;
  pool: Pool;
}
const BASELINE: Variant = { runtime: 'node', pool: 'forks' };
const VARIANTS: Variant<(typeof RUNTIMES)[number]>[] = RUNTIMES.flatMap((runtime) =>
  (['forks', 'threads'] as const).map((pool) => ({ runtime, pool })),
);
const label = (v: Variant): string => `${v.runtime} (${v.pool})`;

/** How each runtime runs vitest's CLI: offline, nothing installed or fetched at run time. */
const COMMANDS: Record<Runtime, (vitest: string) => [string, string[]]> = {
  node: (vitest) => [process.execPath, [vitest]],
  bun: (vitest) => [BINARIES.bun, ['--bun', '--no-install', vitest]],
  deno: (vitest) => [
    BINARIES.deno,
    ['run', '-A', '--cached-only', '--node-modules-dir=manual', vitest],
  ],
};

interface JsonTest {
  fullName: string;
  status: string;
  failureMessages: string[];
  meta: { runtime?: RuntimeStamp };
}
interface JsonReport {
  success: boolean;
  numTotalTests: number;
  numPassedTests: number;
  numFailedTests: number;
  testResults: { name: string; message: string; assertionResults: JsonTest[] }[];
}
interface Run {
  code: number | null;
  output: string;
  report: JsonReport | null;
}

let dir = '';

/** Runs the client suite as `variant` says; the JSON reporter's file is the result. */
async function runSuite({ runtime, pool }: Variant): Promise<Run> {
  const outputFile = join(dir, `${runtime}-${pool}.json`);
  const [command, args] = COMMANDS[runtime](VITEST);
  // A vitest worker's own variables would make the child think it is a worker.
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !/^(__)?VITEST/.test(k)),
  );
  const child = spawn(
    command,
    [
      ...args,
      'run',
      '--config',
      CONFIG,
      `--pool=${pool}`,
      // Five runs at once: none writes vitest's shared results cache (it only orders files).
      '--no-cache',
      '--reporter=json',
      `--outputFile=${outputFile}`,
      '--no-color',
    ],
    { cwd: ROOT, env: { ...env, ...QUIET_ENV }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const timer = setTimeout(() => {
    output += `\n[killed after ${RUN_TIMEOUT_MS} ms]`;
    child.kill('SIGKILL');
  }, RUN_TIMEOUT_MS);
  const code = await new Promise<number | null>((resolve) => {
    child.once('error', (err) => {
      output += String(err);
      resolve(null);
    });
    child.once('close', (exitCode) => resolve(exitCode));
  });
  clearTimeout(timer);
  const report = await readFile(outputFile, 'utf8').then(
    (text) => JSON.parse(text) as JsonReport,
    () => null,
  );
  return { code, output, report };
}

/** `file > describe > test` for each passed test of a report (files relative to the repo). */
function passed(report: JsonReport): Set<string> {
  return new Set(
    report.testResults.flatMap((file) =>
      file.assertionResults
        .filter((t) => t.status === 'passed')
        .map((t) => `${relative(ROOT, file.name)} > ${t.fullName}`),
    ),
  );
}

async function clientTestFiles(): Promise<string[]> {
  const entries = await readdir(CLIENT_SRC, { recursive: true });
  return entries
    .filter((f) => /\.test\.tsx?$/.test(f))
    .map((f) => relative(ROOT, join(CLIENT_SRC, f)))
    .sort();
}

const runs = new Map<Variant, Promise<Run>>();

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'evrmore-client-suite-'));
  // Side by side: Node's run (the expected tests) and each installed runtime's.
  for (const variant of [BASELINE, ...VARIANTS.filter((v) => installed(v.runtime))])
    runs.set(variant, runSuite(variant));
  await Promise.all(runs.values());
}, RUN_TIMEOUT_MS + 10_000);

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

/**
 * The tests a runtime cannot observe, with the reason: they skip themselves there (`skipIf` on
 * the missing capability) and only there. Nothing else may be skipped or missing.
 */
const UNOBSERVABLE: Partial<Record<Runtime, { reason: string; tests: RegExp }>> = {
  bun: {
    reason:
      "Bun's fetch Request keeps no credentials mode (it reports 'include' whatever it is given), " +
      'so the mode the client sets per origin cannot be read back; Chromium checks it (test/e2e/dpop)',
    tests: /^credentials per origin /,
  },
};

/** Whether `test` may be skipped under `variant`'s runtime (see UNOBSERVABLE). */
const unobservable = (variant: Variant, test: JsonTest): boolean =>
  test.status === 'skipped' && UNOBSERVABLE[variant.runtime]?.tests.test(test.fullName) === true;

/** Fails unless the run exited 0 with a report of only passed tests (but UNOBSERVABLE ones). */
function expectGreen(variant: Variant, run: Run): JsonReport {
  const why = `${label(variant)} run (exit ${run.code}):\n${run.output.slice(-4000)}`;
  expect(run.report, why).not.toBeNull();
  const report = run.report!;
  const failures = report.testResults.flatMap((file) => [
    ...(file.message ? [`${file.name}: ${file.message}`] : []),
    ...file.assertionResults
      .filter((t) => t.status !== 'passed' && !unobservable(variant, t))
      .map((t) => `${t.fullName} [${t.status}] ${t.failureMessages.join('\n').slice(0, 600)}`),
  ]);
  expect(failures, why).toEqual([]);
  expect(run.code, why).toBe(0);
  expect(report.success, why).toBe(true);
  return report;
}

describe('the client unit suite under Bun and Deno', () => {
  it('runs under Node (the expected tests): every client test file, all green', async () => {
    const report = expectGreen(BASELINE, await runs.get(BASELINE)!);
    const files = new Set(report.testResults.map((f) => relative(ROOT, f.name)));
    const onDisk = await clientTestFiles();
    expect(onDisk.length).toBeGreaterThan(0);
    for (const file of onDisk) expect(files, `${file} is not in the run`).toContain(file);
    expect(report.numPassedTests).toBeGreaterThanOrEqual(onDisk.length);
    console.log(`client suite under node ${process.versions.node}: ${report.numPassedTests} tests`);
  });

  for (const variant of VARIANTS) {
    const { runtime, pool } = variant;
    it(`runs under ${label(variant)}: the same tests pass, each one executed by ${runtime}`, async (ctx) => {
      if (!installed(runtime)) {
        if (process.env.CI === 'true')
          throw new Error(`CI=true but ${BINARIES[runtime]} is missing (pnpm install)`);
        console.log(`SKIP: client suite under ${runtime}: ${BINARIES[runtime]} is not installed`);
        ctx.skip();
      }
      const expected = passed(expectGreen(BASELINE, await runs.get(BASELINE)!));
      const report = expectGreen(variant, await runs.get(variant)!);
      const got = passed(report);
      const excused = UNOBSERVABLE[runtime];
      const missing = [...expected].filter(
        (name) => !got.has(name) && !excused?.tests.test(name.split(' > ').slice(1).join(' > ')),
      );
      if (excused)
        console.log(`client suite under ${runtime}: not observable there: ${excused.reason}`);
      expect(missing, `tests that passed under Node but not under ${runtime}`).toEqual([]);
      const skippedHere = [...expected].filter((name) => !got.has(name)).length;
      expect(report.numPassedTests).toBeGreaterThanOrEqual(expected.size - skippedHere);

      // Each test says where it ran (fixtures/client-suite-runtime.ts), from the runtime's global.
      const thread = pool === 'forks' ? 'main' : 'worker';
      // (A test that skipped itself never ran: no stamp to check.)
      const tests = report.testResults
        .flatMap((f) => f.assertionResults)
        .filter((t) => !unobservable(variant, t));
      const elsewhere = tests.filter(
        (t) => t.meta.runtime?.name !== runtime || t.meta.runtime.thread !== thread,
      );
      expect(
        elsewhere.map((t) => {
          const where = t.meta.runtime;
          return `${t.fullName}: ${where ? `${where.name} (${where.thread} thread)` : 'no stamp'}`;
        }),
        `tests not executed by ${runtime} on a ${thread} thread`,
      ).toEqual([]);
      const versions = new Set(tests.map((t) => t.meta.runtime!.version));
      console.log(
        `client suite under ${runtime} ${[...versions].join(', ')} (${pool}): ` +
          `${report.numPassedTests} tests ` +
          `(Node: ${expected.size})`,
      );
    });
  }
});
