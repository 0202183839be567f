import { describe, expect, it } from 'vitest';
import { encodeWif, privateKeyToAddress, toPrivateKeyBytes } from './keys.js';
import { evrmore, evrmoreTestnet } from './networks.js';
import { signMessage } from './sign.js';
import { verifyMessage } from './verify.js';

const KEY = '42'.repeat(32);
const SATORI =
  'IAK4Yn9ZzIxqjsEcYR0QQqdHKEd4ppRliPpw+q1RqaQNVO51GbchvDyFMjBfGMqC6Gp4Cv+1ogRXjWL+UVLH22o=';

describe('signMessage', () => {
  it('signs the shared 0x42 vector byte-identically to the Satori wallet, from hex, bytes or WIF', () => {
    const message = 'Login to Satori: challenge-12345';
    expect(signMessage({ privateKey: KEY, message })).toBe(SATORI);
    expect(signMessage({ privateKey: toPrivateKeyBytes(KEY), message })).toBe(SATORI);
    const wif = encodeWif({ privateKey: toPrivateKeyBytes(KEY), compressed: true }, evrmore);
    expect(signMessage({ wif, message })).toBe(SATORI);
  });

  it('is deterministic (RFC 6979) and low-S', () => {
    const a = signMessage({ privateKey: KEY, message: 'm' });
    expect(signMessage({ privateKey: KEY, message: 'm' })).toBe(a);
    const bytes = Uint8Array.from(atob(a), (c) => c.charCodeAt(0));
    expect(bytes[33]! < 0x80).toBe(true); // s ≤ n/2 starts below 0x7f…
  });

  it('takes the key form from the WIF, and signs testnet messages that verify on testnet', () => {
    const wif = encodeWif(
      { privateKey: toPrivateKeyBytes(KEY), compressed: false },
      evrmoreTestnet,
    );
    const signature = signMessage({ wif, message: 'hello', network: evrmoreTestnet });
    const address = privateKeyToAddress(KEY, { network: evrmoreTestnet, compressed: false });
    expect(
      verifyMessage({ address, message: 'hello', signature, network: evrmoreTestnet }),
    ).toMatchObject({ valid: true, compressed: false });
  });

  it('throws TypeError unless exactly one of privateKey and wif is given', () => {
    expect(() => signMessage({ message: 'm' })).toThrow(
      new TypeError('signMessage: pass exactly one of privateKey and wif'),
    );
    expect(() => signMessage({ message: 'm', privateKey: KEY, wif: 'x' })).toThrow(TypeError);
    expect(() => signMessage(null as never)).toThrow(TypeError);
  });
});
