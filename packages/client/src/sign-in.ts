// The sign-in flow: challenge, phishing check, wallet signature, verify, and the second factor.
import {
  EvrmoreAuthError,
  isMfaRequired,
  type ChallengeResponse,
  type MfaMethod,
  type MfaRequiredResponse,
  type Network,
  type TokenResponse,
} from '@evrmore-auth/core';
import { checkChallenge } from './challenge-guard.js';
import { EvrmoreAuthClientError } from './errors.js';
import type { Refresher } from './refresher.js';
import type { Signer } from './signers/signer.js';
import { assertAddress, assertSignatureEncoding } from './signers/validate.js';
import type { AuthState, AuthStore } from './state.js';
import { isAbort, asTokenResponse, type Transport } from './transport.js';

/**
 * Options of `auth.signIn`.
 *
 * @example
 * ```ts
 * const controller = new AbortController();
 * cancelButton.onclick = () => controller.abort();
 * await auth.signIn({ signal: controller.signal });
 * ```
 */
export interface SignInOptions {
  /**
   * The address to sign in with.
   * @default the signer's `getAddress()`
   */
  address?: string;
  /**
   * Aborts the sign-in: the promise rejects with {@link EvrmoreAuthClientError} `aborted`, no
   * token is stored, and the state goes back to what it was (signed-out, or the session held).
   * A signature the wallet delivers after the abort is dropped.
   */
  signal?: AbortSignal;
}

/** What the sign-in flow needs from the client. */
export interface SignInFlowOptions {
  store: AuthStore;
  transport: Transport;
  refresher: Refresher;
  signer: Signer | undefined;
  network: Network;
  expectedDomain: string;
  expectedUri: string;
  now: () => number;
}

/** `signIn` and `verifyMfa` of one client. */
export interface SignInFlow {
  signIn(options?: SignInOptions): Promise<AuthState>;
  verifyMfa(code: string): Promise<AuthState>;
}

function abortError(signal: AbortSignal): EvrmoreAuthClientError {
  return new EvrmoreAuthClientError('aborted', 'the sign-in was aborted', {
    cause: signal.reason,
  });
}

/** Settle with `promise`, or reject with `aborted` as soon as `signal` aborts. */
function abortable<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(abortError(signal));
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(abortError(signal));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(signal.aborted && isAbort(err) ? abortError(signal) : err);
      },
    );
  });
}

/** Create the sign-in flow of a client. */
export function createSignInFlow(options: SignInFlowOptions): SignInFlow {
  const { store, transport, refresher, network } = options;

  const failed = (err: unknown): never => {
    const error = err instanceof Error ? err : new Error(String(err));
    const reason =
      err instanceof EvrmoreAuthError || err instanceof EvrmoreAuthClientError
        ? err.code
        : 'unknown';
    store.set({ status: 'error', reason, error, mfaMethods: null });
    throw err;
  };

  /** An aborted sign-in leaves the session as it was: signed in if a token is held, else out. */
  const aborted = (err: EvrmoreAuthClientError): never => {
    store.mfaToken = null;
    const session = store.accessToken !== null ? store.state.session : null;
    store.set({
      status: session ? 'signed-in' : 'signed-out',
      session,
      address: session?.address ?? null,
      expiresAt: session ? store.expiresAtMs : null,
      reason: 'aborted',
      error: err,
      mfaMethods: null,
    });
    throw err;
  };

  const signIn = async (signInOptions: SignInOptions = {}): Promise<AuthState> => {
    if (typeof signInOptions !== 'object' || signInOptions === null)
      throw new TypeError('signIn: options must be an object');
    const { signal } = signInOptions;
    if (!options.signer) throw new TypeError('createAuthClient: a signer is required to sign in');
    const signer = options.signer;
    if (signal?.aborted) throw abortError(signal);
    store.set({ status: 'signing-in', reason: null, error: null, mfaMethods: null });
    try {
      const address = assertAddress(
        signInOptions.address ?? (await abortable(signer.getAddress(), signal)),
        network,
      );
      store.set({ address });
      const challenge = await transport.readJson<ChallengeResponse>(
        await abortable(
          transport.send(
            transport.jsonRequest('POST', '/challenge', { address }, undefined, signal),
          ),
          signal,
        ),
      );
      if (typeof challenge?.message !== 'string')
        throw new EvrmoreAuthClientError('invalid_response', 'the challenge answer has no message');
      checkChallenge(challenge.message, {
        expectedDomain: options.expectedDomain,
        expectedUri: options.expectedUri,
        address,
        chainId: network.chainId,
        now: options.now(),
      });
      const signature = assertSignatureEncoding(
        await abortable(signer.signMessage(challenge.message), signal),
      );
      const body = await abortable(
        transport
          .sendProved(
            transport.jsonRequest(
              'POST',
              '/verify',
              { message: challenge.message, signature },
              undefined,
              signal,
            ),
            null,
            refresher.binding,
          )
          .then((response) => transport.readJson<TokenResponse | MfaRequiredResponse>(response)),
        signal,
      );
      if (signal?.aborted) throw abortError(signal);
      if (typeof body === 'object' && body !== null && isMfaRequired(body)) {
        store.mfaToken = body.mfaToken;
        return store.set({
          status: 'mfa-required',
          mfaMethods: Array.isArray(body.methods) ? body.methods : [],
        });
      }
      refresher.acceptTokens(asTokenResponse(body, 'verify'));
      return store.state;
    } catch (err) {
      if (err instanceof EvrmoreAuthClientError && err.code === 'aborted') return aborted(err);
      if (signal?.aborted) return aborted(abortError(signal));
      return failed(err);
    }
  };

  const verifyMfa = async (code: string): Promise<AuthState> => {
    const mfaToken = store.mfaToken;
    if (mfaToken === null)
      throw new EvrmoreAuthClientError('mfa_not_pending', 'no second-factor step is pending');
    if (typeof code !== 'string' || code.trim().length === 0)
      throw new TypeError('verifyMfa: code must be a non-empty string');
    const methods: MfaMethod[] = [...(store.state.mfaMethods ?? [])];
    try {
      const body = await transport.readJson<unknown>(
        await transport.sendProved(
          transport.jsonRequest('POST', '/mfa/verify', { mfaToken, code: code.trim() }),
          null,
          refresher.binding,
        ),
      );
      refresher.acceptTokens(asTokenResponse(body, 'MFA'));
      return store.state;
    } catch (err) {
      if (err instanceof EvrmoreAuthError && err.code === 'mfa_invalid') {
        // A mistyped code: stay in mfa-required so the user can try again.
        store.set({ status: 'mfa-required', mfaMethods: methods, reason: err.code, error: err });
        throw err;
      }
      store.mfaToken = null;
      return failed(err);
    }
  };

  return { signIn, verifyMfa };
}
