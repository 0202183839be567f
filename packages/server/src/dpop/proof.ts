// Verifying a DPoP proof JWT (RFC 9449 §4.3) with jose: the JWS under its embedded public key,
// then every claim the request pins down.
import { decodeProtectedHeader, jwtVerify } from 'jose';
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
  // The header is read first for its key; jose then verifies the JWS (typ, alg allow-list,
  // signature, iat) under that key, as EmbeddedJWK would, without importing it on every request.
  let header: Record<string, unknown>;
  try {
    header = decodeProtectedHeader(proof) as Record<string, unknown>;
  } catch {
    throw new ProofError('the proof is not a valid dpop+jwt');
  }
  const alg = header.alg;
  if (typeof alg !== 'string' || !expect.algorithms.includes(alg))
    throw new ProofError('the proof alg is not accepted');
  const key = await expect.keys.get(header.jwk, alg);
  if (key === null) throw new ProofError('the proof jwk is not a public key for its alg');
  let payload: Record<string, unknown>;
  try {
    ({ payload } = await jwtVerify(proof, key.key, {
      typ: 'dpop+jwt',
      algorithms: [alg],
      maxTokenAge: expect.maxAgeSeconds,
      clockTolerance: expect.clockToleranceSeconds,
      currentDate: new Date(expect.now),
      requiredClaims: ['jti', 'htm', 'htu', 'iat'],
    }));
  } catch (err) {
    throw new ProofError(proofFailure(err));
  }
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
  return { jkt: key.jkt, jti, nonce: payload.nonce };
}

/** A safe reason for jose's refusal (its messages are not sent). */
function proofFailure(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  switch (code) {
    case 'ERR_JOSE_ALG_NOT_ALLOWED':
      return 'the proof alg is not accepted';
    case 'ERR_JWT_EXPIRED':
      return 'the proof is too old';
    case 'ERR_JWT_CLAIM_VALIDATION_FAILED': {
      const claim = (err as { claim?: unknown }).claim;
      return claim === 'iat'
        ? 'the proof iat is outside the accepted window'
        : 'the proof claims are invalid';
    }
    case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED':
      return 'the proof signature does not verify';
    default:
      return 'the proof is not a valid dpop+jwt';
  }
}
