import { expect, it } from 'vitest';
import { validateKeyConfigs } from './keys.js';
const pk = '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----';
it('validateKeyConfigs refuses each bad key with its exact TypeError', () => {
  const cases: [unknown, string][] = [
    [[], 'createEvrmoreAuth: keys must be a non-empty array'],
    ['x', 'createEvrmoreAuth: keys must be a non-empty array'],
    [[5], 'createEvrmoreAuth: keys[0] must be an object'],
    [
      [{ kid: '', privateKey: pk }],
      'createEvrmoreAuth: keys[0].kid must be 1-128 printable ASCII characters',
    ],
    [
      [
        { kid: 'a', privateKey: pk },
        { kid: 'a', publicKey: pk },
      ],
      'createEvrmoreAuth: keys[1].kid "a" is used twice',
    ],
    [
      [{ kid: 'a', alg: 'HS256', secret: 'x'.repeat(40), privateKey: pk }],
      'createEvrmoreAuth: keys[0]: an HS256 key takes only a secret',
    ],
    [
      [{ kid: 'a', alg: 'HS256', secret: 5 }],
      'createEvrmoreAuth: keys[0].secret must be a string or Uint8Array',
    ],
    [
      [{ kid: 'a', secret: 'x', privateKey: pk }],
      'createEvrmoreAuth: keys[0].secret is only for HS256',
    ],
    [
      [{ kid: 'a', privateKey: 'nope' }],
      'createEvrmoreAuth: keys[0].privateKey must be a PEM string or a JWK object',
    ],
    [
      [{ kid: 'a', privateKey: { kty: 'OKP', crv: 'Ed25519', x: 'A' } }],
      'createEvrmoreAuth: keys[0].privateKey JWK has no private part "d"',
    ],
    [[{ kid: 'a' }], 'createEvrmoreAuth: keys[0] needs a privateKey or a publicKey'],
    [[{ kid: 'a', publicKey: pk }], 'createEvrmoreAuth: keys[0] signs and needs a privateKey'],
  ];
  for (const [k, m] of cases)
    expect(() => validateKeyConfigs(k), JSON.stringify(k)).toThrow(new TypeError(m));
  expect(() =>
    validateKeyConfigs([{ kid: 'h', alg: 'HS256', secret: 'x'.repeat(32) }]),
  ).not.toThrow();
  expect(() =>
    validateKeyConfigs([
      { kid: 'a', privateKey: pk },
      { kid: 'b', publicKey: pk },
    ]),
  ).not.toThrow();
});
