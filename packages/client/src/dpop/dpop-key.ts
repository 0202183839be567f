// A DPoP key as the client uses it: proofs made by the `dpop` package (panva; Web Crypto, no JWS
// of our own), the servers' nonces remembered per origin, and the one nonce retry.
import { calculateThumbprint, generateProof, type KeyPair } from 'dpop';
import type { DpopKeySource, DpopSendOptions } from '../dpop-key-source.js';

/**
 * A DPoP key (RFC 9449): pass it as `createAuthClient({ dpop: key })`. Made by
 * {@link browserDpopKey}, {@link memoryDpopKey} or {@link dpopKeyFromPair}.
 *
 * @example
 * ```ts
 * const key: DpopKey = memoryDpopKey();
 * console.log(await key.thumbprint()); // the `cnf.jkt` of the tokens the server binds to it
 * ```
 */
export interface DpopKey extends DpopKeySource {
  /**
   * A fresh proof JWT for a request with method `htm` to `htu` (query and fragment are dropped),
   * with `ath` of `accessToken` when given. `nonce` defaults to the latest `DPoP-Nonce` this key
   * saw from `htu`'s origin. For requests made without `auth.fetch` (another HTTP client).
   */
  proof(htm: string, htu: string, options?: DpopProofOptions): Promise<string>;
  /** The RFC 7638 JWK thumbprint (SHA-256) of the public key: the `cnf.jkt` of bound tokens. */
  thumbprint(): Promise<string>;
}

/**
 * Options of {@link DpopKey.proof}.
 *
 * @example
 * ```ts
 * const proof = await key.proof('GET', 'https://api.example.com/me', { accessToken });
 * ```
 */
export interface DpopProofOptions {
  /** The access token the request carries: the proof gets its hash as `ath`. */
  accessToken?: string;
  /** The server's nonce. @default the latest `DPoP-Nonce` seen from the URL's origin */
  nonce?: string;
}

/** Where a key pair is kept: how to read it (making one when there is none) and replace it. */
export interface KeyPairStorage {
  load(): Promise<KeyPair>;
  rotate(): Promise<KeyPair>;
  /** Store `pair` as the key again: tokens were bound to it while it was being replaced. */
  keep(pair: KeyPair): Promise<void>;
}

/** Origins whose nonce is remembered; the client only sends proofs to the origins it is told. */
const MAX_NONCE_ORIGINS = 16;
/** A nonce as RFC 9449 section 8.1 allows it (NQCHAR), of a sane length. */
const NONCE = /^[\x21\x23-\x5b\x5d-\x7e]{1,1024}$/;

/** Whether `response` asks for a proof with the server's nonce (RFC 9449 sections 8 and 9). */
async function wantsNonce(response: Response): Promise<boolean> {
  if ((response.status !== 400 && response.status !== 401) || !response.headers.has('dpop-nonce'))
    return false;
  if (/use_dpop_nonce/.test(response.headers.get('www-authenticate') ?? '')) return true;
  const body = (await response
    .clone()
    .json()
    .catch(() => null)) as { code?: unknown; error?: unknown } | null;
  // The protocol's problem+json `code`, or OAuth's `error` (RFC 9449's token endpoint answer).
  return body?.code === 'use_dpop_nonce' || body?.error === 'use_dpop_nonce';
}

/** A {@link DpopKey} over a key pair kept in `storage`. */
export function createDpopKey(storage: KeyPairStorage): DpopKey {
  let current: Promise<KeyPair> | null = null;
  // Another tab's rotation of the stored key (see `reload`): the next load waits for its end.
  let rotation: Promise<void> = Promise.resolve();
  const nonces = new Map<string, string>();

  const pair = (): Promise<KeyPair> =>
    (current ??= rotation
      .then(() => storage.load())
      .catch((err: unknown) => {
        current = null;
        throw err;
      }));
  const remember = (origin: string, nonce: string | null): void => {
    if (nonce === null || !NONCE.test(nonce)) return;
    nonces.delete(origin);
    nonces.set(origin, nonce);
    if (nonces.size > MAX_NONCE_ORIGINS) nonces.delete(nonces.keys().next().value!);
  };
  const proofWith = (
    keys: KeyPair,
    htm: string,
    htu: string,
    options: DpopProofOptions = {},
  ): Promise<string> => {
    const url = new URL(htu);
    return generateProof(
      keys,
      `${url.origin}${url.pathname}`,
      htm,
      options.nonce ?? nonces.get(url.origin),
      options.accessToken,
    );
  };
  const sendOnce = async (
    request: Request,
    accessToken: string | null,
    send: (request: Request) => Promise<Response>,
    options: DpopSendOptions | undefined,
  ): Promise<Response> => {
    // `current` is replaced (rotate, reload, keep) whenever the key may change: a request that
    // binds tokens compares it with the promise its key came from when the answer comes.
    const held = pair();
    const keys = await held;
    const headers = new Headers(request.headers);
    headers.set(
      'dpop',
      await proofWith(
        keys,
        request.method,
        request.url,
        accessToken === null ? {} : { accessToken },
      ),
    );
    const response = await send(new Request(request, { headers }));
    // Any answer may carry the next nonce, not only a use_dpop_nonce refusal.
    remember(new URL(request.url).origin, response.headers.get('dpop-nonce'));
    if (options?.rebound && response.ok && current !== held) await keep(keys, options.rebound);
    return response;
  };
  /** Make `keys` the key again, once the rotation that replaced it has ended. */
  const keep = async (keys: KeyPair, rebound: () => void): Promise<void> => {
    // Another tab's rotation (told by `reload`), then this tab's own (`current` is its promise).
    await rotation;
    await current?.catch(() => undefined);
    current = Promise.resolve(keys);
    // A storage failure leaves this tab with the key; the others read what is stored.
    await storage.keep(keys).catch(() => undefined);
    rebound();
  };

  return {
    async send(request, accessToken, send, options) {
      // The first send consumes the body: keep a copy for the retry.
      const retry = request.clone();
      const response = await sendOnce(request, accessToken, send, options);
      if (!(await wantsNonce(response))) return response;
      // Not awaited: a tee'd body (read through a clone above) settles its cancel only later.
      void response.body?.cancel().catch(() => undefined);
      // Once: a second use_dpop_nonce goes back to the caller as the error it is.
      return sendOnce(retry, accessToken, send, options);
    },
    async rotate() {
      const next = storage.rotate();
      current = next;
      // Never rejects (the client does not wait for it): the next proof loads a key afresh and
      // reports the failure, if the storage still fails.
      await next.catch(() => {
        if (current === next) current = null;
      });
    },
    reload(rotated) {
      current = null;
      rotation = rotated ?? Promise.resolve();
    },
    async proof(htm, htu, options) {
      return proofWith(await pair(), htm, htu, options);
    },
    async thumbprint() {
      return calculateThumbprint((await pair()).publicKey);
    },
  };
}
