import {
  parseSignInMessage,
  SignInMessageError,
  type SignInMessageFields,
} from '@evrmore-auth/core';
import { EvrmoreAuthClientError } from './errors.js';

/**
 * Options of {@link checkChallenge}: what the message must say to be signed.
 *
 * @example
 * ```ts
 * const o: CheckChallengeOptions = { expectedDomain: 'example.com', expectedUri: 'https://example.com', address, chainId: 'evrmore:mainnet', now: Date.now() };
 * ```
 */
export interface CheckChallengeOptions {
  /** The authority (host[:port]) of the page, compared case-insensitively with the `domain`. */
  expectedDomain: string;
  /** The page's origin; the message's `URI:` must have this origin. */
  expectedUri: string;
  /** The address the user asked to sign in with. */
  address: string;
  /** The chain id of the network the client is configured for, e.g. `evrmore:mainnet`. */
  chainId: string;
  /** Current time in ms, to refuse an already-expired challenge. */
  now: number;
}

function originOf(uri: string): string | undefined {
  try {
    return new URL(uri).origin;
  } catch {
    return undefined;
  }
}

/**
 * Parse a challenge and refuse to sign it unless it names this page's domain and origin, the
 * requested address and chain, and is not already expired: the phishing defence run before any
 * wallet is asked to sign. Throws {@link EvrmoreAuthClientError} (`phishing_suspected` or
 * `invalid_challenge`).
 *
 * @example
 * ```ts
 * checkChallenge(challenge.message, {
 *   expectedDomain: location.host,
 *   expectedUri: location.origin,
 *   address,
 *   chainId: 'evrmore:mainnet',
 *   now: Date.now(),
 * });
 * ```
 */
export function checkChallenge(
  message: string,
  options: CheckChallengeOptions,
): SignInMessageFields {
  let fields: SignInMessageFields;
  try {
    fields = parseSignInMessage(message);
  } catch (err) {
    const detail = err instanceof SignInMessageError ? `: ${err.message}` : '';
    throw new EvrmoreAuthClientError(
      'invalid_challenge',
      `the server's challenge is not a Sign-In with Evrmore message${detail}`,
      { cause: err },
    );
  }
  const refuse = (what: string): never => {
    throw new EvrmoreAuthClientError(
      'phishing_suspected',
      `refusing to sign: the challenge ${what}`,
    );
  };
  if (fields.domain.toLowerCase() !== options.expectedDomain.toLowerCase()) {
    refuse(`is for domain "${fields.domain}", not "${options.expectedDomain}"`);
  }
  const expectedOrigin = originOf(options.expectedUri) ?? options.expectedUri;
  if (originOf(fields.uri) !== expectedOrigin) {
    refuse(`is for URI "${fields.uri}", not origin "${expectedOrigin}"`);
  }
  if (fields.address !== options.address) {
    refuse(`names address ${fields.address}, not ${options.address}`);
  }
  if (fields.chainId !== options.chainId) {
    refuse(`is for chain "${fields.chainId}", not "${options.chainId}"`);
  }
  if (Date.parse(fields.expirationTime) <= options.now) {
    throw new EvrmoreAuthClientError('invalid_challenge', 'the challenge has already expired');
  }
  return fields;
}
