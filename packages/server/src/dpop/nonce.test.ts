import { describe, expect, it } from 'vitest';
import { createDPoPNonces, NONCE_STEP_SECONDS } from './nonce.js';

const STEP = NONCE_STEP_SECONDS * 1000;
const T = Date.parse('2026-01-01T00:00:00.000Z');

describe('stateless DPoP nonces', () => {
  it("one secret's nonces are accepted by every instance in their step and the next, then stale", async () => {
    const a = createDPoPNonces('a'.repeat(32));
    const b = createDPoPNonces('a'.repeat(32));
    const nonce = await a.current(T);
    expect(await a.current(T + STEP - 1)).toBe(nonce);
    expect(await b.check(nonce, T)).toBe(true);
    expect(await b.check(nonce, T + STEP)).toBe(true);
    expect(await b.check(nonce, T + 2 * STEP)).toBe(false);
    expect(await a.current(T + STEP)).not.toBe(nonce);
  });

  it('refuses another secret, a forged MAC, other steps and non-strings', async () => {
    const a = createDPoPNonces('a'.repeat(32));
    const other = createDPoPNonces('b'.repeat(32));
    const nonce = await a.current(T);
    expect(await other.check(nonce, T)).toBe(false);
    const [step] = nonce.split('.');
    expect(await a.check(`${step}.${'A'.repeat(43)}`, T)).toBe(false);
    expect(await a.check(`zzzz.${nonce.split('.')[1]}`, T)).toBe(false);
    for (const bad of [undefined, null, 42, '', 'x'.repeat(100)])
      expect(await a.check(bad, T)).toBe(false);
  });
});
