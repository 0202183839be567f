// What an auth instance keeps for DPoP: the resolved settings, its nonces and the replay cache.
import type { AuthStore } from '../store.js';
import type { ResolvedDPoPConfig } from './config.js';
import { createDPoPNonces, type DPoPNonces } from './nonce.js';
import { createProofKeys, type ProofKeys } from './proof-keys.js';
import { createProofReplayCache, type ProofReplayCache } from './replay.js';

/** DPoP's part of the runtime (`AuthRuntime.dpop`); `null` there when DPoP is off. */
export interface DPoPRuntime {
  config: ResolvedDPoPConfig;
  /** `null` when nonces are off. */
  nonces: DPoPNonces | null;
  replay: ProofReplayCache;
  /** Proof keys imported recently (bounded). */
  keys: ProofKeys;
}

/** Build DPoP's runtime. A proof is replayable only while its `iat` is accepted: from
 *  `proofMaxAgeSeconds` plus the tolerance in the past to the tolerance in the future, so a spent
 *  `jti` is remembered that long. */
export function createDPoPRuntime(
  resolved: { config: ResolvedDPoPConfig; nonceSecret: string | null },
  store: AuthStore,
  clockToleranceSeconds: number,
): DPoPRuntime {
  const window = resolved.config.proofMaxAgeSeconds + 2 * clockToleranceSeconds;
  return {
    config: resolved.config,
    nonces: resolved.nonceSecret === null ? null : createDPoPNonces(resolved.nonceSecret),
    replay: createProofReplayCache(store, window),
    keys: createProofKeys(),
  };
}
