// `auth.fetch`: the bearer token on requests to allowed origins, one refresh and one retry on 401.
import { EvrmoreAuthClientError } from './errors.js';
import type { Refresher } from './refresher.js';
import type { AuthStore } from './state.js';
import type { Transport } from './transport.js';

/** What `auth.fetch` needs from the client. */
export interface AuthFetchOptions {
  store: AuthStore;
  transport: Transport;
  refresher: Refresher;
  /** Origins the bearer token may be sent to. */
  allowedOrigins: ReadonlySet<string>;
  /** What relative URLs resolve against (the page, else `baseUrl`). */
  resolveBase: string;
}

/** Create `auth.fetch`. */
export function createAuthFetch(
  options: AuthFetchOptions,
): (input: RequestInfo | URL, init?: RequestInit) => Promise<Response> {
  const { store, transport, refresher, allowedOrigins } = options;
  return async (input, init) => {
    const raw = input instanceof Request ? input.url : String(input);
    const url = new URL(raw, options.resolveBase);
    if (!allowedOrigins.has(url.origin)) {
      throw new EvrmoreAuthClientError(
        'origin_not_allowed',
        `refusing to send the access token to ${url.origin}; add it to allowedOrigins`,
      );
    }
    const original = input instanceof Request ? new Request(input, init) : new Request(url, init);
    const attempt = (token: string | null): Request => {
      const headers = new Headers(original.headers);
      if (token !== null) headers.set('authorization', `Bearer ${token}`);
      return new Request(original.clone(), { headers, credentials: 'include' });
    };
    const token = await refresher.getAccessToken();
    const response = await transport.send(attempt(token));
    if (response.status !== 401 || token === null) return response;
    // A wrong MFA code is a 401 about the code, not the token: no refresh, no second attempt.
    const problem = await response
      .clone()
      .json()
      .then(
        (b: { code?: unknown } | null) => b?.code,
        () => undefined,
      );
    if (problem === 'mfa_invalid') return response;
    // One refresh (shared with every concurrent caller that saw the same token), one retry.
    const current = store.accessToken;
    const next = current !== null && current !== token ? current : await refresher.refresh();
    if (next === null || next === token) return response;
    return transport.send(attempt(next));
  };
}
