import { evrmore, type Network } from '@evrmore-auth/core';
import { EvrmoreAuthClientError } from '../errors.js';
import type { Signer } from './signer.js';
import { assertAddress, assertSignatureEncoding } from './validate.js';

/**
 * The API a wallet extension injects as `window.evrmore` (Satori GO).
 *
 * @example
 * ```ts
 * const { address } = await (window as { evrmore: InjectedEvrmoreProvider }).evrmore.connect();
 * ```
 */
export interface InjectedEvrmoreProvider {
  /** Ask the user to connect; resolves with the selected account. */
  connect(): Promise<{
    /** The selected account's address. */
    address: string;
  }>;
  /** Ask the user to sign `message` with the connected account. */
  signMessage(message: string): Promise<{
    /** The address that signed. */
    address: string;
    /** Base64 of the 65-byte compact signature (Evrmore Core's `signmessage` format). */
    signature: string;
  }>;
}

/**
 * Options of {@link injectedWalletSigner}.
 *
 * @example
 * ```ts
 * injectedWalletSigner({ timeoutMs: 5000 });
 * ```
 */
export interface InjectedWalletSignerOptions {
  /**
   * Where to find the provider.
   * @default globalThis (reads `globalThis.evrmore`)
   */
  window?: {
    /** The wallet's provider, injected by the extension. */
    evrmore?: InjectedEvrmoreProvider;
  } & Pick<EventTarget, 'addEventListener' | 'removeEventListener'>;
  /**
   * How long to wait for the `evrmore#initialized` event when the provider is not injected yet, ms.
   * @default 3000
   */
  timeoutMs?: number;
  /**
   * The network whose addresses are accepted.
   * @default evrmore (mainnet, `E…` addresses)
   */
  network?: Network;
  /** Timer functions, for tests. @default globalThis.setTimeout / clearTimeout */
  setTimeout?: (fn: () => void, ms: number) => unknown;
  /** Clears a timer made by `setTimeout`. @default globalThis.clearTimeout */
  clearTimeout?: (handle: unknown) => void;
}

function walletErrorCode(err: unknown): string | undefined {
  if (typeof err === 'string') return err;
  if (typeof err === 'object' && err !== null) {
    const e = err as { code?: unknown; message?: unknown; error?: unknown };
    for (const v of [e.code, e.error, e.message]) if (typeof v === 'string') return v;
  }
  return undefined;
}

function mapWalletError(err: unknown): EvrmoreAuthClientError {
  if (err instanceof EvrmoreAuthClientError) return err;
  const code = walletErrorCode(err);
  if (code?.includes('user-rejected'))
    return new EvrmoreAuthClientError('user_rejected', 'the request was rejected in the wallet', {
      cause: err,
    });
  if (code?.includes('not-connected'))
    return new EvrmoreAuthClientError('not_connected', 'the wallet is not connected to this site', {
      cause: err,
    });
  return new EvrmoreAuthClientError('wallet_error', 'the wallet failed to answer', { cause: err });
}

/**
 * A signer for a wallet extension that injects `window.evrmore` (the Satori GO API): `connect()`
 * for the address, `signMessage(message)` for the signature. Waits for the
 * `evrmore#initialized` event when the extension has not injected yet; maps `user-rejected` and
 * `not-connected` to {@link EvrmoreAuthClientError} codes `user_rejected` and `not_connected`;
 * refuses an address of another chain (a Ravencoin-mode wallet's R-address) with
 * `wrong_network`, and a signature made by another address than the connected one.
 *
 * @example
 * ```ts
 * import { createAuthClient, injectedWalletSigner } from '@evrmore-auth/client';
 * const auth = createAuthClient({ baseUrl: '/auth', signer: injectedWalletSigner() });
 * await auth.signIn();
 * ```
 */
export function injectedWalletSigner(options: InjectedWalletSignerOptions = {}): Signer {
  const network = options.network ?? evrmore;
  const timeoutMs = options.timeoutMs ?? 3000;
  if (!Number.isFinite(timeoutMs) || timeoutMs < 0)
    throw new TypeError('injectedWalletSigner: timeoutMs must be a non-negative number');
  const win = (options.window ?? globalThis) as NonNullable<InjectedWalletSignerOptions['window']>;
  const setT = options.setTimeout ?? ((fn, ms) => globalThis.setTimeout(fn, ms));
  const clearT =
    options.clearTimeout ??
    ((h: unknown) => globalThis.clearTimeout(h as ReturnType<typeof setTimeout>));
  let connected: string | undefined;

  const provider = (): Promise<InjectedEvrmoreProvider> => {
    if (win.evrmore) return Promise.resolve(win.evrmore);
    if (typeof win.addEventListener !== 'function') {
      return Promise.reject(
        new EvrmoreAuthClientError('wallet_not_found', 'no Evrmore wallet is installed'),
      );
    }
    return new Promise((resolve, reject) => {
      const onInit = (): void => {
        clearT(timer);
        if (win.evrmore) resolve(win.evrmore);
        else
          reject(new EvrmoreAuthClientError('wallet_not_found', 'no Evrmore wallet is installed'));
      };
      const timer = setT(() => {
        win.removeEventListener('evrmore#initialized', onInit);
        if (win.evrmore) resolve(win.evrmore);
        else
          reject(new EvrmoreAuthClientError('wallet_not_found', 'no Evrmore wallet is installed'));
      }, timeoutMs);
      win.addEventListener('evrmore#initialized', onInit, { once: true });
    });
  };

  return {
    async getAddress() {
      const wallet = await provider();
      let result: { address: string };
      try {
        result = await wallet.connect();
      } catch (err) {
        throw mapWalletError(err);
      }
      connected = assertAddress(result?.address, network);
      return connected;
    },
    async signMessage(message) {
      const wallet = await provider();
      let result: { address: string; signature: string };
      try {
        result = await wallet.signMessage(message);
      } catch (err) {
        throw mapWalletError(err);
      }
      const address = assertAddress(result?.address, network);
      if (connected !== undefined && address !== connected) {
        throw new EvrmoreAuthClientError(
          'wallet_error',
          `the wallet signed with ${address}, not the connected ${connected}`,
        );
      }
      return assertSignatureEncoding(result.signature);
    },
  };
}
