// `pnpm bench`: runs every section (or those named on the command line), prints a table per
// section and writes results/latest.json. Add a section: one file exporting a BenchSection, one
// line in `sections` below.
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { authRouteSection } from './auth-route.js';
import { bundleSizeSection } from './bundle-size.js';
import { coldStartSection } from './cold-start.js';
import { dpopReplaySection, dpopSection } from './dpop.js';
import { eventLoopSection } from './event-loop.js';
import { memorySection } from './memory.js';
import { nextjsSection } from './nextjs.js';
import { runtimesSection } from './runtimes.js';
import type { BenchCell, BenchSection, BenchSectionResult } from './section.js';
import { signInHttpSection } from './signin-http.js';
import { verifySection } from './verify.js';
import { workerBundleSection } from './worker-bundle.js';

const sections: BenchSection[] = [
  verifySection,
  signInHttpSection,
  runtimesSection,
  eventLoopSection,
  authRouteSection,
  nextjsSection,
  dpopSection,
  dpopReplaySection,
  memorySection,
  coldStartSection,
  bundleSizeSection,
  workerBundleSection,
];

function format(cell: BenchCell): string {
  if (typeof cell === 'number') return cell.toLocaleString('en-US');
  return cell ?? '';
}

/** Print rows as a Markdown table. */
function printTable(rows: Record<string, BenchCell>[]): void {
  if (rows.length === 0) return;
  const columns = Object.keys(rows[0]!);
  const numeric = columns.map((c) => rows.every((r) => typeof r[c] === 'number'));
  console.log(`| ${columns.join(' | ')} |`);
  console.log(`|${numeric.map((n) => (n ? '---:' : '---')).join('|')}|`);
  for (const r of rows) console.log(`| ${columns.map((c) => format(r[c] ?? null)).join(' | ')} |`);
}

const wanted = process.argv.slice(2);
const unknown = wanted.filter((id) => !sections.some((s) => s.id === id));
if (unknown.length > 0) {
  console.error(
    `unknown section(s): ${unknown.join(', ')}; known: ${sections.map((s) => s.id).join(', ')}`,
  );
  process.exit(2);
}

const results: Record<
  string,
  (BenchSectionResult | { error: string }) & { title: string; seconds: number }
> = {};
let failed = 0;
for (const section of sections) {
  if (wanted.length > 0 && !wanted.includes(section.id)) continue;
  console.log(`\n## ${section.title}\n`);
  const started = process.hrtime.bigint();
  try {
    const result = await section.run();
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    results[section.id] = { title: section.title, ...result, seconds };
    printTable(result.rows);
    for (const note of result.notes ?? []) console.log(`\n${note}`);
    console.log(`\n(${seconds.toFixed(1)} s)`);
  } catch (error) {
    // One broken section must not hide the others' figures; the run still exits non-zero.
    failed++;
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const message = error instanceof Error ? error.message : String(error);
    results[section.id] = { title: section.title, error: message, seconds };
    console.error(`section ${section.id} failed: ${message}`);
  }
}

const out = new URL('../results/latest.json', import.meta.url);
mkdirSync(new URL('.', out), { recursive: true });
writeFileSync(
  out,
  `${JSON.stringify(
    {
      date: new Date().toISOString(),
      node: process.version,
      platform: `${os.platform()} ${os.arch()}`,
      cpus: `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'unknown'}`,
      sections: results,
    },
    null,
    2,
  )}\n`,
);
console.log(`\nwrote ${out.pathname}`);
if (failed > 0) process.exitCode = 1;
