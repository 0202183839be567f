import { Secret, TOTP, URI } from 'otpauth';
import { describe, expect, it } from 'vitest';
import {
  generateTotpCode,
  generateTotpSecret,
  matchTotpCode,
  totpSecretBase32,
  totpStep,
  totpUri,
} from './totp.js';

// RFC 6238 appendix B, SHA-1 key "12345678901234567890" (8-digit vectors; we use the last 6).
const RFC_SECRET = new TextEncoder().encode('12345678901234567890');

describe('totp', () => {
  it('matches the RFC 6238 vectors (6 digits)', () => {
    expect(generateTotpCode(RFC_SECRET, 59_000)).toBe('287082');
    expect(generateTotpCode(RFC_SECRET, 1_111_111_109_000)).toBe('081804');
    expect(generateTotpCode(RFC_SECRET, 1_234_567_890_000)).toBe('005924');
  });

  it('matchTotpCode returns the step of the code within ±window, else null', () => {
    const t = 1_234_567_890_000;
    const step = totpStep(t);
    expect(
      matchTotpCode({
        secret: RFC_SECRET,
        code: generateTotpCode(RFC_SECRET, t),
        timestamp: t,
        window: 1,
      }),
    ).toBe(step);
    expect(
      matchTotpCode({
        secret: RFC_SECRET,
        code: generateTotpCode(RFC_SECRET, t - 30_000),
        timestamp: t,
        window: 1,
      }),
    ).toBe(step - 1);
    expect(
      matchTotpCode({
        secret: RFC_SECRET,
        code: generateTotpCode(RFC_SECRET, t + 30_000),
        timestamp: t,
        window: 1,
      }),
    ).toBe(step + 1);
    expect(
      matchTotpCode({
        secret: RFC_SECRET,
        code: generateTotpCode(RFC_SECRET, t - 60_000),
        timestamp: t,
        window: 1,
      }),
    ).toBeNull();
    expect(
      matchTotpCode({
        secret: RFC_SECRET,
        code: generateTotpCode(RFC_SECRET, t - 30_000),
        timestamp: t,
        window: 0,
      }),
    ).toBeNull();
    for (const code of ['', '12345', '1234567', 'abcdef', ' 12345'])
      expect(matchTotpCode({ secret: RFC_SECRET, code, timestamp: t, window: 1 })).toBeNull();
  });

  it('generates 20-byte secrets from the injected source; the URI round-trips through otpauth', () => {
    const secret = generateTotpSecret((n) => Uint8Array.from({ length: n }, (_, i) => i));
    expect(secret).toEqual(Uint8Array.from({ length: 20 }, (_, i) => i));
    expect(() => generateTotpSecret(() => new Uint8Array(3))).toThrow(TypeError);
    const uri = totpUri({ secret, issuer: 'Example', label: 'EaddressX' });
    const parsed = URI.parse(uri);
    expect(parsed).toBeInstanceOf(TOTP);
    expect(parsed.issuer).toBe('Example');
    expect(parsed.label).toBe('EaddressX');
    expect(parsed.generate({ timestamp: 90_000 })).toBe(generateTotpCode(secret, 90_000));
    expect(uri).toContain('otpauth://totp/Example:EaddressX?');
    expect(uri).toContain(`secret=${totpSecretBase32(secret)}`);
    expect(Secret.fromBase32(totpSecretBase32(secret)).bytes).toEqual(secret);
  });
});
