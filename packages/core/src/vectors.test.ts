import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  evrmore,
  evrmoreTestnet,
  privateKeyToAddress,
  signMessage,
  verifyMessage,
} from './index.js';

const file = JSON.parse(
  readFileSync(
    new URL('../../../test/vectors/evrmore-signed-messages.json', import.meta.url),
    'utf8',
  ),
);
describe('shared vectors', () => {
  for (const v of file.vectors) {
    it(`${v.source_repo} ${v.address} ${v.message.slice(0, 30)} -> ${v.expected_valid}`, () => {
      const network = v.address.startsWith('E') ? evrmore : evrmoreTestnet;
      const r = verifyMessage({
        address: v.address,
        message: v.message,
        signature: v.signature,
        network,
      });
      expect(r.valid).toBe(v.expected_valid);
    });
  }
  it('signs like satori', () => {
    expect(privateKeyToAddress('42'.repeat(32))).toBe('EK4BfWWMPTW82ig57MyGk6JCJgT8D9JTr5');
    expect(
      signMessage({ privateKey: '42'.repeat(32), message: 'Login to Satori: challenge-12345' }),
    ).toBe(
      'IAK4Yn9ZzIxqjsEcYR0QQqdHKEd4ppRliPpw+q1RqaQNVO51GbchvDyFMjBfGMqC6Gp4Cv+1ogRXjWL+UVLH22o=',
    );
  });
});
