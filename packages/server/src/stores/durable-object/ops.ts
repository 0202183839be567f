// One operation's view of the object's storage (internal): the records' shapes, the expiry index
// and the caps.
//
// Bounded: challenges, single-use values, sessions and rate-limit counters each carry an expiry
// index entry (`x<kind>:<time>:<key>`, ordered by time), and the object's alarm drops whatever has
// expired (timers do not outlive a request in an isolate; an alarm does). Caps like the memory
// store's apply on top: a flood of challenges or counters pushes out the oldest ones; a full
// session table refuses new sessions (503) rather than dropping live ones.
import type { SessionRecord } from '../../store.js';
import type { StorageOperationsLike } from './cloudflare-types.js';
import { dueRange, indexKey, NEVER, storageKeys, type Kind } from './keys.js';

export type Tx = StorageOperationsLike;
export type Counts = Record<Kind, number>;
export const KINDS: Kind[] = ['c', 'o', 's', 'l'];

/** A refresh hash rotated away (see memory.ts's Rotated); its blob lives under its own key. */
export interface Rotated {
  hash: string;
  rotatedAt: number;
  /** Whether its grace blob is still held. */
  blob: boolean;
  blobUntil: number;
}

/** A session with its refresh-token family, stored under `s:<id>`. */
export interface Family {
  session: SessionRecord;
  current: string;
  /** Oldest first, at most REFRESH_HISTORY_LIMIT. */
  rotated: Rotated[];
  /** The most recently rotated hash (its successor is `current`, so far unused). */
  last: string | null;
}

export interface Once {
  value: string;
  expiresAt: number;
}
export interface Counter {
  points: number;
  /** `null`: the window never ends. */
  expiresAt: number | null;
}

/** Storage calls take at most 128 keys. */
export const BATCH = 128;

export const key = storageKeys;

/** When a family needs the sweep: its session's end, or the first grace blob to drop. */
export function familyDue(f: Family): number {
  let at = Math.min(f.session.expiresAt, f.session.idleExpiresAt);
  for (const r of f.rotated) if (r.blob) at = Math.min(at, r.blobUntil);
  return at;
}
export const counterDue = (c: Counter) => c.expiresAt ?? NEVER;

export async function deleteAll(tx: Tx, keys: string[]): Promise<void> {
  for (let i = 0; i < keys.length; i += BATCH) await tx.delete(keys.slice(i, i + BATCH));
}

/** The session table is full of live sessions. */
export class SessionCapReached extends Error {}

/** One operation's view of storage: the transaction, the clock and the entry counts. */
export class Ops {
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
      // The entry read is the one to replace, whatever the family now says.
      await this.tx.delete(ix);
      const f = await this.tx.get<Family>(target);
      if (!f) continue;
      if (f.session.expiresAt <= at || f.session.idleExpiresAt <= at) {
        await this.dropSession(f);
      } else {
        for (const r of f.rotated) if (r.blob && r.blobUntil <= at) await this.dropBlob(f, r);
        await this.saveFamily(f, null);
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

  /**
   * Write a family, moving its index entry from `previousDue` (its due time before this
   * operation changed it; `null`: already removed) to its current due time.
   */
  async saveFamily(f: Family, previousDue: number | null): Promise<void> {
    const due = familyDue(f);
    if (previousDue !== null && due !== previousDue)
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

/** No entries yet. */
export const zero = (): Counts => ({ c: 0, o: 0, s: 0, l: 0 });
