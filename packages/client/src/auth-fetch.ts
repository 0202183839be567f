// `auth.fetch`: the access token (with a DPoP proof for a DPoP token) on requests to allowed
// origins, with each origin's credentials mode, one refresh and one retry on 401.
import { EvrmoreAuthClientError } from './errors.js';
import type { Refresher } from './refresher.js';
import type { AuthStore } from './state.js';
import type { Transport } from './transport.js';

/** What `auth.fetch` needs from the client. */
export interface AuthFetchOptions {
  store: AuthStore;
  transport: Transport;
  refresher: Refresher;
  /** Origins the token may be sent to, with the credentials mode of each (cookies or not). */
  origins: ReadonlyMap<string, RequestCredentials>;
  /** What relative URLs resolve against (the page, else `baseUrl`). */
  resolveBase: string;
}

/** Create `auth.fetch`. */
export function createAuthFetch(
  options: AuthFetchOptions,
): (input: RequestInfo | URL, init?: RequestInit) => Promise<Response> {
  const { store, transport, refresher, origins } = options;
  return async (input, init) => {
    const raw = input instanceof Request ? input.url : String(input);
    const url = new URL(raw, options.resolveBase);
    const credentials = origins.get(url.origin);
    if (credentials === undefined) {
      throw new EvrmoreAuthClientError(
        'origin_not_allowed',
        `refusing to send the access token to ${url.origin}; add it to allowedOrigins`,
      );
    }
    const original = input instanceof Request ? new Request(input, init) : new Request(url, init);
    const attempt = (token: string | null): Promise<Response> => {
      const headers = new Headers(original.headers);
      // The scheme the server gave the token held.
      const scheme = store.state.tokenType ?? 'Bearer';
      if (token !== null) headers.set('authorization', `${scheme} ${token}`);
      const request = new Request(original.clone(), { headers, credentials });
      return scheme === 'DPoP' ? transport.sendProved(request, token) : transport.send(request);
    };
    const token = await refresher.getAccessToken();
    const response = await attempt(token);
    if (response.status !== 401 || token === null) return response;
    // A wrong MFA code is a 401 about the code, not the token, and a DPoP error is about the proof
    // (the DPoP key answered its nonce retry already): no refresh, no second attempt.
    const problem = await response
      .clone()
      .json()
      .then(
        (b: { code?: unknown } | null) => b?.code,
        () => undefined,
      );
    if (problem === 'mfa_invalid' || /dpop/.test(String(problem))) return response;
    // One refresh (shared with every concurrent caller that saw the same token), one retry.
    const current = store.accessToken;
    const next = current !== null && current !== token ? current : await refresher.refresh();
    if (next === null || next === token) return response;
    return attempt(next);
  };
}
