// The token response of a sign-in or refresh: the application's claims, then a signed access token.
import type { TokenResponse } from '@evrmore-auth/core';
import { applyRoles } from './access/roles.js';
import type { ClaimsContext, ExtraClaims } from './config.js';
import type { AuthRuntime } from './runtime.js';
import { toSessionInfo } from './sessions.js';
import type { SessionRecord } from './store.js';
import { issueAccessToken } from './tokens.js';

/** Call the application's claims provider, then resolve the roles map into `roles` and
 *  `permissions`; errors propagate (the handler answers 500 and logs). */
export async function loadClaims(
  rt: AuthRuntime,
  context: ClaimsContext,
): Promise<ExtraClaims | undefined> {
  const claims = await providerClaims(rt, context);
  if (rt.roles === null) return claims;
  return applyRoles(rt.roles, claims, context, (message) =>
    rt.logger ? rt.logger.warn({}, message) : console.warn(message),
  );
}

async function providerClaims(
  rt: AuthRuntime,
  context: ClaimsContext,
): Promise<ExtraClaims | undefined> {
  if (!rt.claims) return undefined;
  const claims: unknown = await rt.claims(context);
  if (claims === undefined || claims === null) return undefined;
  if (typeof claims !== 'object' || Array.isArray(claims))
    throw new TypeError('claims must return an object of claims');
  return claims as ExtraClaims;
}

/** Sign an access token for `session` and build the token response. */
export async function mintTokenResponse(
  rt: AuthRuntime,
  session: SessionRecord,
  claims: ExtraClaims | undefined,
): Promise<TokenResponse> {
  const keys = await rt.keys();
  const now = rt.config.now();
  const { token, expiresAt } = await issueAccessToken({
    key: keys[0]!,
    issuer: rt.config.issuer,
    audience: rt.config.audience,
    address: session.address,
    sessionId: session.id,
    fingerprintHash: session.fingerprintHash,
    claims,
    dpopJkt: session.dpopJkt,
    ttlSeconds: rt.config.accessTokenTtlSeconds,
    now,
    randomBytes: rt.config.randomBytes,
  });
  return {
    accessToken: token,
    tokenType: session.dpopJkt ? 'DPoP' : 'Bearer',
    expiresIn: Math.max(0, Math.round((expiresAt - now) / 1000)),
    expiresAt: new Date(expiresAt).toISOString(),
    session: toSessionInfo(session),
  };
}
