// durableObjectStore: an AuthStore whose every operation is one request to one Durable Object
// (EvrmoreAuthStoreObject), so all isolates of a Worker share challenges, sessions, revocations,
// MFA data and rate limits. Any failure to reach the object is an outage (fail closed, 503).
import type { IpListName, StoredIpRule } from '../../access/ip-lists.js';
import * as v from 'valibot';
import { StoreUnavailableError, type ApiKeyStore, type AuthStore } from '../../store.js';
import { factoryOptions, parseOptions, withMethods } from '../../config/validate.js';
import type { DurableObjectNamespaceLike } from './cloudflare-types.js';
import { durableObjectLimiter } from './limiter.js';
import { ORIGIN, type Operation } from './protocol.js';

/**
 * Options of {@link durableObjectStore}.
 *
 * @example
 * ```ts
 * const store = durableObjectStore(env.AUTH_STORE, { name: 'auth-staging' });
 * ```
 */
export interface DurableObjectStoreOptions {
  /**
   * The name of the one object that holds everything (`namespace.idFromName(name)`); stores with
   * the same name share state, other names are separate stores.
   * @default 'evrmore-auth'
   */
  name?: string;
}

/**
 * The Durable Object store.
 *
 * @example
 * ```ts
 * const store: DurableObjectStore = durableObjectStore(env.AUTH_STORE);
 * store.name; // 'durable-object'
 * ```
 */
export interface DurableObjectStore extends Omit<AuthStore, keyof ApiKeyStore>, ApiKeyStore {
  /** Add or replace an IP allow/deny rule (see `auth.ipLists`). */
  putIpRule(rule: StoredIpRule): Promise<void>;
  /** Remove an IP rule; `false` when there was none. */
  removeIpRule(list: IpListName, cidr: string): Promise<boolean>;
  /** The IP rules that have not expired at `now`. */
  listIpRules(now: number): Promise<StoredIpRule[]>;
  /** Always `durable-object` (in logs). */
  readonly name: 'durable-object';
  /** Nothing to release (the object holds the data); present for the {@link AuthStore} shape. */
  close?(): Promise<void>;
}

/** One request to the object (internal). */
export type StoreCall = <T>(op: Operation, args: unknown[]) => Promise<T>;

const STORE_OPTIONS = factoryOptions({
  name: v.optional(
    v.pipe(v.string('must be a non-empty string'), v.nonEmpty('must be a non-empty string')),
    'evrmore-auth',
  ),
});

const unavailable = (message: string, cause?: unknown) =>
  new StoreUnavailableError(
    `durable object store unavailable: ${message}`,
    cause === undefined ? {} : { cause },
  );

/**
 * Creates an {@link AuthStore} on a Durable Object namespace bound to
 * {@link EvrmoreAuthStoreObject}. Every operation is a request to one object (named by
 * `options.name`), which runs it atomically; every isolate of the Worker sees the same state.
 *
 * Fails closed: when the object cannot be reached (the stub's fetch rejects, the object throws or
 * answers 5xx) the operation rejects with `StoreUnavailableError` (503 `unavailable`), and so do
 * the rate limiters it creates.
 *
 * @example
 * ```ts
 * import { createEvrmoreAuth } from '@evrmore-auth/server';
 * import { durableObjectStore, EvrmoreAuthStoreObject } from '@evrmore-auth/server/cloudflare';
 *
 * export { EvrmoreAuthStoreObject };
 * export default {
 *   fetch(request: Request, env: Env) {
 *     auth ??= createEvrmoreAuth({ domain: 'example.com', keys, store: durableObjectStore(env.AUTH_STORE) });
 *     return auth.handler(request);
 *   },
 * };
 * ```
 */
export function durableObjectStore(
  namespace: DurableObjectNamespaceLike,
  options: DurableObjectStoreOptions = {},
): DurableObjectStore {
  parseOptions(
    'durableObjectStore',
    withMethods<DurableObjectNamespaceLike>(
      ['idFromName', 'get'],
      'must be a Durable Object namespace binding',
    ),
    namespace,
    { root: 'namespace' },
  );
  const { name } = parseOptions('durableObjectStore', STORE_OPTIONS, options);
  const id = namespace.idFromName(name);

  const call: StoreCall = async <T>(op: Operation, args: unknown[]): Promise<T> => {
    let status: number;
    let text: string;
    try {
      // A stub per call: a stub made while serving one request is not for another request's I/O.
      const reply = await namespace.get(id).fetch(`${ORIGIN}/${op}`, {
        method: 'POST',
        body: JSON.stringify(args),
        headers: { 'content-type': 'application/json' },
      });
      status = reply.status;
      text = await reply.text();
    } catch (err) {
      // Here even a TypeError is the platform failing to deliver (object reset, overloaded,
      // network), not a bug of ours: an outage.
      throw unavailable(`${op} failed`, err);
    }
    if (status !== 200)
      throw unavailable(`${op} answered ${status}`, new Error(text.slice(0, 200)));
    try {
      return JSON.parse(text) as T;
    } catch (err) {
      throw unavailable(`${op} answered with a body that is not JSON`, err);
    }
  };

  return {
    name: 'durable-object',
    putChallenge: (record) => call('putChallenge', [record]),
    consumeChallenge: (nonce) => call('consumeChallenge', [nonce]),
    createSession: (session, refreshHash, limit) =>
      call('createSession', [session, refreshHash, limit ?? null]),
    getSession: (id) => call('getSession', [id]),
    listSessions: (address, now) => call('listSessions', [address, now]),
    touchSession: (id, lastSeenAt, idleExpiresAt) =>
      call('touchSession', [id, lastSeenAt, idleExpiresAt ?? null]),
    revokeSession: (id, now, reason) => call('revokeSession', [id, now, reason]),
    revokeSessions: (address, now, reason, exceptId) =>
      call('revokeSessions', [address, now, reason, exceptId ?? null]),
    rotateRefresh: (input) => call('rotateRefresh', [input]),
    getMfa: (address) => call('getMfa', [address]),
    putMfa: (record) => call('putMfa', [record]),
    deleteMfa: (address) => call('deleteMfa', [address]),
    useTotpStep: (address, step) => call('useTotpStep', [address, step]),
    consumeBackupCode: (address, codeHash) => call('consumeBackupCode', [address, codeHash]),
    putOnce: (key, value, expiresAt) => call('putOnce', [key, value, expiresAt]),
    takeOnce: (key) => call('takeOnce', [key]),
    putApiKey: (record) => call('putApiKey', [record]),
    getApiKey: (id) => call('getApiKey', [id]),
    listApiKeys: (owner) => call('listApiKeys', [owner ?? null]),
    revokeApiKey: (id, at) => call('revokeApiKey', [id, at]),
    touchApiKey: (id, at) => call('touchApiKey', [id, at]),
    createRateLimiter: (o) => durableObjectLimiter(call, o),
    putIpRule: (rule) => call('putIpRule', [rule]),
    removeIpRule: (list, cidr) => call('removeIpRule', [list, cidr]),
    listIpRules: (at) => call('listIpRules', [at]),
  };
}
