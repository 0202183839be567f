#!/usr/bin/env node
// Public-API reports: one api-extractor report per package entry point (every `exports` subpath
// with types), committed under packages/<name>/api/. A change to the public surface is a visible
// diff in review.
//
//   node scripts/api-report.mjs          rewrite the reports from the built .d.ts (after `pnpm build`)
//   node scripts/api-report.mjs --check  CI: fail, naming the entry point, when a report is stale
//
// api-extractor takes one entry point per run (microsoft/rushstack#1596), so each subpath is run
// on its own with a config built here rather than one api-extractor.json per subpath.
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Extractor, ExtractorConfig } from '@microsoft/api-extractor';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const check = process.argv.includes('--check');

/** `"./express"` → `"express"`, `"."` → `"index"`, `"./backends/native"` → `"backends-native"`. */
const reportName = (subpath) =>
  subpath === '.' ? 'index' : subpath.replace(/^\.\//, '').replaceAll('/', '-');

let stale = 0;
for (const dir of readdirSync(join(root, 'packages')).sort()) {
  const packageFolder = join(root, 'packages', dir);
  const pkgPath = join(packageFolder, 'package.json');
  if (!existsSync(pkgPath)) continue;
  const pkg = JSON.parse(readFileSync(pkgPath, 'utf8'));
  const reportFolder = join(packageFolder, 'api');
  for (const [subpath, target] of Object.entries(pkg.exports ?? {})) {
    const types = target?.import?.types ?? target?.types;
    if (typeof types !== 'string') continue;
    const entry = join(packageFolder, types);
    if (!existsSync(entry)) {
      console.error(`api-report: ${relative(root, entry)} is missing: run \`pnpm build\` first`);
      process.exit(1);
    }
    const name = reportName(subpath);
    mkdirSync(reportFolder, { recursive: true });
    const config = ExtractorConfig.prepare({
      configObjectFullPath: join(packageFolder, 'api-extractor.json'), // virtual: never read
      packageJsonFullPath: pkgPath,
      configObject: {
        projectFolder: packageFolder,
        mainEntryPointFilePath: entry,
        compiler: { tsconfigFilePath: join(packageFolder, 'tsconfig.json') },
        apiReport: {
          enabled: true,
          reportFileName: `${name}.api.md`,
          reportFolder,
          reportTempFolder: join(root, 'node_modules', '.cache', 'api-report', dir),
        },
        docModel: { enabled: false },
        dtsRollup: { enabled: false },
        tsdocMetadata: { enabled: false },
        newlineKind: 'lf',
        messages: {
          compilerMessageReporting: { default: { logLevel: 'warning' } },
          extractorMessageReporting: {
            // Findings go into the report (a reviewer sees them in the diff), not onto the console.
            default: { logLevel: 'none', addToApiReportFile: true },
            // Documentation coverage is TypeDoc's job (warnings as errors there).
            'ae-undocumented': { logLevel: 'none' },
            // Release tags (@public/@beta) are not how these packages mark their surface: the
            // exports map is.
            'ae-missing-release-tag': { logLevel: 'none' },
          },
          tsdocMessageReporting: { default: { logLevel: 'none' } },
        },
      },
    });
    const result = Extractor.invoke(config, {
      localBuild: !check,
      showVerboseMessages: false,
      messageCallback: (message) => {
        // api-extractor's own notes (compiler version, report created/changed/copied) are
        // replaced by the one line per entry point below.
        if (message.messageId?.startsWith('console-')) message.handled = true;
      },
    });
    const label = `${pkg.name}${subpath === '.' ? '' : subpath.slice(1)}`;
    if (result.apiReportChanged) {
      stale++;
      console.log(
        check
          ? `api-report: the public API of ${label} changed; run \`pnpm api:update\` and commit packages/${dir}/api/${name}.api.md`
          : `api-report: updated packages/${dir}/api/${name}.api.md`,
      );
    }
    if (!result.succeeded && !result.apiReportChanged) {
      console.error(`api-report: api-extractor failed on ${label}`);
      process.exit(1);
    }
  }
}
if (check && stale > 0) process.exit(1);
if (!check || stale === 0) console.log('api-report: public-API reports are up to date');
