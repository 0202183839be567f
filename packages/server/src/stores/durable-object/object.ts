// The Durable Object behind durableObjectStore: one object holds every challenge, session, refresh
// family, MFA record and rate-limit counter, in its own storage, so every isolate of a Worker sees
// the same state.
//
// Atomicity: Cloudflare runs one object in one place, single-threaded, and its input gate delivers
// no other request while it awaits a storage operation. Every operation here awaits nothing but
// storage, so no two operations ever interleave: a consume-once, rotate-once, TOTP step, backup
// code or revocation is decided on state nobody else can change in between. Each write operation
// also runs inside `storage.transaction`, so its several writes (record, lookups, expiry index,
// counts) commit together or not at all, even if the object is reset half-way.
//
// Bounded: see ops.ts (an expiry index swept by the object's alarm, and caps).
import * as v from 'valibot';
import { factoryOptions, parseOptions, positiveInteger } from '../../config/validate.js';
import type { DurableObjectStateLike } from './cloudflare-types.js';
import { indexTime } from './keys.js';
import { HANDLERS, READS, type Handler } from './operations.js';
import { BATCH, key, KINDS, Ops, SessionCapReached, zero, type Counts } from './ops.js';
import { OPERATIONS, type Operation, type OperationArgs } from './protocol.js';

/**
 * Options of {@link EvrmoreAuthStoreObject}, passed by a subclass to `super(state, env, options)`.
 *
 * @example
 * ```ts
 * export class AuthStore extends EvrmoreAuthStoreObject {
 *   constructor(state: DurableObjectStateLike, env: unknown) {
 *     super(state, env, { maxChallenges: 20_000 });
 *   }
 * }
 * ```
 */
export interface EvrmoreAuthStoreObjectOptions {
  /**
   * Most challenges held at once; when full, expired ones go first, then the oldest.
   * @default 100_000
   */
  maxChallenges?: number;
  /**
   * Most sessions held at once; when full after dropping expired ones, creating a session fails
   * with `StoreUnavailableError` (503): live sessions are never evicted.
   * @default 100_000
   */
  maxSessions?: number;
  /**
   * Most single-use values (`putOnce`); evicted like challenges.
   * @default 100_000
   */
  maxOnce?: number;
  /**
   * Most rate-limit counters; when full, expired ones go first, then the one ending soonest.
   * @default 100_000
   */
  maxRateLimitKeys?: number;
  /**
   * How often (ms) the alarm drops expired entries while the object holds any.
   * @default 60_000
   */
  sweepIntervalMs?: number;
}

const OBJECT_OPTIONS = factoryOptions({
  maxChallenges: positiveInteger(100_000),
  maxSessions: positiveInteger(100_000),
  maxOnce: positiveInteger(100_000),
  maxRateLimitKeys: positiveInteger(100_000),
  sweepIntervalMs: positiveInteger(60_000),
});

const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json' },
  });

/**
 * The Durable Object that {@link durableObjectStore} talks to. Export it from your Worker's main
 * module and bind it (wrangler `durable_objects` plus a `migrations` entry); every isolate's store
 * then reaches the same object, which keeps challenges, sessions, refresh families, revocations,
 * MFA data and rate-limit counters in its storage. Each operation is atomic inside the object;
 * expired entries are dropped by the object's alarm. Pass options by subclassing.
 *
 * @example
 * ```ts
 * // worker.ts
 * import { EvrmoreAuthStoreObject, durableObjectStore } from '@evrmore-auth/server/cloudflare';
 * export { EvrmoreAuthStoreObject };
 * export default {
 *   fetch(request: Request, env: { AUTH_STORE: DurableObjectNamespace }) {
 *     const store = durableObjectStore(env.AUTH_STORE);
 *     // auth ??= createEvrmoreAuth({ store, ... }); return auth.handler(request);
 *   },
 * };
 * ```
 */
export class EvrmoreAuthStoreObject {
  readonly #state: DurableObjectStateLike;
  readonly #limits: Counts;
  readonly #sweepIntervalMs: number;
  /** The alarm's time as last read or set (`undefined`: not read yet in this object's life). */
  #alarmAt: number | null | undefined;

  constructor(
    state: DurableObjectStateLike,
    env: unknown,
    options: EvrmoreAuthStoreObjectOptions = {},
  ) {
    void env;
    const o = parseOptions('EvrmoreAuthStoreObject', OBJECT_OPTIONS, options);
    this.#state = state;
    this.#limits = { c: o.maxChallenges, o: o.maxOnce, s: o.maxSessions, l: o.maxRateLimitKeys };
    this.#sweepIntervalMs = o.sweepIntervalMs;
  }

  /** Answers one store operation (the body of a request from {@link durableObjectStore}). */
  async fetch(request: Request): Promise<Response> {
    const op = new URL(request.url).pathname.slice(1);
    if (request.method !== 'POST' || !Object.hasOwn(OPERATIONS, op))
      return json(404, { error: 'not_found', message: 'unknown store operation' });
    const operation = op as Operation;
    let body: unknown;
    try {
      body = JSON.parse(await request.text());
    } catch {
      return json(400, { error: 'bad_request', message: `${operation}: body is not JSON` });
    }
    const parsed = v.safeParse(OPERATIONS[operation], body);
    if (!parsed.success)
      return json(400, {
        error: 'bad_request',
        message: `${operation}: ${v.getDotPath(parsed.issues[0]) ?? 'arguments'} ${parsed.issues[0].message}`,
      });
    try {
      return json(200, (await this.#run(operation, parsed.output)) ?? null);
    } catch (err) {
      if (err instanceof SessionCapReached)
        return json(503, { error: 'unavailable', message: 'session cap reached' });
      throw err;
    }
  }

  /**
   * Drops expired entries, then sets the next alarm: at the first entry due, but no sooner than
   * `sweepIntervalMs` from now (none when nothing is left to expire).
   */
  async alarm(): Promise<void> {
    // Unknown until this run sets it: should it fail, the next write reads the alarm again.
    this.#alarmAt = undefined;
    const now = Date.now();
    for (const kind of KINDS) {
      let read = BATCH;
      while (read === BATCH) read = await this.#transaction(now, (ops) => ops.sweep(kind, now));
    }
    const storage = this.#state.storage;
    let next: number | null = null;
    for (const kind of KINDS) {
      const [first] = await storage.list({ prefix: key.index(kind), limit: 1 });
      const due = first ? indexTime(first[0]) : null;
      if (due !== null && (next === null || due < next)) next = due;
    }
    this.#alarmAt = next === null ? null : Math.max(next, now + this.#sweepIntervalMs);
    if (this.#alarmAt !== null) await storage.setAlarm(this.#alarmAt);
  }

  /** After a write: an alarm at most `sweepIntervalMs` away, so new entries do not outlive it by much. */
  async #arm(now: number): Promise<void> {
    const storage = this.#state.storage;
    this.#alarmAt ??= await storage.getAlarm();
    const latest = now + this.#sweepIntervalMs;
    if (this.#alarmAt === null || this.#alarmAt > latest) {
      this.#alarmAt = latest;
      await storage.setAlarm(latest);
    }
  }

  async #run<O extends Operation>(op: O, args: OperationArgs<O>): Promise<unknown> {
    const now = Date.now();
    const handler = HANDLERS[op] as Handler<O>;
    if (READS.has(op))
      return handler(new Ops(this.#state.storage, zero(), this.#limits, now), args);
    const result = await this.#transaction(now, (ops) => handler(ops, args));
    await this.#arm(now);
    return result;
  }

  /** Runs `fn` in a transaction, with the entry counts read at its start and saved at its end. */
  #transaction<T>(now: number, fn: (ops: Ops) => Promise<T>): Promise<T> {
    return this.#state.storage.transaction(async (tx) => {
      const counts = { ...zero(), ...(await tx.get<Counts>(key.counts)) };
      const before = JSON.stringify(counts);
      const result = await fn(new Ops(tx, counts, this.#limits, now));
      if (JSON.stringify(counts) !== before) await tx.put(key.counts, counts);
      return result;
    });
  }
}
