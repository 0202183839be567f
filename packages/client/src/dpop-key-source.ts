// The shape of a DPoP key as the core client sees it. Only a type: the proofs themselves (the `dpop`
// package, IndexedDB) live in the `@evrmore-auth/client/dpop` entry, so apps without DPoP do not
// download them.

/**
 * A DPoP key (RFC 9449) as `createAuthClient({ dpop })` uses it. Made by `browserDpopKey`,
 * `memoryDpopKey` or `dpopKeyFromPair` of `@evrmore-auth/client/dpop`; the client calls it for
 * every request to the auth routes that issue tokens and for every `auth.fetch` that carries a
 * `DPoP` token.
 *
 * @example
 * ```ts
 * import { browserDpopKey } from '@evrmore-auth/client/dpop';
 * const dpop: DpopKeySource = browserDpopKey();
 * const auth = createAuthClient({ baseUrl: '/auth', signer: injectedWalletSigner(), dpop });
 * ```
 */
export interface DpopKeySource {
  /**
   * Send `request` through `send` with a `DPoP` header: a fresh proof for the request's method and
   * URL, with `ath` of `accessToken` when one is given and the origin's latest `DPoP-Nonce`. When
   * the answer is `use_dpop_nonce` with a `DPoP-Nonce`, send it once more with a proof carrying
   * that nonce (once: a second such answer is returned as is).
   */
  send(
    request: Request,
    accessToken: string | null,
    send: (request: Request) => Promise<Response>,
    options?: DpopSendOptions,
  ): Promise<Response>;
  /**
   * Delete the key and make a new one. The client calls it when this tab signs out. Never
   * rejects: a failure (storage gone) surfaces at the next proof instead.
   */
  rotate(): Promise<void>;
  /**
   * Drop the key held in memory, so the next proof uses the stored one, read once `rotated`
   * settles when given. The client calls it when another tab signed out, with the end of that
   * tab's rotation of the key the tabs share (it never rejects), so that no proof is made with
   * the key being replaced.
   */
  reload(rotated?: Promise<void>): void;
}

/**
 * Options of {@link DpopKeySource.send}.
 *
 * @example
 * ```ts
 * await dpop.send(request, null, fetch, { rebound: () => channel.postMessage({ type: 'key-rotated' }) });
 * ```
 */
export interface DpopSendOptions {
  /**
   * The answer binds tokens to the key of this request's proof (a sign-in, a second factor).
   * When that key was replaced while the request was out (this tab or another signed out), a
   * 2xx answer makes it the key again, stored for the tabs, so the tokens stay usable; then
   * `rebound` is called (the client tells the other tabs to read the stored key).
   */
  rebound?: () => void;
}
