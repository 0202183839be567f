// Stateless DPoP nonces (RFC 9449 §8): HMAC-SHA256 of a 5-minute time step under a secret every
// instance shares, so any instance accepts any instance's nonce and nothing is stored.
import { bytesToBase64Url } from '@evrmore-auth/core';
import { timingSafeEqualString } from '../crypto.js';

/** Length of a nonce's time step, seconds. A nonce is accepted in its step and the next. */
export const NONCE_STEP_SECONDS = 300;

/** Issues and checks this deployment's nonces. */
export interface DPoPNonces {
  /** The nonce of the current time step. */
  current(now: number): Promise<string>;
  /** Whether `nonce` is the current or the previous step's nonce. */
  check(nonce: unknown, now: number): Promise<boolean>;
}

/** The nonces of `secret` (its UTF-8 bytes are the HMAC key). */
export function createDPoPNonces(secret: string): DPoPNonces {
  let key: Promise<CryptoKey> | undefined;
  // The last two steps' nonces: each is one HMAC per instance per step.
  const made = new Map<number, Promise<string>>();
  const nonceOf = (step: number): Promise<string> => {
    let nonce = made.get(step);
    if (nonce === undefined) {
      key ??= crypto.subtle.importKey(
        'raw',
        new TextEncoder().encode(secret),
        { name: 'HMAC', hash: 'SHA-256' },
        false,
        ['sign'],
      );
      nonce = key.then(async (k) => {
        const mac = await crypto.subtle.sign(
          'HMAC',
          k,
          new TextEncoder().encode(`evrmore-auth dpop-nonce ${step}`),
        );
        return `${step.toString(36)}.${bytesToBase64Url(new Uint8Array(mac))}`;
      });
      for (const old of made.keys()) if (old < step - 1) made.delete(old);
      made.set(step, nonce);
    }
    return nonce;
  };
  const stepOf = (now: number): number => Math.floor(now / 1000 / NONCE_STEP_SECONDS);
  return {
    current: (now) => nonceOf(stepOf(now)),
    async check(nonce, now) {
      if (typeof nonce !== 'string' || nonce.length > 64) return false;
      const step = stepOf(now);
      const claimed = Number.parseInt(nonce.slice(0, nonce.indexOf('.')), 36);
      // Only the two steps a nonce may be from are ever computed (a stranger's nonce names
      // another step: refused without an HMAC, and nothing is remembered for it).
      if (claimed !== step && claimed !== step - 1) return false;
      return timingSafeEqualString(nonce, await nonceOf(claimed));
    },
  };
}
