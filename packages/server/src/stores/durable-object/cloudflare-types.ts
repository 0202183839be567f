// The few Cloudflare Workers types the Durable Object store touches, described structurally so the
// package's public .d.ts does not depend on @cloudflare/workers-types (and loads under Node).
// Workers' own DurableObjectNamespace, DurableObjectState and DurableObjectStorage satisfy them.

/**
 * The part of a Durable Object namespace binding (`env.AUTH_STORE`) the store uses.
 *
 * @example
 * ```ts
 * const store = durableObjectStore(env.AUTH_STORE satisfies DurableObjectNamespaceLike);
 * ```
 */
export interface DurableObjectNamespaceLike {
  /** The id of the object called `name` (the same name gives the same object everywhere). */
  idFromName(name: string): unknown;
  /** A stub of the object with `id`; its `fetch` delivers a request to that object. */
  get(id: unknown): DurableObjectStubLike;
}

/**
 * A stub of one Durable Object: what `namespace.get(id)` returns.
 *
 * @example
 * ```ts
 * const reply = await stub.fetch('https://store/getSession', { method: 'POST', body: '["id"]' });
 * ```
 */
export interface DurableObjectStubLike {
  /** Deliver a request to the object's `fetch` handler. */
  fetch(
    input: string,
    init: {
      /** Always `POST`. */
      method: string;
      /** The operation's arguments, as JSON. */
      body: string;
      /** `content-type: application/json`. */
      headers: Record<string, string>;
    },
  ): Promise<{
    /** The object's HTTP status (200, or the reason it refused). */
    status: number;
    /** The body: the operation's result as JSON. */
    text(): Promise<string>;
  }>;
}

/**
 * Options of a storage `list()` call.
 *
 * @example
 * ```ts
 * const page: StorageListOptions = { prefix: 'c:', limit: 128 };
 * ```
 */
export interface StorageListOptions {
  /** Keys ≥ this. */
  start?: string;
  /** Keys < this. */
  end?: string;
  /** Keys that start with this. */
  prefix?: string;
  /** At most this many. */
  limit?: number;
}

/**
 * The key-value part of a Durable Object's storage (`state.storage`) and of a transaction
 * (`storage.transaction(txn => …)`): the API both KV-backed and SQLite-backed objects offer.
 *
 * @example
 * ```ts
 * const value = await storage.get<string>('key');
 * ```
 */
export interface StorageOperationsLike {
  /** One value, or `undefined`. */
  get<T = unknown>(key: string): Promise<T | undefined>;
  /** Several values (at most 128 keys), as a map of the keys found. */
  get<T = unknown>(keys: string[]): Promise<Map<string, T>>;
  /** Store one value. */
  put<T>(key: string, value: T): Promise<void>;
  /** Store several values (at most 128). */
  put<T>(entries: Record<string, T>): Promise<void>;
  /** Delete one key; whether it existed. */
  delete(key: string): Promise<boolean>;
  /** Delete several keys (at most 128); how many existed. */
  delete(keys: string[]): Promise<number>;
  /** Entries in key order. */
  list<T = unknown>(options?: StorageListOptions): Promise<Map<string, T>>;
  /** The alarm's time (epoch ms), or `null` when none is set. */
  getAlarm(): Promise<number | null>;
  /** Set (or move) the object's one alarm. */
  setAlarm(scheduledTime: number | Date): Promise<void>;
}

/**
 * A Durable Object's storage (`state.storage`).
 *
 * @example
 * ```ts
 * await storage.transaction(async (txn) => txn.put('key', 1));
 * ```
 */
export interface DurableObjectStorageLike extends StorageOperationsLike {
  /** Run `closure` as one transaction: its writes commit together or not at all. */
  transaction<T>(closure: (txn: StorageOperationsLike) => Promise<T>): Promise<T>;
}

/**
 * The state a Durable Object's constructor receives (`ctx` / `state`).
 *
 * @example
 * ```ts
 * export class AuthStore extends EvrmoreAuthStoreObject {
 *   constructor(state: DurableObjectStateLike, env: unknown) { super(state, env); }
 * }
 * ```
 */
export interface DurableObjectStateLike {
  /** The object's storage. */
  readonly storage: DurableObjectStorageLike;
}
