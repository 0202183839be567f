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
// Bounded: challenges, single-use values, sessions and rate-limit counters each carry an expiry
// index entry (`x<kind>:<time>:<key>`, ordered by time), and the object's alarm drops whatever has
// expired (timers do not outlive a request in an isolate; an alarm does). Caps like the memory
// store's apply on top: a flood of challenges or counters pushes out the oldest ones; a full
// session table refuses new sessions (503) rather than dropping live ones.
import * as v from 'valibot';
import {
  isLive,
  type ChallengeRecord,
  type MfaRecord,
  type RotateRefreshResult,
  type SessionRecord,
} from '../../store.js';
import { factoryOptions, integer, parseOptions } from '../../config/validate.js';
import { REFRESH_HISTORY_LIMIT } from '../refresh-history.js';
import type { DurableObjectStateLike, StorageOperationsLike } from './cloudflare-types.js';
import { dueRange, indexKey, NEVER, storageKeys, type Kind } from './keys.js';
import { OPERATIONS, type LimiterCounter, type Operation, type OperationArgs } from './protocol.js';

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

const positive = (fallback: number) =>
  v.optional(integer(1, undefined, 'must be a positive integer'), fallback);
const OBJECT_OPTIONS = factoryOptions({
  maxChallenges: positive(100_000),
  maxSessions: positive(100_000),
  maxOnce: positive(100_000),
  maxRateLimitKeys: positive(100_000),
  sweepIntervalMs: positive(60_000),
});

type Tx = StorageOperationsLike;
type Counts = Record<Kind, number>;
const KINDS: Kind[] = ['c', 'o', 's', 'l'];

/** A refresh hash rotated away (see memory.ts's Rotated); its blob lives under its own key. */
interface Rotated {
  hash: string;
  rotatedAt: number;
  /** Whether its grace blob is still held. */
  blob: boolean;
  blobUntil: number;
}

/** A session with its refresh-token family, stored under `s:<id>`. */
interface Family {
  session: SessionRecord;
  current: string;
  /** Oldest first, at most REFRESH_HISTORY_LIMIT. */
  rotated: Rotated[];
  /** The most recently rotated hash (its successor is `current`, so far unused). */
  last: string | null;
}

interface Once {
  value: string;
  expiresAt: number;
}
interface Counter {
  points: number;
  /** `null`: the window never ends. */
  expiresAt: number | null;
}

/** Storage calls take at most 128 keys. */
const BATCH = 128;

const key = storageKeys;

/** When a family needs the sweep: its session's end, or the first grace blob to drop. */
function familyDue(f: Family): number {
  let at = Math.min(f.session.expiresAt, f.session.idleExpiresAt);
  for (const r of f.rotated) if (r.blob) at = Math.min(at, r.blobUntil);
  return at;
}
const counterDue = (c: Counter) => c.expiresAt ?? NEVER;

async function deleteAll(tx: Tx, keys: string[]): Promise<void> {
  for (let i = 0; i < keys.length; i += BATCH) await tx.delete(keys.slice(i, i + BATCH));
}

/** The session table is full of live sessions. */
class SessionCapReached extends Error {}

/** One operation's view of storage: the transaction, the clock and the entry counts. */
class Ops {
  constructor(
    readonly tx: Tx,
    readonly counts: Counts,
    private readonly limits: Counts,
    readonly now: number,
  ) {}

  // ---- expiry index and caps ----

  /** Drop up to `limit` entries of `kind` due by `at`; returns how many index entries it read. */
  async sweep(kind: Kind, at: number, limit = BATCH): Promise<number> {
    const due = await this.tx.list<string>({ ...dueRange(kind, at), limit });
    for (const [ix, target] of due) {
      if (kind !== 's') {
        await this.tx.delete([ix, target]);
        this.counts[kind]--;
        continue;
      }
      const f = await this.tx.get<Family>(target);
      if (!f) {
        await this.tx.delete(ix);
      } else if (f.session.expiresAt <= at || f.session.idleExpiresAt <= at) {
        await this.dropSession(f);
      } else {
        for (const r of f.rotated) if (r.blob && r.blobUntil <= at) await this.dropBlob(f, r);
        await this.saveFamily(f, familyDue(f));
      }
    }
    return due.size;
  }

  /** Before adding an entry of `kind`: drop expired ones, then (challenges, values, counters) the oldest. */
  async makeRoom(kind: Kind): Promise<void> {
    if (this.counts[kind] < this.limits[kind]) return;
    await this.sweep(kind, this.now);
    if (this.counts[kind] < this.limits[kind]) return;
    if (kind === 's') throw new SessionCapReached();
    const [oldest] = await this.tx.list<string>({ prefix: key.index(kind), limit: 1 });
    if (!oldest) return;
    await this.tx.delete([oldest[0], oldest[1]]);
    this.counts[kind]--;
  }

  // ---- sessions ----

  /** Write a family, moving its index entry from `previousDue` to its current due time. */
  async saveFamily(f: Family, previousDue: number): Promise<void> {
    const due = familyDue(f);
    if (due !== previousDue)
      await this.tx.delete(indexKey('s', previousDue, key.session(f.session.id)));
    await this.tx.put({
      [key.session(f.session.id)]: f,
      [indexKey('s', due, key.session(f.session.id))]: key.session(f.session.id),
    });
  }

  async dropBlob(f: Family, r: Rotated): Promise<void> {
    r.blob = false;
    await this.tx.delete(key.blob(f.session.id, r.hash));
  }

  /** Remove a session with everything of it (record, lookups, blobs, address and expiry index). */
  async dropSession(f: Family): Promise<void> {
    const id = f.session.id;
    await deleteAll(this.tx, [
      key.session(id),
      indexKey('s', familyDue(f), key.session(id)),
      key.address(f.session.address) + id,
      key.refresh(f.current),
      ...f.rotated.flatMap((r) =>
        r.blob ? [key.refresh(r.hash), key.blob(id, r.hash)] : [key.refresh(r.hash)],
      ),
    ]);
    this.counts.s--;
  }

  /** Revoke and free at once, as the memory store does: a revoked session never comes back. */
  async revoke(f: Family, reason: string): Promise<SessionRecord> {
    await this.dropSession(f);
    return { ...f.session, revokedAt: this.now, revokedReason: reason };
  }

  async sessionsOf(address: string): Promise<Family[]> {
    const ids = [...(await this.tx.list({ prefix: key.address(address) })).keys()].map((k) =>
      key.session(k.slice(key.address(address).length)),
    );
    const out: Family[] = [];
    for (let i = 0; i < ids.length; i += BATCH) {
      const found = await this.tx.get<Family>(ids.slice(i, i + BATCH));
      out.push(...found.values());
    }
    return out;
  }
}

type Handler<O extends Operation> = (ops: Ops, args: OperationArgs<O>) => Promise<unknown>;

/** Operations that only read: run without a transaction. */
const READS = new Set<Operation>(['getSession', 'listSessions', 'getMfa', 'limiterGet']);

const HANDLERS: { [O in Operation]: Handler<O> } = {
  async putChallenge(ops, [record]) {
    const tx = ops.tx;
    const k = key.challenge(record.nonce);
    const old = await tx.get<ChallengeRecord>(k);
    if (old) await tx.delete(indexKey('c', old.expiresAt, k));
    else {
      await ops.makeRoom('c');
      ops.counts.c++;
    }
    await tx.put({ [k]: record, [indexKey('c', record.expiresAt, k)]: k });
  },

  async consumeChallenge(ops, [nonce]) {
    const tx = ops.tx;
    const k = key.challenge(nonce);
    const record = await tx.get<ChallengeRecord>(k);
    if (!record) return null;
    await tx.delete([k, indexKey('c', record.expiresAt, k)]);
    ops.counts.c--;
    return record;
  },

  async createSession(ops, [session, refreshHash]) {
    const tx = ops.tx;
    const old = await tx.get<Family>(key.session(session.id));
    if (old) await ops.dropSession(old);
    await ops.makeRoom('s');
    ops.counts.s++;
    const f: Family = { session, current: refreshHash, rotated: [], last: null };
    await ops.saveFamily(f, familyDue(f));
    await tx.put({
      [key.address(session.address) + session.id]: 1,
      [key.refresh(refreshHash)]: session.id,
    });
  },

  async getSession(ops, [id]) {
    return (await ops.tx.get<Family>(key.session(id)))?.session ?? null;
  },

  async listSessions(ops, [address, now]) {
    const live = (await ops.sessionsOf(address))
      .map((f) => f.session)
      .filter((s) => isLive(s, now));
    return live.sort((a, b) => b.createdAt - a.createdAt || (a.id < b.id ? -1 : 1));
  },

  async touchSession(ops, [id, lastSeenAt]) {
    const f = await ops.tx.get<Family>(key.session(id));
    if (!f || f.session.revokedAt !== null) return;
    f.session.lastSeenAt = lastSeenAt;
    await ops.tx.put(key.session(id), f);
  },

  async revokeSession(ops, [id, , reason]) {
    const f = await ops.tx.get<Family>(key.session(id));
    if (!f || f.session.revokedAt !== null) return false;
    await ops.revoke(f, reason);
    return true;
  },

  async revokeSessions(ops, [address, now, reason, exceptId]) {
    let n = 0;
    for (const f of await ops.sessionsOf(address)) {
      if (f.session.id === exceptId || !isLive(f.session, now)) continue;
      await ops.revoke(f, reason);
      n++;
    }
    return n;
  },

  // The memory store's rotateRefresh, step for step, on the stored family.
  async rotateRefresh(ops, [input]): Promise<RotateRefreshResult> {
    const tx = ops.tx;
    const { now: t, presentedHash, graceMs } = input;
    const retryMs = input.retryMs ?? 0;
    const sid = await tx.get<string>(key.refresh(presentedHash));
    const f = sid === undefined ? undefined : await tx.get<Family>(key.session(sid));
    if (!f || !isLive(f.session, t)) return { kind: 'invalid' };
    const s = f.session;
    if (f.current === presentedHash) {
      const due = familyDue(f);
      // Every older blob's successor is used from now on: only its grace window is left.
      for (const r of f.rotated) {
        if (!r.blob) continue;
        if (t - r.rotatedAt >= graceMs) await ops.dropBlob(f, r);
        else r.blobUntil = Math.min(r.blobUntil, r.rotatedAt + graceMs);
      }
      f.rotated.push({
        hash: presentedHash,
        rotatedAt: t,
        blob: true,
        blobUntil: t + Math.max(graceMs, retryMs),
      });
      f.last = presentedHash;
      f.current = input.newHash;
      const forgotten = f.rotated.splice(0, Math.max(0, f.rotated.length - REFRESH_HISTORY_LIMIT));
      await deleteAll(
        tx,
        forgotten.flatMap((r) =>
          r.blob ? [key.refresh(r.hash), key.blob(s.id, r.hash)] : [key.refresh(r.hash)],
        ),
      );
      s.idleExpiresAt = input.idleExpiresAt;
      s.lastSeenAt = t;
      await tx.put({
        [key.refresh(input.newHash)]: s.id,
        [key.blob(s.id, presentedHash)]: input.graceBlob,
      });
      await ops.saveFamily(f, due);
      return { kind: 'rotated', session: s };
    }
    const r = f.rotated.find((x) => x.hash === presentedHash);
    if (!r) return { kind: 'invalid' };
    const age = t - r.rotatedAt;
    // A concurrent duplicate (graceMs), or a retry of a rotation whose answer was lost while its
    // successor is still unused (retryMs): the same token set.
    if (r.blob && (age < graceMs || (f.last === presentedHash && age < retryMs))) {
      const graceBlob = await tx.get<string>(key.blob(s.id, presentedHash));
      if (graceBlob !== undefined) return { kind: 'grace', session: s, graceBlob };
    }
    return { kind: 'reused', session: await ops.revoke(f, 'refresh_reused') };
  },

  async getMfa(ops, [address]) {
    return (await ops.tx.get<MfaRecord>(key.mfa(address))) ?? null;
  },

  async putMfa(ops, [record]) {
    await ops.tx.put(key.mfa(record.address), record);
  },

  async deleteMfa(ops, [address]) {
    await ops.tx.delete(key.mfa(address));
  },

  async useTotpStep(ops, [address, step]) {
    const m = await ops.tx.get<MfaRecord>(key.mfa(address));
    if (!m || !(step > m.lastTotpStep)) return false;
    m.lastTotpStep = step;
    await ops.tx.put(key.mfa(address), m);
    return true;
  },

  async consumeBackupCode(ops, [address, codeHash]) {
    const m = await ops.tx.get<MfaRecord>(key.mfa(address));
    const i = m ? m.backupCodeHashes.indexOf(codeHash) : -1;
    if (!m || i < 0) return false;
    m.backupCodeHashes.splice(i, 1);
    await ops.tx.put(key.mfa(address), m);
    return true;
  },

  async putOnce(ops, [k, value, expiresAt]) {
    const tx = ops.tx;
    const ok = key.once(k);
    const old = await tx.get<Once>(ok);
    if (old) await tx.delete(indexKey('o', old.expiresAt, ok));
    else {
      await ops.makeRoom('o');
      ops.counts.o++;
    }
    await tx.put({ [ok]: { value, expiresAt } satisfies Once, [indexKey('o', expiresAt, ok)]: ok });
  },

  async takeOnce(ops, [k]) {
    const tx = ops.tx;
    const ok = key.once(k);
    const entry = await tx.get<Once>(ok);
    if (!entry) return null;
    await tx.delete([ok, indexKey('o', entry.expiresAt, ok)]);
    ops.counts.o--;
    return entry.expiresAt <= ops.now ? null : entry.value;
  },

  async limiterGet(ops, [k]): Promise<LimiterCounter | null> {
    const c = await ops.tx.get<Counter>(key.counter(k));
    if (!c || counterDue(c) <= ops.now) return null;
    return [c.points, c.expiresAt === null ? -1 : c.expiresAt - ops.now];
  },

  // rate-limiter-flexible's upsert: add to a live window, else (or when forced) start a new one.
  async limiterUpsert(ops, [k, points, ms, force]): Promise<LimiterCounter> {
    const tx = ops.tx;
    const ck = key.counter(k);
    const old = await tx.get<Counter>(ck);
    const live = old !== undefined && counterDue(old) > ops.now;
    const next: Counter =
      live && !force
        ? { points: old.points + points, expiresAt: old.expiresAt }
        : { points, expiresAt: ms > 0 ? ops.now + ms : null };
    if (old) {
      if (counterDue(old) !== counterDue(next)) await tx.delete(indexKey('l', counterDue(old), ck));
    } else {
      await ops.makeRoom('l');
      ops.counts.l++;
    }
    await tx.put({ [ck]: next, [indexKey('l', counterDue(next), ck)]: ck });
    return [next.points, next.expiresAt === null ? -1 : next.expiresAt - ops.now];
  },

  async limiterDelete(ops, [k]) {
    const tx = ops.tx;
    const ck = key.counter(k);
    const old = await tx.get<Counter>(ck);
    if (!old) return false;
    await tx.delete([ck, indexKey('l', counterDue(old), ck)]);
    ops.counts.l--;
    return counterDue(old) > ops.now;
  },
};

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
 *     // createEvrmoreAuth({ store, ... }).fetch(request)
 *   },
 * };
 * ```
 */
export class EvrmoreAuthStoreObject {
  readonly #state: DurableObjectStateLike;
  readonly #limits: Counts;
  readonly #sweepIntervalMs: number;
  /** Whether an alarm is known to be set (checked against storage once per object lifetime). */
  #armed = false;

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

  /** Drops expired entries, and sets the next alarm while anything is left. */
  async alarm(): Promise<void> {
    this.#armed = false;
    const now = Date.now();
    let left = 0;
    for (const kind of KINDS) {
      let read = BATCH;
      while (read === BATCH) read = await this.#transaction(now, (ops) => ops.sweep(kind, now));
    }
    await this.#state.storage.transaction(async (tx) => {
      const counts = await tx.get<Counts>(key.counts);
      left = counts ? KINDS.reduce((sum, k) => sum + counts[k], 0) : 0;
    });
    if (left > 0) await this.#arm(now);
  }

  async #arm(now: number): Promise<void> {
    if (this.#armed) return;
    const storage = this.#state.storage;
    if ((await storage.getAlarm()) === null) await storage.setAlarm(now + this.#sweepIntervalMs);
    this.#armed = true;
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

const zero = (): Counts => ({ c: 0, o: 0, s: 0, l: 0 });
