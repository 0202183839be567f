// Refresh tokens: `{sessionId}.{256 random bits}`; the store keeps only their SHA-256.
import { randomToken, sha256Base64Url, type RandomBytes } from './crypto.js';

/** A new refresh token for `sessionId`. */
export function newRefreshToken(randomBytes: RandomBytes, sessionId: string): string {
  return `${sessionId}.${randomToken(randomBytes, 32)}`;
}

/** Hash of a refresh token as the store keeps it. */
export const hashRefreshToken = sha256Base64Url;

/** The session id a refresh token names, or `null` when it is not shaped like one of ours. */
export function refreshTokenSessionId(token: string | null): string | null {
  if (token === null) return null;
  const m = /^([A-Za-z0-9_-]{22})\.[A-Za-z0-9_-]{43}$/.exec(token);
  return m ? m[1]! : null;
}
