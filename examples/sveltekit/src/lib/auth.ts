// The browser's auth client and its Svelte store, shared by the pages through context.
import { getContext, setContext } from 'svelte';
import type { AuthClient } from '@evrmore-auth/client';
import type { EvrmoreAuthStore } from '@evrmore-auth/client/svelte';
import type { Signer } from '@evrmore-auth/client';

export interface AppAuth {
  store: EvrmoreAuthStore;
  /** null during server rendering. */
  client: AuthClient | null;
  /** Pick the wallet the next sign-in signs with. */
  useSigner(signer: Signer): void;
}

const KEY = Symbol('auth');

export const provideAuth = (auth: AppAuth): AppAuth => setContext(KEY, auth);
export const useAuth = (): AppAuth => getContext<AppAuth>(KEY);
