#!/usr/bin/env node
// Source maps of bundled third-party code (core's CJS build bundles @noble/*; tsup's CJS shims)
// name their sources by the build machine's path (../../../node_modules/.pnpm/…), which points
// outside the published package. This rewrites each such source to `bundled:<package>/<file>`
// (e.g. bundled:@noble/hashes/src/sha2.ts), keeping its embedded sourcesContent, so debuggers
// still show the code and the map names no file outside the package. Run after tsup.
//
//   node ../../scripts/relocate-bundled-sources.mjs dist [suffix]   suffix defaults to .map
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, posix, relative, resolve } from 'node:path';

const [dir = 'dist', suffix = '.map'] = process.argv.slice(2);
const packageRoot = process.cwd();

for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
  if (!entry.isFile() || !entry.name.endsWith(suffix)) continue;
  const file = join(entry.parentPath, entry.name);
  const map = JSON.parse(readFileSync(file, 'utf8'));
  let changed = false;
  map.sources = map.sources.map((source, i) => {
    if (/^[a-z][a-z0-9+.-]*:/i.test(source)) return source;
    const absolute = resolve(entry.parentPath, map.sourceRoot ?? '', source);
    if (!relative(packageRoot, absolute).startsWith('..')) return source;
    if (typeof map.sourcesContent?.[i] !== 'string')
      throw new Error(`${file}: ${source} lies outside the package and has no sourcesContent`);
    changed = true;
    const inModules = source.split('node_modules/').at(-1);
    return `bundled:${posix.normalize(inModules.replace(/^\.pnpm\/[^/]+\//, ''))}`;
  });
  if (changed) writeFileSync(file, JSON.stringify(map));
}
