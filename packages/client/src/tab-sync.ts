// Cross-tab coordination: Web Locks serialise refreshes across the tabs of one origin, and a
// BroadcastChannel hands new tokens and sign-outs to the other tabs. The client-side invariants
// that make this safe live with the data they guard: `generation` (has another tab delivered
// tokens while we waited for the lock?) and `lockDepth`/`pendingNotify` (no listener runs under
// the lock) in state.ts; the announced-refresh wait (`peerRefreshUntil`) in refresher.ts.
import type { SessionInfo } from '@evrmore-auth/core';

/**
 * A message between tabs of one origin (sent on the BroadcastChannel).
 *
 * @example
 * ```ts
 * const bye: TabMessage = { type: 'signed-out', reason: 'user' };
 * ```
 */
export type TabMessage =
  | {
      type: 'tokens';
      accessToken: string;
      /** Absolute expiry, ms since the epoch (sender's clock). */
      expiresAtMs: number;
      session: SessionInfo;
      /** The token's scheme (`Bearer` when absent: a tab of an older version). */
      tokenType?: 'Bearer' | 'DPoP';
    }
  | {
      type: 'signed-out';
      reason: string;
      /**
       * The sender is replacing the DPoP key the tabs share: a `key-rotated` message follows once
       * the new key is stored (absent: no rotation, or a tab of an older version).
       */
      rotating?: boolean;
    }
  /** The sender's DPoP key rotation (announced by `signed-out`) is done: the new key is stored. */
  | { type: 'key-rotated' }
  /** Sent before a refresh when Web Locks are missing, so other tabs wait for its result. */
  | { type: 'refreshing' };

/**
 * The subset of `navigator.locks` the client uses.
 *
 * @example
 * ```ts
 * createAuthClient({ baseUrl: '/auth', locks: navigator.locks });
 * ```
 */
export interface LockManagerLike {
  request<T>(
    name: string,
    options: { mode?: 'exclusive'; signal?: AbortSignal },
    callback: () => Promise<T>,
  ): Promise<T>;
}

/**
 * The subset of `BroadcastChannel` the client uses.
 *
 * @example
 * ```ts
 * createAuthClient({ baseUrl: '/auth', createChannel: (name) => new BroadcastChannel(name) });
 * ```
 */
export interface BroadcastChannelLike {
  postMessage(message: unknown): void;
  addEventListener(type: 'message', listener: (event: { data: unknown }) => void): void;
  close(): void;
}

/** Options of {@link createTabSync}. */
export interface TabSyncOptions {
  /** Channel and lock name; tabs using the same name cooperate. */
  name: string;
  /** `navigator.locks`, or `null` to disable Web Locks. */
  locks: LockManagerLike | null;
  /** Creates the channel, or `null` when BroadcastChannel is unavailable. */
  createChannel: ((name: string) => BroadcastChannelLike) | null;
  /** How long to wait for the lock before refreshing without it, ms. */
  lockTimeoutMs: number;
}

/** Cross-tab coordination: one refresh at a time across tabs, and token/sign-out hand-over. */
export interface TabSync {
  /** Whether refreshes are serialised with Web Locks (else the BroadcastChannel fallback applies). */
  readonly hasLocks: boolean;
  /** Run `fn` holding the cross-tab refresh lock (or without it when Web Locks are missing or the wait times out). */
  withLock<T>(fn: () => Promise<T>): Promise<T>;
  post(message: TabMessage): void;
  onMessage(listener: (message: TabMessage) => void): void;
  close(): void;
}

function isTabMessage(data: unknown): data is TabMessage {
  if (typeof data !== 'object' || data === null) return false;
  const m = data as Record<string, unknown>;
  if (m.type === 'signed-out') return typeof m.reason === 'string';
  if (m.type === 'refreshing' || m.type === 'key-rotated') return true;
  return (
    m.type === 'tokens' &&
    typeof m.accessToken === 'string' &&
    typeof m.expiresAtMs === 'number' &&
    typeof m.session === 'object' &&
    m.session !== null
  );
}

/**
 * Create the cross-tab coordinator: Web Locks serialise refreshes (bounded by an AbortSignal
 * timeout), BroadcastChannel carries the new access token and sign-outs to the other tabs.
 *
 * @example
 * ```ts
 * const sync = createTabSync({ name: 'evrmore-auth', locks: navigator.locks, createChannel: (n) => new BroadcastChannel(n), lockTimeoutMs: 10_000 });
 * await sync.withLock(async () => refresh());
 * ```
 */
export function createTabSync(options: TabSyncOptions): TabSync {
  const channel = options.createChannel ? options.createChannel(options.name) : null;
  const listeners: ((m: TabMessage) => void)[] = [];
  // A closed BroadcastChannel throws on postMessage; a message due after close() (the end of a
  // key rotation) is dropped instead.
  let closed = false;
  channel?.addEventListener('message', (event) => {
    if (!isTabMessage(event.data)) return;
    for (const l of listeners) l(event.data);
  });
  return {
    hasLocks: options.locks !== null,
    async withLock(fn) {
      if (!options.locks) return fn();
      const controller = new AbortController();
      const timer = setTimeout(() => controller.abort(), options.lockTimeoutMs);
      let acquired = false;
      try {
        return await options.locks.request(
          `${options.name}:refresh`,
          { mode: 'exclusive', signal: controller.signal },
          () => {
            acquired = true;
            clearTimeout(timer);
            return fn();
          },
        );
      } catch (err) {
        // The wait timed out (a tab hung while holding the lock): refresh without it; the
        // server's grace window answers a concurrent duplicate with the same token set.
        if (!acquired && controller.signal.aborted) return fn();
        throw err;
      } finally {
        clearTimeout(timer);
      }
    },
    post(message) {
      if (!closed) channel?.postMessage(message);
    },
    onMessage(listener) {
      listeners.push(listener);
    },
    close() {
      closed = true;
      channel?.close();
    },
  };
}
