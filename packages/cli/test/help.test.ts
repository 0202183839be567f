import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { oneLineError, run } from './run.js';

const COMMANDS = [
  ['keys', 'generate'],
  ['keys', 'public'],
  ['sign'],
  ['verify'],
  ['message', 'parse'],
  ['db', 'migrate'],
  ['db', 'purge'],
  ['api-key', 'create'],
  ['api-key', 'list'],
  ['api-key', 'revoke'],
  ['redis', 'check'],
];

describe('help, version and usage errors', () => {
  it('--help lists every command; --version prints the package version', async () => {
    const help = await run(['--help']);
    expect(help.code).toBe(0);
    for (const c of COMMANDS) expect(help.stdout).toContain(`  ${c.join(' ')} `);
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
    const version = await run(['--version']);
    expect(version.stdout).toBe(`${pkg.version}\n`);
  });

  it.each(COMMANDS.map((c) => [c.join(' '), c] as const))('%s --help', async (_, path) => {
    const r = await run([...path, '--help']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(new RegExp(`^Usage: evrmore-auth ${path.join(' ')}( |\\n)`));
    expect(r.stdout).toContain('--help');
  });

  it.each([['keys'], ['db'], ['api-key'], ['message'], ['redis']])(
    '%s --help lists its commands',
    async (group) => {
      const r = await run([group, '--help']);
      expect(r.code).toBe(0);
      for (const c of COMMANDS.filter((c) => c[0] === group))
        expect(r.stdout).toContain(c.join(' '));
    },
  );

  it('unknown commands and options: one line on stderr, exit 2', async () => {
    for (const args of [
      ['frobnicate'],
      ['keys', 'rotate'],
      ['keys', 'generate', '--colour'],
      ['sign', 'extra', '--wif', 'x'],
    ]) {
      const r = await run(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stdout).toBe('');
      expect(oneLineError(r)).toMatch(/see .*--help\)$/);
    }
    const none = await run([]);
    expect(none.code).toBe(2);
    expect(none.stdout).toMatch(/^Usage: evrmore-auth /);
  });
});
