// The API key format (issue 19): `evak_<id>_<secret>`, where `id` is 12 random bytes in lowercase
// hex (24 characters: the store's key, shown in lists) and `secret` is 32 random bytes (256 bits)
// in base64url without padding (43 characters). The fixed `evak_` prefix and the fixed lengths
// make a leaked key recognisable to secret scanners (PROTOCOL.md §13).
import { bytesToHex } from '@evrmore-auth/core';
import { randomToken, type RandomBytes } from '../crypto.js';

/** The prefix every API key starts with. */
export const API_KEY_PREFIX = 'evak_';

/**
 * The pattern of a whole API key, for leak scanning (GitHub secret scanning custom patterns,
 * gitleaks, trufflehog): `evak_` + 24 lowercase hex + `_` + 43 base64url characters.
 */
export const API_KEY_PATTERN = 'evak_[0-9a-f]{24}_[A-Za-z0-9_-]{43}';

const WHOLE = new RegExp(`^${API_KEY_PATTERN}$`);
/** An id as it appears in a route (`DELETE /api-keys/{id}`). */
export const API_KEY_ID_PATTERN = '[0-9a-f]{24}';

/** A new key: its id, its secret and the whole key text (shown once). */
export interface GeneratedApiKey {
  id: string;
  secret: string;
  key: string;
}

/** Generate a key from `randomBytes`. */
export function generateApiKey(randomBytes: RandomBytes): GeneratedApiKey {
  const raw = randomBytes(12);
  if (!(raw instanceof Uint8Array) || raw.length !== 12)
    throw new TypeError('randomBytes(12) must return a Uint8Array of 12 bytes');
  const id = bytesToHex(raw);
  const secret = randomToken(randomBytes, 32);
  return { id, secret, key: `${API_KEY_PREFIX}${id}_${secret}` };
}

/** The id and secret of a well-formed key, else `null`. */
export function parseApiKey(text: string): { id: string; secret: string } | null {
  if (text.length !== 73 || !WHOLE.test(text)) return null;
  return { id: text.slice(5, 29), secret: text.slice(30) };
}

/**
 * The key an `Authorization` header carries: `ApiKey evak_…`, or `Bearer evak_…` for clients that
 * only speak Bearer (an access token is a JWT and never starts with `evak_`); else `null`.
 */
export function apiKeyFromHeader(header: string): string | null {
  const m = /^(ApiKey|Bearer) +(\S+) *$/i.exec(header);
  if (!m) return null;
  const scheme = m[1]!.toLowerCase();
  const value = m[2]!;
  if (scheme === 'apikey') return value;
  return value.startsWith(API_KEY_PREFIX) ? value : null;
}
