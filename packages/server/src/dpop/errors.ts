// DPoP refusals: the protocol error plus what its answer carries (a fresh nonce, the DPoP scheme
// in WWW-Authenticate at protected resources).
import { ERROR_TITLES, EvrmoreAuthError, type ErrorCode } from '@evrmore-auth/core';

/**
 * An `EvrmoreAuthError` from a DPoP check. At a protected resource (`resource: true`) its answer
 * uses the `DPoP` scheme in `WWW-Authenticate` (RFC 9449 §7.1) and `dpop_proof_invalid` /
 * `use_dpop_nonce` are 401; at a token endpoint they are 400. `nonce` goes out as `DPoP-Nonce`.
 */
export class DPoPError extends EvrmoreAuthError {
  override readonly name = 'DPoPError';
  /** The `DPoP-Nonce` to answer with, when nonces are on. */
  readonly nonce: string | undefined;
  /** Whether the refusal is a protected resource's (not a token endpoint's). */
  readonly resource: boolean;
  /** Whether the proof was refused as already used (a replay: `dpop_proof_invalid`). */
  readonly replayed: boolean;
  constructor(
    code: ErrorCode,
    options: {
      resource: boolean;
      detail?: string;
      nonce?: string | undefined;
      cause?: unknown;
      replayed?: boolean;
    },
  ) {
    const status =
      options.resource && (code === 'dpop_proof_invalid' || code === 'use_dpop_nonce')
        ? 401
        : undefined;
    super(code, {
      title: ERROR_TITLES[code],
      ...(options.detail === undefined ? {} : { detail: options.detail }),
      ...(options.cause === undefined ? {} : { cause: options.cause }),
      ...(status === undefined ? {} : { status }),
    });
    this.nonce = options.nonce;
    this.resource = options.resource;
    this.replayed = options.replayed === true;
  }
}

/** RFC 9449 §7.1 / RFC 6750 §3.1 error of each code a DPoP-protected resource answers. */
const DPOP_ERRORS: Partial<Record<ErrorCode, string | null>> = {
  token_missing: null,
  token_invalid: 'invalid_token',
  token_expired: 'invalid_token',
  token_revoked: 'invalid_token',
  fingerprint_mismatch: 'invalid_token',
  dpop_key_mismatch: 'invalid_token',
  dpop_proof_invalid: 'invalid_dpop_proof',
  use_dpop_nonce: 'use_dpop_nonce',
  insufficient_scope: 'insufficient_scope',
  invalid_request: 'invalid_request',
};

/**
 * The `WWW-Authenticate` value of a protected resource's refusal with the DPoP scheme:
 * `DPoP algs="ES256 EdDSA"` (no credentials), `DPoP error="invalid_token", algs="…"`, …;
 * `undefined` for an error that is not about the credentials.
 */
export function dpopChallenge(error: EvrmoreAuthError, algorithms: string[]): string | undefined {
  const code = DPOP_ERRORS[error.code];
  if (code === undefined) return undefined;
  const algs = `algs="${algorithms.join(' ')}"`;
  return code === null ? `DPoP ${algs}` : `DPoP error="${code}", ${algs}`;
}
