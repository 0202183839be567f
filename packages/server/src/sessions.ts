// Session routes: the caller's session, its other sessions, revocation, logout.
import type { SessionInfo } from '@evrmore-auth/core';
import type { AuthIdentity } from './authenticate.js';
import { authError } from './errors.js';
import type { RequestContext } from './http/request.js';
import { revokeSessionHere, revokeSessionsHere } from './revocations.js';
import { eventBase, type AuthRuntime } from './runtime.js';
import type { SessionRecord } from './store.js';

/** The wire view of a session (`current` set when `currentId` is given). */
export function toSessionInfo(s: SessionRecord, currentId?: string): SessionInfo {
  const info: SessionInfo = {
    id: s.id,
    address: s.address,
    createdAt: new Date(s.createdAt).toISOString(),
    lastSeenAt: new Date(s.lastSeenAt).toISOString(),
    expiresAt: new Date(s.expiresAt).toISOString(),
    userAgent: s.userAgent,
    ip: s.ip,
  };
  if (currentId !== undefined) info.current = s.id === currentId;
  return info;
}

/**
 * The caller's current session (`GET /auth/session`).
 *
 * @example
 * ```ts
 * const session = await getCurrentSession(runtime, identity);
 * ```
 */
export async function getCurrentSession(
  rt: AuthRuntime,
  identity: AuthIdentity,
): Promise<SessionInfo> {
  const s = await rt.store.getSession(identity.sessionId);
  if (s === null) throw authError('token_revoked');
  return toSessionInfo(s, identity.sessionId);
}

/**
 * The caller's live sessions, newest first, the current one marked (`GET /auth/sessions`).
 *
 * @example
 * ```ts
 * const { sessions } = await listSessions(runtime, identity);
 * ```
 */
export async function listSessions(
  rt: AuthRuntime,
  identity: AuthIdentity,
): Promise<{ sessions: SessionInfo[] }> {
  const list = await rt.store.listSessions(identity.address, rt.config.now());
  return { sessions: list.map((s) => toSessionInfo(s, identity.sessionId)) };
}

/**
 * Revoke one of the caller's sessions; another address's session, an unknown or an already
 * revoked id is `not_found` (`DELETE /auth/sessions/{id}`).
 *
 * @example
 * ```ts
 * await revokeSession(runtime, identity, sessionId, context);
 * ```
 */
export async function revokeSession(
  rt: AuthRuntime,
  identity: AuthIdentity,
  sessionId: string,
  context: RequestContext,
  reason = 'revoked',
): Promise<void> {
  const s = await rt.store.getSession(sessionId);
  if (s === null || s.address !== identity.address) throw authError('not_found');
  const done = await revokeSessionHere(rt, sessionId, reason);
  if (!done) throw authError('not_found');
  rt.events.emit({
    type: 'session.revoked',
    ...eventBase(context),
    address: identity.address,
    sessionId,
    detail: { reason },
  });
}

/**
 * Revoke every other session of the caller (`DELETE /auth/sessions?scope=others`); returns how many.
 *
 * @example
 * ```ts
 * const count = await revokeOtherSessions(runtime, identity, context);
 * ```
 */
export async function revokeOtherSessions(
  rt: AuthRuntime,
  identity: AuthIdentity,
  context: RequestContext,
): Promise<number> {
  const count = await revokeSessionsHere(rt, identity.address, 'revoked', identity.sessionId);
  if (count > 0)
    rt.events.emit({
      type: 'session.revoked',
      ...eventBase(context),
      address: identity.address,
      sessionId: identity.sessionId,
      detail: { scope: 'others', count },
    });
  return count;
}
