// The browser's DPoP key: a non-extractable key pair kept in IndexedDB (the key, never a token),
// shared by the tabs of the origin, replaced on sign-out.
import type { KeyPair } from 'dpop';
import { createDpopKey, type DpopKey } from './dpop-key.js';
import { newKeyPair } from './memory-key.js';

/**
 * Options of {@link browserDpopKey}.
 *
 * @example
 * ```ts
 * const key = browserDpopKey({ name: 'admin-app' });
 * ```
 */
export interface BrowserDpopKeyOptions {
  /** The IndexedDB database. @default 'evrmore-auth-dpop' */
  database?: string;
  /**
   * The record (in the database's object store `keys`) holding the key pair: clients of one
   * origin that use the same name share the key.
   * @default 'default'
   */
  name?: string;
  /** The IndexedDB factory. @default globalThis.indexedDB */
  indexedDB?: IDBFactory;
}

/** The object store of the key pairs, keyed by {@link BrowserDpopKeyOptions.name}. */
const STORE = 'keys';

/** An IDB request as a promise. */
const done = <T>(request: IDBRequest<T>): Promise<T> =>
  new Promise<T>((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error ?? new Error('IndexedDB request failed'));
  });

const isPair = (value: unknown): value is KeyPair => {
  const pair = value as Partial<KeyPair> | null | undefined;
  return pair?.privateKey?.type === 'private' && pair.publicKey?.type === 'public';
};

/**
 * A DPoP key kept in the browser's IndexedDB: a non-extractable ECDSA P-256 key pair (ES256) made
 * with Web Crypto, stored as a `CryptoKeyPair` (the private key cannot be read out, not even by
 * this page's scripts; no token is ever stored) in the object store `keys` of the database
 * `evrmore-auth-dpop`, under `name`. It is loaded on first use (made when there is none), so a
 * reload keeps it and the refresh cookie bound to it stays usable; it is deleted and replaced when
 * the client signs out. Tabs of the origin share it: when two make it at once, the first stored
 * wins and both use that one. Needs IndexedDB at first use (not at creation: safe to create
 * during server-side rendering); without it, use {@link memoryDpopKey}.
 *
 * @example
 * ```ts
 * import { createAuthClient, injectedWalletSigner } from '@evrmore-auth/client';
 * import { browserDpopKey } from '@evrmore-auth/client/dpop';
 *
 * const auth = createAuthClient({ baseUrl: '/auth', signer: injectedWalletSigner(), dpop: browserDpopKey() });
 * ```
 */
export function browserDpopKey(options: BrowserDpopKeyOptions = {}): DpopKey {
  if (typeof options !== 'object' || options === null)
    throw new TypeError('browserDpopKey: options must be an object');
  const database = options.database ?? 'evrmore-auth-dpop';
  const name = options.name ?? 'default';
  if (typeof database !== 'string' || database === '' || typeof name !== 'string' || name === '')
    throw new TypeError('browserDpopKey: database and name must be non-empty strings');
  let db: Promise<IDBDatabase> | null = null;

  const open = (): Promise<IDBDatabase> =>
    (db ??= (async () => {
      const factory = options.indexedDB ?? (globalThis as { indexedDB?: IDBFactory }).indexedDB;
      if (!factory)
        throw new TypeError('browserDpopKey: IndexedDB is not available here; use memoryDpopKey()');
      const request = factory.open(database, 1);
      request.onupgradeneeded = () => request.result.createObjectStore(STORE);
      const opened = await done(request);
      // Another tab upgrading the database (a later version) must not be blocked by us.
      opened.onversionchange = () => {
        opened.close();
        db = null;
      };
      return opened;
    })().catch((err: unknown) => {
      db = null;
      throw err;
    }));
  const store = async (mode: IDBTransactionMode): Promise<IDBObjectStore> =>
    (await open()).transaction(STORE, mode).objectStore(STORE);

  const load = async (): Promise<KeyPair> => {
    const stored: unknown = await done((await store('readonly')).get(name));
    if (isPair(stored)) return stored;
    const pair = await newKeyPair();
    try {
      // `add`, not `put`: when another tab stored its key meanwhile, that one wins.
      await done((await store('readwrite')).add(pair, name));
      return pair;
    } catch (err) {
      const theirs: unknown = await done((await store('readonly')).get(name));
      if (isPair(theirs)) return theirs;
      throw err;
    }
  };

  return createDpopKey({
    load,
    async rotate() {
      await done((await store('readwrite')).delete(name));
      return load();
    },
    async keep(pair) {
      await done((await store('readwrite')).put(pair, name));
    },
  });
}
