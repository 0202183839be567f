import {
  createContext,
  createElement,
  useContext,
  useMemo,
  useState,
  useSyncExternalStore,
  type ReactNode,
} from 'react';
import type { AuthClient } from '../client.js';
import type { AuthState, AuthStatus } from '../state.js';

/** What the provider hands to the hook. */
interface AuthContextValue {
  client: AuthClient;
  /** The server's view as a state, while the client has not settled (see `initialSession`). */
  initial: AuthState | null;
  /** Set once the client reached a settled state: the server's view is then no longer used. */
  settled: { current: boolean };
}

const AuthContext = createContext<AuthContextValue | null>(null);

/**
 * The session the server saw when it rendered the page (e.g. from `auth()` of
 * `@evrmore-auth/server/next`), handed to {@link AuthProvider} as `initialSession`: `null` when
 * signed out.
 *
 * @example
 * ```tsx
 * const user = await auth();
 * <Providers initialSession={user ? { address: user.address } : null} />;
 * ```
 */
export interface InitialSession {
  /** The signed-in address. */
  address: string;
}

function frozenState(address: string | null): AuthState {
  return Object.freeze({
    status: address === null ? 'signed-out' : 'signed-in',
    session: null,
    address,
    expiresAt: null,
    reason: null,
    error: null,
    mfaMethods: null,
    tokenType: null,
  });
}

/**
 * Where the client is before its first answer: restoring (`refreshing` with no address yet) or
 * not started (`signed-out` without a reason, as on the server).
 */
function unsettled(state: AuthState): boolean {
  return (
    (state.status === 'refreshing' && state.address === null) ||
    (state.status === 'signed-out' && state.reason === null)
  );
}

function notInBrowser(): Promise<never> {
  return Promise.reject(
    new Error('evrmore-auth: the client is not available during server rendering'),
  );
}

/** The stand-in for a client factory while rendering on the server: signed out, no actions. */
function serverRenderClient(): AuthClient {
  const state = frozenState(null);
  return {
    signIn: notInBrowser,
    verifyMfa: notInBrowser,
    signOut: notInBrowser,
    getAccessToken: notInBrowser,
    fetch: notInBrowser,
    refresh: notInBrowser,
    restore: notInBrowser,
    getSession: notInBrowser,
    listSessions: notInBrowser,
    revokeSession: notInBrowser,
    revokeOtherSessions: notInBrowser,
    getState: () => state,
    subscribe: () => () => undefined,
    destroy: () => undefined,
  };
}

/**
 * Props of {@link AuthProvider}.
 *
 * @example
 * ```tsx
 * <AuthProvider client={auth}><App /></AuthProvider>
 * ```
 */
export interface AuthProviderProps {
  /**
   * The client from `createAuthClient`, created once (outside the component or in a ref), or a
   * function returning it, called once and only in the browser: what a server-rendered app
   * (Next.js, SvelteKit) passes, since a client for `baseUrl: '/auth'` can only be created where
   * there is a page. While rendering on the server the hook then reports `initialSession`, and its
   * actions reject.
   */
  client: AuthClient | (() => AuthClient);
  /**
   * The session the server saw (`{ address }`, or `null` when signed out): the hook reports it
   * until the client has restored its own session, so a server-rendered page shows the signed-in
   * user from the first paint, and hydration matches the server's HTML.
   * @default none: the hook reports the client's state from the start
   */
  initialSession?: InitialSession | null;
  /** The components that call `useEvrmoreAuth()`. */
  children?: ReactNode;
}

/**
 * Makes an {@link AuthClient} available to {@link useEvrmoreAuth} below it.
 *
 * @example
 * ```tsx
 * const auth = createAuthClient({ baseUrl: '/auth', signer: injectedWalletSigner() });
 * root.render(<AuthProvider client={auth}><App /></AuthProvider>);
 * ```
 */
export function AuthProvider(props: AuthProviderProps): ReactNode {
  const source = props.client;
  if (typeof source !== 'function' && typeof source?.subscribe !== 'function')
    throw new TypeError('AuthProvider: client must be an AuthClient or a function returning one');
  const [client] = useState<AuthClient>(() =>
    typeof source !== 'function'
      ? source
      : typeof document === 'undefined'
        ? serverRenderClient()
        : source(),
  );
  if (typeof client?.subscribe !== 'function')
    throw new TypeError('AuthProvider: the client function must return an AuthClient');
  const address =
    props.initialSession === undefined ? undefined : (props.initialSession?.address ?? null);
  const [settled] = useState(() => ({ current: false }));
  const value = useMemo<AuthContextValue>(
    () => ({
      client,
      initial: address === undefined ? null : frozenState(address),
      settled,
    }),
    [client, address, settled],
  );
  return createElement(AuthContext.Provider, { value }, props.children);
}

/**
 * What {@link useEvrmoreAuth} returns.
 *
 * @example
 * ```tsx
 * const { status, address, signIn }: UseEvrmoreAuthResult = useEvrmoreAuth();
 * ```
 */
export interface UseEvrmoreAuthResult {
  /** The full state snapshot. */
  state: AuthState;
  /** `state.status`. */
  status: AuthStatus;
  /** `state.address`: the signed-in (or signing-in) address. */
  address: string | null;
  /** Whether `status` is `signed-in`. */
  isSignedIn: boolean;
  /** The client's `signIn`. */
  signIn: AuthClient['signIn'];
  /** The client's `signOut`. */
  signOut: AuthClient['signOut'];
  /** The client's `verifyMfa`. */
  verifyMfa: AuthClient['verifyMfa'];
  /** The client's authenticated `fetch`. */
  fetch: AuthClient['fetch'];
  /** The client's `getAccessToken`. */
  getAccessToken: AuthClient['getAccessToken'];
  /** The client itself, for sessions management. */
  client: AuthClient;
}

/**
 * The auth state and actions of the nearest {@link AuthProvider}; re-renders on every state change
 * (via `useSyncExternalStore`). With the provider's `initialSession`, it reports the server's view
 * until the client has restored its own session (no flash of signed-out content).
 *
 * @example
 * ```tsx
 * function SignInButton() {
 *   const { status, address, signIn, signOut } = useEvrmoreAuth();
 *   if (status === 'signed-in') return <button onClick={() => signOut()}>Sign out {address}</button>;
 *   return <button disabled={status === 'signing-in'} onClick={() => signIn()}>Sign in with Evrmore</button>;
 * }
 * ```
 */
export function useEvrmoreAuth(): UseEvrmoreAuthResult {
  const context = useContext(AuthContext);
  if (context === null) throw new Error('useEvrmoreAuth must be used inside <AuthProvider>');
  const { client, initial, settled } = context;
  const current = useSyncExternalStore(client.subscribe, client.getState, client.getState);
  if (!settled.current && !unsettled(current) && client.getState() === current)
    settled.current = true;
  const state = initial !== null && !settled.current ? initial : current;
  return useMemo(
    () => ({
      state,
      status: state.status,
      address: state.address,
      isSignedIn: state.status === 'signed-in',
      signIn: client.signIn,
      signOut: client.signOut,
      verifyMfa: client.verifyMfa,
      fetch: client.fetch,
      getAccessToken: client.getAccessToken,
      client,
    }),
    [client, state],
  );
}
