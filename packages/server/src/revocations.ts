// This instance's own revocations, told to whoever listens: the session cache forgets the
// sessions (token-cache.ts), the WebSocket core closes their sockets (ws/core.ts). The code that
// revokes tells them (revokeSessionHere, revokeSessionsHere, sign-in's evictions, refresh's
// reuse): the store is never wrapped, so a store whose methods need their own `this` (a class
// with #private fields) works as it is.
import type { PinoLikeLogger } from './events.js';
import type { AuthRuntime } from './runtime.js';

/** A revocation made through this instance: one session, or an address's (but `exceptId`). */
export type RevocationNotice = { sid: string } | { address: string; exceptId?: string | undefined };

/** This instance's revocations: who listens, and the telling. */
export interface LocalRevocations {
  /** Call `listener` after every revocation made through this instance; returns the unsubscribe. */
  listen(listener: (notice: RevocationNotice) => void): () => void;
  /** Tell every listener (one that throws is logged; the others are still told). */
  tell(notice: RevocationNotice): void;
  /** How many revocations were told so far: a session read that started before one must not be
   *  remembered as live (it may have been read just before the revocation landed). */
  readonly count: number;
}

/**
 * The revocations of one auth instance.
 *
 * @example
 * ```ts
 * const revocations = createLocalRevocations(logger);
 * revocations.listen((n) => console.log('revoked', n));
 * ```
 */
export function createLocalRevocations(logger?: PinoLikeLogger): LocalRevocations {
  const listeners = new Set<(notice: RevocationNotice) => void>();
  let count = 0;
  return {
    listen(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    tell(notice) {
      count++;
      for (const listener of listeners) {
        try {
          listener(notice);
        } catch (err) {
          logger?.error({ err }, 'evrmore-auth: a revocation listener threw');
        }
      }
    },
    get count() {
      return count;
    },
  };
}

/**
 * `store.revokeSession`, then the listeners told, whether the store answered or failed (a write
 * may have landed before a timeout: forgetting a live session costs only a store read).
 *
 * @example
 * ```ts
 * const done = await revokeSessionHere(rt, sessionId, 'revoked');
 * ```
 */
export async function revokeSessionHere(
  rt: AuthRuntime,
  sessionId: string,
  reason: string,
): Promise<boolean> {
  try {
    return await rt.store.revokeSession(sessionId, rt.config.now(), reason);
  } finally {
    rt.revocations.tell({ sid: sessionId });
  }
}

/**
 * `store.revokeSessions` (every session of `address` but `exceptId`), then the listeners told,
 * whether the store answered or failed.
 *
 * @example
 * ```ts
 * const count = await revokeSessionsHere(rt, address, 'revoked', currentSessionId);
 * ```
 */
export async function revokeSessionsHere(
  rt: AuthRuntime,
  address: string,
  reason: string,
  exceptId?: string,
): Promise<number> {
  try {
    return await rt.store.revokeSessions(address, rt.config.now(), reason, exceptId);
  } finally {
    rt.revocations.tell({ address, exceptId });
  }
}
