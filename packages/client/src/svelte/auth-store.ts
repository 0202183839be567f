// A Svelte store over the client: the store contract (`subscribe(run) → unsubscribe`) needs no
// svelte runtime, so this entry imports nothing from svelte. Works with `$store` in components and
// with Svelte 5's `fromStore`.
import type { AuthClient } from '../client.js';
import type { AuthState } from '../state.js';

/**
 * The session the server rendered the page with (what `event.locals.auth` held: an
 * `AuthIdentity` fits), or `null` when the server saw no session.
 *
 * @example
 * ```ts
 * const initial: InitialSession = { address: data.auth.address, sessionId: data.auth.sessionId };
 * ```
 */
export interface InitialSession {
  /** The signed-in address. */
  address: string;
  /** The session id (the access token's `sid`), if known. */
  sessionId?: string;
}

/**
 * Options of {@link authStore}.
 *
 * @example
 * ```ts
 * const options: AuthStoreOptions = { initial: data.auth };
 * ```
 */
export interface AuthStoreOptions {
  /**
   * The server's view of the session for the first render (from a `load` function reading
   * `event.locals.auth`). Until the client has finished restoring its own session, the store
   * reports this one, so a server-rendered signed-in page does not flash "signed out" or
   * "restoring" while the browser's client starts: `signed-in` with the server's address (with
   * `session`, `expiresAt` and `tokenType` still `null`: no token is held yet) or, for `null`,
   * `signed-out`. From the client's first settled state on (signed in, signed out with a reason,
   * error, …) the store reports the client's state.
   * @default undefined (the client's state from the start)
   */
  initial?: InitialSession | null;
}

/**
 * The store {@link authStore} returns: a Svelte readable store of the client's {@link AuthState}.
 *
 * @example
 * ```ts
 * const auth: EvrmoreAuthStore = authStore(client);
 * const unsubscribe = auth.subscribe((state) => console.log(state.status));
 * ```
 */
export interface EvrmoreAuthStore {
  /**
   * Svelte's store contract: `run` is called at once with the current state, then after every
   * change; the returned function stops the calls.
   */
  subscribe(run: (value: AuthState) => void, invalidate?: () => void): () => void;
  /** The current value (what a new subscriber would get first). */
  get(): AuthState;
  /** The client behind the store (`signIn`, `signOut`, `fetch`, sessions), or `null` on the
   *  server where none runs. */
  readonly client: AuthClient | null;
}

const frozen = (state: AuthState): AuthState => Object.freeze(state);

function serverState(initial: InitialSession | null): AuthState {
  return frozen({
    status: initial ? 'signed-in' : 'signed-out',
    session: null,
    address: initial ? initial.address : null,
    expiresAt: null,
    reason: initial ? null : 'no-session',
    error: null,
    mfaMethods: null,
    tokenType: null,
  });
}

/** Whether the client's state is only its start-up one (restoring, or not yet started). */
function unsettled(state: AuthState): boolean {
  return state.status === 'refreshing' || (state.status === 'signed-out' && state.reason === null);
}

/**
 * A Svelte store of an {@link AuthClient}'s state (`$auth.status`, `$auth.address`, …), with the
 * session the server rendered the page with as its first value, so a server-rendered page and the
 * browser's first render agree. Pass `null` as the client on the server (where a browser client
 * does not run): the store then holds `initial`.
 *
 * It follows the client from its first settled state on; with `initial: null` (the server saw no
 * session) a client that restores one still moves the store to `signed-in`.
 *
 * @example
 * ```html
 * <!-- src/routes/+layout.svelte; +layout.server.ts returns { auth: locals.auth } -->
 * <script lang="ts">
 *   import { browser } from '$app/environment';
 *   import { createAuthClient, injectedWalletSigner } from '@evrmore-auth/client';
 *   import { authStore } from '@evrmore-auth/client/svelte';
 *   let { data, children } = $props();
 *   const client = browser
 *     ? createAuthClient({ baseUrl: '/auth', signer: injectedWalletSigner() })
 *     : null;
 *   const auth = authStore(client, { initial: data.auth });
 * </script>
 * {#if $auth.status === 'signed-in'}Signed in as {$auth.address}{:else}Signed out{/if}
 * {@render children()}
 * ```
 */
export function authStore(
  client: AuthClient | null,
  options: AuthStoreOptions = {},
): EvrmoreAuthStore {
  if (
    client !== null &&
    (typeof client?.subscribe !== 'function' || typeof client.getState !== 'function')
  )
    throw new TypeError('authStore: client must be an AuthClient (or null on the server)');
  if (typeof options !== 'object' || options === null)
    throw new TypeError('authStore: options must be an object');
  const { initial } = options;
  if (
    initial !== undefined &&
    initial !== null &&
    (typeof initial !== 'object' || typeof initial.address !== 'string' || initial.address === '')
  )
    throw new TypeError('authStore: initial must be { address } or null');

  const fromServer = initial === undefined ? null : serverState(initial);
  // Once the client has settled, the server's view is never used again.
  let settled = fromServer === null;
  let last: AuthState | null = null;

  const current = (): AuthState => {
    if (client === null) return fromServer ?? serverState(null);
    const state = client.getState();
    if (!settled && !unsettled(state)) settled = true;
    // `initial: null` and a client still restoring: the server said signed out, show that; a
    // restore that finds a session settles it (signed-in).
    return settled ? state : fromServer!;
  };

  const runs = new Set<(value: AuthState) => void>();
  let stop: (() => void) | null = null;
  const emit = (): void => {
    const value = current();
    if (value === last) return;
    last = value;
    for (const run of [...runs]) run(value);
  };

  return {
    subscribe(run) {
      if (typeof run !== 'function') throw new TypeError('subscribe: run must be a function');
      runs.add(run);
      if (runs.size === 1 && client !== null) stop = client.subscribe(emit);
      const value = current();
      last = value;
      run(value);
      return () => {
        if (!runs.delete(run)) return;
        if (runs.size === 0 && stop) {
          stop();
          stop = null;
        }
      };
    },
    get: current,
    client,
  };
}
