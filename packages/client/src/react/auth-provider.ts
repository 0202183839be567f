import {
  createContext,
  createElement,
  useContext,
  useMemo,
  useSyncExternalStore,
  type ReactNode,
} from 'react';
import type { AuthClient } from '../client.js';
import type { AuthState, AuthStatus } from '../state.js';

const AuthContext = createContext<AuthClient | null>(null);

/**
 * Props of {@link AuthProvider}.
 *
 * @example
 * ```tsx
 * <AuthProvider client={auth}><App /></AuthProvider>
 * ```
 */
export interface AuthProviderProps {
  /** The client from `createAuthClient`, created once (outside the component or in a ref). */
  client: AuthClient;
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
  if (typeof props.client?.subscribe !== 'function')
    throw new TypeError('AuthProvider: client must be an AuthClient');
  return createElement(AuthContext.Provider, { value: props.client }, props.children);
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
 * (via `useSyncExternalStore`).
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
  const client = useContext(AuthContext);
  if (client === null) throw new Error('useEvrmoreAuth must be used inside <AuthProvider>');
  const state = useSyncExternalStore(client.subscribe, client.getState, client.getState);
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
