// Verifying a DPoP proof JWT (RFC 9449 §4.3): the JWS under its embedded public key (jose imports
// the key; see proof-keys.ts for the signature check), then the header and every claim the
// request pins down. jose decodes the parts (`decodeProtectedHeader`, `decodeJwt`).
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { sha256Base64Url, sha256Base64UrlSync, timingSafeEqualString } from '../crypto.js';
import type { ProofKeys } from './proof-keys.js';
import { normaliseHtu } from './htu.js';

/** A proof that checked out: its key's thumbprint and its `jti` (for the replay check). */
export interface VerifiedProof {
  /** RFC 7638 SHA-256 thumbprint of the proof's public key (base64url). */
  jkt: string;
  /** The proof's unique id. */
  jti: string;
}

/** What a proof must match. */
export interface ProofExpectations {
  /** The request's method (`htm`). */
  method: string;
  /** The normalised request URL (`htu`), from `expectedHtu`. */
  htu: string;
  /** Accepted `alg` values (asymmetric only). */
  algorithms: string[];
  /** Oldest accepted `iat`, seconds, before the tolerance. */
  maxAgeSeconds: number;
  clockToleranceSeconds: number;
  /** Epoch ms. */
  now: number;
  /** The access token, at a protected resource: `ath` must be its SHA-256. */
  accessToken?: string | undefined;
  /** Where the proof's `jwk` is imported (once per key). */
  keys: ProofKeys;
}

const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

/** A proof refusal (`dpop_proof_invalid`); the caller re-raises it for its endpoint. */
export class ProofError extends Error {
  constructor(readonly reason: string) {
    super(reason);
  }
}

/**
 * Verify `proof` (the `DPoP` header's value): a compact JWS with `typ: dpop+jwt`, an allowed
 * `alg`, a public `jwk` header whose key verifies it, and claims `jti`, `htm`, `htu`, `iat`
 * (and `ath` when an access token is given) matching the request. The nonce and the replay check
 * are the caller's. Throws {@link ProofError} with a short reason (safe to show).
 */
export async function verifyProof(
  proof: string,
  expect: ProofExpectations,
): Promise<VerifiedProof & { nonce: unknown }> {
  // One header value: a repeated DPoP header arrives joined with ", " and fails here.
  if (proof.length > 4096 || !COMPACT_JWS.test(proof)) throw new ProofError('malformed proof');
  // The cheap checks first (header, claims), the signature last: a malformed or misdirected proof
  // costs no signature check. The key is imported once per key (proof-keys.ts), not per request.
  let header: Record<string, unknown>;
  try {
    header = decodeProtectedHeader(proof) as Record<string, unknown>;
  } catch {
    throw new ProofError('the proof is not a valid dpop+jwt');
  }
  const alg = header.alg;
  if (typeof alg !== 'string' || !expect.algorithms.includes(alg))
    throw new ProofError('the proof alg is not accepted');
  const typ = typeof header.typ === 'string' ? header.typ.toLowerCase() : null;
  // A media type: case-insensitive, `application/` optional (RFC 7515 §4.1.9).
  if (typ !== 'dpop+jwt' && typ !== 'application/dpop+jwt')
    throw new ProofError('the proof is not a valid dpop+jwt');
  // No JWS extension is understood here, so none may be critical (RFC 7515 §4.1.11).
  if (header.crit !== undefined) throw new ProofError('the proof is not a valid dpop+jwt');
  let payload: Record<string, unknown>;
  try {
    payload = decodeJwt(proof);
  } catch {
    throw new ProofError('the proof is not a valid dpop+jwt');
  }
  checkTimes(payload, expect);
  const { jti, htm, htu, ath } = payload;
  if (typeof jti !== 'string' || jti.length < 8 || jti.length > 128)
    throw new ProofError('the proof jti must be a string of 8 to 128 characters');
  if (htm !== expect.method) throw new ProofError('the proof is for another HTTP method');
  if (typeof htu !== 'string' || normaliseHtu(htu) !== expect.htu)
    throw new ProofError('the proof is for another URL');
  if (expect.accessToken !== undefined) {
    const hash =
      sha256Base64UrlSync(expect.accessToken) ?? (await sha256Base64Url(expect.accessToken));
    if (typeof ath !== 'string' || !timingSafeEqualString(ath, hash))
      throw new ProofError('the proof ath does not match the access token');
  }
  const key = await expect.keys.get(header.jwk, alg);
  if (key === null) throw new ProofError('the proof jwk is not a public key for its alg');
  if (!(await key.verifies(proof))) throw new ProofError('the proof signature does not verify');
  return { jkt: key.jkt, jti, nonce: payload.nonce };
}

/**
 * `iat` within the window: at most `maxAgeSeconds` old and not in the future, each with the clock
 * tolerance; an `exp` or `nbf` the proof carries (RFC 9449 defines none) must hold too.
 */
function checkTimes(payload: Record<string, unknown>, expect: ProofExpectations): void {
  const { iat, exp, nbf } = payload;
  const now = Math.floor(expect.now / 1000);
  const tolerance = expect.clockToleranceSeconds;
  if (typeof iat !== 'number' || !Number.isFinite(iat))
    throw new ProofError('the proof claims are invalid');
  if (iat > now + tolerance) throw new ProofError('the proof iat is outside the accepted window');
  if (now - iat > expect.maxAgeSeconds + tolerance) throw new ProofError('the proof is too old');
  if (exp !== undefined && (typeof exp !== 'number' || exp <= now - tolerance))
    throw new ProofError('the proof is too old');
  if (nbf !== undefined && (typeof nbf !== 'number' || nbf > now + tolerance))
    throw new ProofError('the proof iat is outside the accepted window');
}
