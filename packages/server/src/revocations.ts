// This instance's own revocations, told to whoever listens: the session cache forgets the
// sessions (token-cache.ts), the WebSocket core closes their sockets (ws/core.ts). The store is
// wrapped once, when the auth is made; each listener is told after the store has done the change.
import type { AuthStore } from './store.js';

/** A revocation made through this instance: one session, or an address's (but `exceptId`). */
export type RevocationNotice = { sid: string } | { address: string; exceptId?: string | undefined };

/** Listeners of this instance's revocations. */
export interface LocalRevocations {
  /** Call `listener` after every revocation made through this instance; returns the unsubscribe. */
  listen(listener: (notice: RevocationNotice) => void): () => void;
}

/**
 * `store` with its revoking calls told to listeners: `revokeSession`, `revokeSessions`, the
 * sessions `createSession` evicted (the session cap's evict-oldest) and the session
 * `rotateRefresh` revoked on a reuse. The wrapper keeps `store` as its prototype (its other
 * members, and what adapters look up on it, are the store's).
 *
 * @example
 * ```ts
 * const { store, revocations } = announceRevocations(createMemoryStore());
 * revocations.listen((n) => console.log('revoked', n));
 * ```
 */
export function announceRevocations(store: AuthStore): {
  store: AuthStore;
  revocations: LocalRevocations;
} {
  const listeners = new Set<(notice: RevocationNotice) => void>();
  const tell = (notice: RevocationNotice): void => {
    for (const listener of listeners) listener(notice);
  };
  const announcing = Object.assign(Object.create(store) as AuthStore, {
    async revokeSession(id: string, now: number, reason: string) {
      const done = await store.revokeSession(id, now, reason);
      tell({ sid: id });
      return done;
    },
    async revokeSessions(address: string, now: number, reason: string, exceptId?: string) {
      const count = await store.revokeSessions(address, now, reason, exceptId);
      tell({ address, exceptId });
      return count;
    },
    async createSession(...args: Parameters<AuthStore['createSession']>) {
      const result = await store.createSession(...args);
      for (const sid of result?.evicted ?? []) tell({ sid });
      return result;
    },
    async rotateRefresh(input: Parameters<AuthStore['rotateRefresh']>[0]) {
      const result = await store.rotateRefresh(input);
      // `reused` means the store just revoked the session.
      if (result.kind === 'reused') tell({ sid: result.session.id });
      return result;
    },
  });
  return {
    store: announcing,
    revocations: {
      listen(listener) {
        listeners.add(listener);
        return () => listeners.delete(listener);
      },
    },
  };
}
