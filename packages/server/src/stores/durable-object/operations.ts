// The store's operations as the object runs them (internal), each on an Ops view of storage. They
// await nothing but storage (see object.ts on atomicity).
import type { StoredIpRule } from '../../access/ip-lists.js';
import {
  advanceActivity,
  isLive,
  sessionsOverLimit,
  type ApiKeyRecord,
  type ChallengeRecord,
  type MfaRecord,
  type RotateRefreshResult,
} from '../../store.js';
import { REFRESH_HISTORY_LIMIT } from '../refresh-history.js';
import { byNewestKey } from '../api-key-order.js';
import { indexKey } from './keys.js';
import {
  counterDue,
  deleteAll,
  familyDue,
  key,
  type Counter,
  type Family,
  type Once,
  type Ops,
} from './ops.js';
import type { LimiterCounter, Operation, OperationArgs } from './protocol.js';

export type Handler<O extends Operation> = (ops: Ops, args: OperationArgs<O>) => Promise<unknown>;

/** Operations that only read: run without a transaction. */
export const READS = new Set<Operation>([
  'getSession',
  'listSessions',
  'getMfa',
  'getApiKey',
  'listApiKeys',
  'limiterGet',
  'listIpRules',
]);

export const HANDLERS: { [O in Operation]: Handler<O> } = {
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

  // The cap is counted, evicted and admitted in the object's one transaction: concurrent sign-ins
  // of one address run one after another.
  async createSession(ops, [session, refreshHash, limit]) {
    const tx = ops.tx;
    const evicted: string[] = [];
    if (limit) {
      const evict = sessionsOverLimit(await ops.sessionsOf(session.address), session, limit);
      if (evict === null) return { created: false, evicted: [] };
      for (const f of evict) {
        await ops.revoke(f, 'session_limit');
        evicted.push(f.session.id);
      }
    }
    const old = await tx.get<Family>(key.session(session.id));
    if (old) await ops.dropSession(old);
    await ops.makeRoom('s');
    ops.counts.s++;
    const f: Family = { session, current: refreshHash, rotated: [], last: null };
    await ops.saveFamily(f, null);
    await tx.put({
      [key.address(session.address) + session.id]: 1,
      [key.refresh(refreshHash)]: session.id,
    });
    return { created: true, evicted };
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

  async touchSession(ops, [id, lastSeenAt, idleExpiresAt]) {
    const f = await ops.tx.get<Family>(key.session(id));
    if (!f || !isLive(f.session, lastSeenAt)) return;
    const due = familyDue(f);
    advanceActivity(f.session, lastSeenAt, idleExpiresAt);
    await ops.saveFamily(f, due);
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

  async putApiKey(ops, [record]) {
    await ops.tx.put(key.apiKey(record.id), record);
  },

  async getApiKey(ops, [id]) {
    return (await ops.tx.get<ApiKeyRecord>(key.apiKey(id))) ?? null;
  },

  // Every key is read (admin-sized sets; no owner index to keep consistent).
  async listApiKeys(ops, [owner]) {
    const all = [...(await ops.tx.list<ApiKeyRecord>({ prefix: key.apiKeys })).values()];
    return all
      .filter((k) => owner === null || owner === undefined || k.owner === owner)
      .sort(byNewestKey);
  },

  async revokeApiKey(ops, [id, at]) {
    const k = await ops.tx.get<ApiKeyRecord>(key.apiKey(id));
    if (!k || k.revokedAt !== null) return false;
    k.revokedAt = at;
    await ops.tx.put(key.apiKey(id), k);
    return true;
  },

  async touchApiKey(ops, [id, at]) {
    const k = await ops.tx.get<ApiKeyRecord>(key.apiKey(id));
    if (!k || k.revokedAt !== null || (k.lastUsedAt !== null && k.lastUsedAt >= at)) return;
    k.lastUsedAt = at;
    await ops.tx.put(key.apiKey(id), k);
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

  async putIpRule(ops, [rule]) {
    const rules = (await ops.tx.get<StoredIpRule[]>(key.ipRules)) ?? [];
    const kept = rules.filter((r) => r.list !== rule.list || r.cidr !== rule.cidr);
    await ops.tx.put(key.ipRules, [...kept, rule]);
  },

  async removeIpRule(ops, [list, cidr]) {
    const rules = (await ops.tx.get<StoredIpRule[]>(key.ipRules)) ?? [];
    const kept = rules.filter((r) => r.list !== list || r.cidr !== cidr);
    if (kept.length === rules.length) return false;
    await ops.tx.put(key.ipRules, kept);
    return true;
  },

  async listIpRules(ops, [at]) {
    const rules = (await ops.tx.get<StoredIpRule[]>(key.ipRules)) ?? [];
    return rules.filter((r) => r.expiresAt === null || r.expiresAt > at);
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
