// POST /auth/challenge: issue a one-time Sign-In with Evrmore message and store it.
import {
  buildSignInMessage,
  decodeAddress,
  generateNonce,
  type ChallengeResponse,
} from '@evrmore-auth/core';
import { authError } from './errors.js';
import type { RequestContext } from './http/request.js';
import { eventBase, type AuthRuntime } from './runtime.js';

/**
 * Options of {@link issueChallenge}.
 *
 * @example
 * ```ts
 * const options: IssueChallengeOptions = { address: 'E…', context };
 * ```
 */
export interface IssueChallengeOptions {
  address: string;
  context: RequestContext;
}

/**
 * Validate the address, build the message (domain, URI, statement, chain id, nonce, times), store
 * the challenge and return the 201 body. Throws `invalid_address`, `wrong_network`,
 * `rate_limited` or `unavailable`.
 *
 * @example
 * ```ts
 * const { message, nonce, expiresAt } = await issueChallenge(runtime, { address, context });
 * ```
 */
export async function issueChallenge(
  rt: AuthRuntime,
  options: IssueChallengeOptions,
): Promise<ChallengeResponse> {
  const { address, context } = options;
  const { config } = rt;
  await rt.rateLimits.check('challenge', { ip: context.ip });
  const decoded = decodeAddress(address, config.network);
  if (!decoded.ok) {
    throw authError(decoded.reason === 'wrong_network' ? 'wrong_network' : 'invalid_address', {
      detail: decoded.message,
    });
  }
  await rt.rateLimits.checkAddress('challenge', { ip: context.ip, address });
  const now = config.now();
  const issuedAtMs = Math.floor(now / 1000) * 1000;
  const expiresAtMs = issuedAtMs + config.challengeTtlSeconds * 1000;
  const issuedAt = new Date(issuedAtMs).toISOString();
  const expiresAt = new Date(expiresAtMs).toISOString();
  const nonce = generateNonce({ randomBytes: config.randomBytes });
  const message = buildSignInMessage({
    domain: config.domain,
    address,
    ...(config.statement === undefined ? {} : { statement: config.statement }),
    uri: config.uri,
    version: '1',
    chainId: config.network.chainId,
    nonce,
    issuedAt,
    expirationTime: expiresAt,
  });
  await rt.store.putChallenge({
    nonce,
    message,
    address,
    domain: config.domain,
    uri: config.uri,
    chainId: config.network.chainId,
    issuedAt: issuedAtMs,
    expiresAt: expiresAtMs,
  });
  rt.events.emit({ type: 'challenge.issued', ...eventBase(context), address });
  return { message, nonce, issuedAt, expiresAt };
}
