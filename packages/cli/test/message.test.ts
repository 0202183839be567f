import { buildSignInMessage } from '@evrmore-auth/core';
import { describe, expect, it } from 'vitest';
import { oneLineError, run } from './run.js';

const fields = {
  domain: 'example.com',
  address: 'EK4BfWWMPTW82ig57MyGk6JCJgT8D9JTr5',
  statement: 'Sign in to Example',
  uri: 'https://example.com/login',
  version: '1' as const,
  chainId: 'evrmore:mainnet',
  nonce: 'k2m9q8w7e6r5t4y3',
  issuedAt: '2026-12-04T10:00:00Z',
  expirationTime: '2026-12-04T10:05:00Z',
  resources: ['https://example.com/terms'],
};
const message = buildSignInMessage(fields);

describe('message parse', () => {
  it('prints the fields as JSON (stdin, with the trailing newline echo adds)', async () => {
    const r = await run(['message', 'parse'], { input: `${message}\n` });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual(fields);
  });

  it('--exact keeps the trailing newline, which the grammar refuses', async () => {
    const r = await run(['message', 'parse', '--exact'], { input: `${message}\n` });
    expect(r.code).toBe(2);
  });

  it('names the offending line, on one line, exit 2', async () => {
    const broken = message.replace('URI: ', 'URL: ');
    const r = await run(['message', 'parse', '-'], { input: broken });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(oneLineError(r)).toBe("evrmore-auth: line 6 (uri): expected 'URI: …'");
    const badNonce = await run(['message', 'parse'], {
      input: message.replace('Nonce: k2m9', 'Nonce: !!'),
    });
    expect(oneLineError(badNonce)).toMatch(/^evrmore-auth: line 9 \(nonce\): /);
  });
});
