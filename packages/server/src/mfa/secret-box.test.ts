import { describe, expect, it } from 'vitest';
import { createSecretBox, decodeEncryptionKeys, SecretBoxError } from './secret-box.js';

const bytes = (seed: number) =>
  Uint8Array.from({ length: 32 }, (_, i) => (i * 37 + seed * 11) & 255);
const b64 = (b: Uint8Array) => btoa(String.fromCharCode(...b));
const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');

describe('createSecretBox', () => {
  const secret = new TextEncoder().encode('JBSWY3DPEHPK3PXP-secret-bytes');

  it('round-trips, with a fresh IV each time and the key id in the output', async () => {
    const box = createSecretBox({ keys: [{ id: 'k1', key: bytes(1) }] });
    const a = await box.seal(secret, 'ctx');
    const b = await box.seal(secret, 'ctx');
    expect(a).not.toBe(b);
    expect(a).toMatch(/^v1\.k1\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]+$/);
    expect(box.keyIdOf(a)).toBe('k1');
    expect(await box.open(a, 'ctx')).toEqual(secret);
  });

  it('refuses another context, a tampered value, an unknown key id and garbage', async () => {
    const box = createSecretBox({ keys: [{ id: 'k1', key: bytes(1) }] });
    const sealed = await box.seal(secret, 'totp:Ealice');
    await expect(box.open(sealed, 'totp:Emallory')).rejects.toBeInstanceOf(SecretBoxError);
    const parts = sealed.split('.');
    const ct = parts[3]!;
    const flipped = (ct[0] === 'A' ? 'B' : 'A') + ct.slice(1);
    await expect(
      box.open([...parts.slice(0, 3), flipped].join('.'), 'totp:Ealice'),
    ).rejects.toThrow('does not authenticate');
    await expect(box.open(sealed.replace('.k1.', '.k9.'), 'totp:Ealice')).rejects.toThrow(
      'not configured',
    );
    await expect(box.open('plain', 'x')).rejects.toThrow('not a sealed value');
    await expect(box.open('v1.k1.AAAA.AAAA', 'x')).rejects.toThrow('malformed');
  });

  it('rotation: the first key seals, every key opens', async () => {
    const old = createSecretBox({ keys: [{ id: 'old', key: b64(bytes(1)) }] });
    const sealedOld = await old.seal(secret, 'c');
    const rotated = createSecretBox({
      keys: [
        { id: 'new', key: hex(bytes(2)) },
        { id: 'old', key: b64(bytes(1)) },
      ],
    });
    expect(rotated.currentKeyId).toBe('new');
    expect(await rotated.open(sealedOld, 'c')).toEqual(secret);
    const sealedNew = await rotated.seal(secret, 'c');
    expect(rotated.keyIdOf(sealedNew)).toBe('new');
    await expect(old.open(sealedNew, 'c')).rejects.toBeInstanceOf(SecretBoxError);
  });

  it('the same key in base64, base64url, hex and bytes is one key', async () => {
    const k = bytes(3);
    const forms = [
      k,
      b64(k),
      b64(k).replace(/\+/g, '-').replace(/\//g, '_').replace(/=$/, ''),
      hex(k),
    ];
    const sealed = await createSecretBox({ keys: [{ id: 'a', key: k }] }).seal(secret, 'c');
    for (const key of forms)
      expect(await createSecretBox({ keys: [{ id: 'a', key }] }).open(sealed, 'c')).toEqual(secret);
  });
});

describe('decodeEncryptionKeys', () => {
  it.each([
    [undefined, 'K must be a non-empty array'],
    [[], 'K must be a non-empty array'],
    [[null], 'K[0] must be an object'],
    [[{ id: '', key: bytes(1) }], 'K[0].id must be 1-64 characters'],
    [[{ id: 'a', key: new Uint8Array(16) }], 'K[0].key must be 32 bytes'],
    [[{ id: 'a', key: 'a passphrase that is not a key' }], 'K[0].key must be 32 bytes'],
    [[{ id: 'a', key: 'ab'.repeat(32) }], 'K[0].key looks weak'],
    [[{ id: 'a', key: Uint8Array.from({ length: 32 }, (_, i) => i % 8) }], 'K[0].key looks weak'],
    [
      [
        { id: 'a', key: bytes(1) },
        { id: 'a', key: bytes(2) },
      ],
      'K[1].id "a" is used twice',
    ],
  ])('%j → TypeError', (keys, message) => {
    expect(() => decodeEncryptionKeys(keys, 'K')).toThrow(TypeError);
    expect(() => decodeEncryptionKeys(keys, 'K')).toThrow(message);
  });
});
