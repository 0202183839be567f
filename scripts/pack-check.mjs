#!/usr/bin/env node
// What the registry would get: `pnpm pack` each publishable package (packages/*, not private) and
// check the tarball, then install the tarballs into a scratch project outside the workspace and
// load every entry point the way a user does, under ESM (import()) and CJS (require()).
//
//   node scripts/pack-check.mjs     after `pnpm build`; exits 1 naming each problem
//
// Tarball rules: no tests or test-only code (*.test.*, test/, testing/, __tests__/, vitest
// configs), every source map's sources inside the package and in the tarball, a .d.ts (import) and
// .d.cts (require) beside every `exports` entry (bundled third-party sources are allowed as
// `bundled:` names with their embedded sourcesContent), every bin present, LICENSE and README.md present.
// The scratch install resolves @evrmore-auth/* (also the packages' own dependencies on each other)
// to the packed tarballs through pnpm overrides, so nothing comes from the registry's copies.
import { execFileSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, posix, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const started = Date.now();
const problems = [];
const fail = (pkg, message) => problems.push(`${pkg}: ${message}`);

// The pnpm running this script (pnpm sets npm_execpath), else the pinned one through npx.
const execPath = process.env.npm_execpath ?? '';
const pnpm = (args, options = {}) =>
  /pnpm/.test(execPath)
    ? execFileSync(process.execPath, [execPath, ...args], { encoding: 'utf8', ...options })
    : execFileSync('npx', ['-y', 'pnpm@10.34.9', ...args], { encoding: 'utf8', ...options });

const work = mkdtempSync(join(tmpdir(), 'evrmore-auth-pack-'));
const tarballs = join(work, 'tarballs');
mkdirSync(tarballs);

/** The `exports` subpaths a user imports, with the files each condition points to. */
function exportEntries(pkg) {
  if (!pkg.exports) return pkg.main ? [{ subpath: '.', import: null, require: null }] : [];
  return Object.entries(pkg.exports)
    .filter(([subpath]) => subpath !== './package.json')
    .map(([subpath, target]) => ({
      subpath,
      import: typeof target === 'object' ? target.import : null,
      require: typeof target === 'object' ? target.require : null,
    }));
}

const packages = [];
for (const dir of readdirSync(join(root, 'packages')).sort()) {
  const folder = join(root, 'packages', dir);
  if (!existsSync(join(folder, 'package.json'))) continue;
  const pkg = JSON.parse(readFileSync(join(folder, 'package.json'), 'utf8'));
  if (pkg.private) continue;
  const out = pnpm(['pack', '--pack-destination', tarballs], { cwd: folder });
  const tarball = out.trim().split('\n').at(-1).trim();
  if (!tarball.endsWith('.tgz') || !existsSync(tarball)) {
    fail(pkg.name, `pnpm pack printed no tarball path:\n${out}`);
    continue;
  }
  packages.push({ name: pkg.name, dir, pkg, tarball });
}

for (const { name, pkg, tarball, dir } of packages) {
  const files = new Set(
    execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8' })
      .split('\n')
      .filter(Boolean)
      .map((f) => f.replace(/^package\//, '')),
  );
  const unpacked = join(work, 'unpacked', dir);
  mkdirSync(unpacked, { recursive: true });
  execFileSync('tar', ['-xzf', tarball, '-C', unpacked, '--strip-components=1']);

  for (const required of ['LICENSE', 'README.md', 'package.json'])
    if (!files.has(required)) fail(name, `${required} is missing from the tarball`);

  for (const file of files) {
    if (/\.test\.[cm]?[jt]sx?$|\.spec\.[cm]?[jt]sx?$/.test(file))
      fail(name, `test file packed: ${file}`);
    if (/(^|\/)(test|tests|testing|__tests__|__mocks__)\//.test(file))
      fail(name, `test-only code packed: ${file}`);
    if (/(^|\/)(vitest|vite|tsup)\.config\.[cm]?[jt]s$|(^|\/)tsconfig[^/]*\.json$/.test(file))
      fail(name, `build/test config packed: ${file}`);
  }

  // Source maps: each source must resolve inside the package, to a file that is in the tarball.
  for (const file of files) {
    if (!file.endsWith('.map')) continue;
    const map = JSON.parse(readFileSync(join(unpacked, file), 'utf8'));
    const base = posix.join(posix.dirname(file), map.sourceRoot ?? '');
    for (const [i, source] of (map.sources ?? []).entries()) {
      // Bundled third-party code (scripts/relocate-bundled-sources.mjs): a name, with its text inside.
      if (source.startsWith('bundled:') && typeof map.sourcesContent?.[i] === 'string') continue;
      const target = posix.normalize(posix.join(base, source));
      if (target.startsWith('..') || posix.isAbsolute(source))
        fail(name, `${file}: source ${source} points outside the package`);
      else if (!files.has(target)) fail(name, `${file}: source ${target} is not in the tarball`);
    }
  }

  // Types for every export, in the format of each condition.
  const has = (rel) => rel && files.has(posix.normalize(rel));
  for (const entry of exportEntries(pkg)) {
    for (const [condition, ext] of [
      ['import', /\.d\.ts$/],
      ['require', /\.d\.cts$/],
    ]) {
      const target = entry[condition];
      if (!target) {
        if (pkg.exports) fail(name, `exports["${entry.subpath}"] has no ${condition} condition`);
        continue;
      }
      if (!has(target.default))
        fail(
          name,
          `exports["${entry.subpath}"].${condition}.default (${target.default}) is not in the tarball`,
        );
      if (!target.types || !ext.test(target.types))
        fail(
          name,
          `exports["${entry.subpath}"].${condition} has no ${ext.source.replaceAll('\\', '')} types`,
        );
      else if (!has(target.types))
        fail(
          name,
          `exports["${entry.subpath}"].${condition}.types (${target.types}) is not in the tarball`,
        );
    }
  }
  const bins = typeof pkg.bin === 'string' ? { [pkg.name]: pkg.bin } : (pkg.bin ?? {});
  for (const [bin, path] of Object.entries(bins))
    if (!has(path)) fail(name, `bin ${bin} (${path}) is not in the tarball`);
}

if (problems.length === 0) {
  // A scratch project outside the workspace: the tarballs, plus the optional peers an entry point
  // needs to load (at the versions the workspace uses, so the store already has them).
  const app = join(work, 'app');
  mkdirSync(app);
  const installedVersion = (peer) => {
    for (const { dir } of packages) {
      const p = join(root, 'packages', dir, 'node_modules', peer, 'package.json');
      if (existsSync(p)) return JSON.parse(readFileSync(p, 'utf8')).version;
    }
    return null;
  };
  const dependencies = {};
  const overrides = {};
  for (const { name, tarball } of packages) {
    dependencies[name] = `file:${tarball}`;
    overrides[name] = `file:${tarball}`;
  }
  for (const { pkg } of packages)
    for (const peer of Object.keys(pkg.peerDependencies ?? {})) {
      const version = installedVersion(peer);
      if (version && !dependencies[peer]) dependencies[peer] = version;
    }
  writeFileSync(
    join(app, 'package.json'),
    JSON.stringify(
      { name: 'pack-check-app', private: true, dependencies, pnpm: { overrides } },
      null,
      2,
    ),
  );
  writeFileSync(join(app, 'pnpm-workspace.yaml'), 'packages: []\nonlyBuiltDependencies: []\n');
  try {
    pnpm(['install', '--prefer-offline', '--ignore-scripts', '--config.update-notifier=false'], {
      cwd: app,
      stdio: 'pipe',
    });
  } catch (e) {
    fail('scratch install', `${e.stderr || ''}${e.stdout || ''}`.trim());
  }

  if (problems.length === 0) {
    const specifiers = packages.flatMap(({ name, pkg }) =>
      exportEntries(pkg).map(({ subpath }) =>
        subpath === '.' ? name : `${name}/${subpath.slice(2)}`,
      ),
    );
    // Each entry point loaded in its own process would cost a second per entry: one script per
    // module system, every failure reported, exit 1 if any.
    const esm = `const failed = [];
for (const s of ${JSON.stringify(specifiers)}) {
  try { const m = await import(s); if (Object.keys(m).length === 0) failed.push(s + ': no exports'); }
  catch (e) { failed.push(s + ': ' + e.message); }
}
if (failed.length) { console.error(failed.join('\\n')); process.exit(1); }\n`;
    const cjs = `const failed = [];
for (const s of ${JSON.stringify(specifiers)}) {
  try { const m = require(s); if (Object.keys(m).length === 0) failed.push(s + ': no exports'); }
  catch (e) { failed.push(s + ': ' + e.message); }
}
if (failed.length) { console.error(failed.join('\\n')); process.exit(1); }\n`;
    writeFileSync(join(app, 'esm.mjs'), esm);
    writeFileSync(join(app, 'cjs.cjs'), cjs);
    for (const [label, file] of [
      ['ESM import()', 'esm.mjs'],
      ['CJS require()', 'cjs.cjs'],
    ]) {
      try {
        execFileSync(process.execPath, [file], { cwd: app, encoding: 'utf8', stdio: 'pipe' });
      } catch (e) {
        fail(label, `entry points that do not load from the packed tarballs:\n${e.stderr}`);
      }
    }
    // The installed copies must be the tarballs, not registry versions.
    for (const { name, pkg } of packages) {
      const installed = join(app, 'node_modules', ...name.split('/'), 'package.json');
      if (!existsSync(installed)) fail(name, 'not installed in the scratch project');
      else if (JSON.parse(readFileSync(installed, 'utf8')).version !== pkg.version)
        fail(name, 'the scratch project did not get the packed version');
    }
    if (problems.length === 0)
      console.log(
        `pack-check: ${packages.map((p) => p.name).join(', ')}: tarballs clean; ` +
          `${specifiers.length} entry points load under ESM and CJS (${((Date.now() - started) / 1000).toFixed(1)} s)`,
      );
  }
}

rmSync(work, { recursive: true, force: true });
if (problems.length) {
  console.error(`pack-check: ${problems.length} problem(s):\n- ${problems.join('\n- ')}`);
  process.exit(1);
}
