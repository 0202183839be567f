// API keys (issue 19) in the store conformance suite: every store keeps the record as given
// (only a hash of the secret), lists by owner newest first, revokes atomically (once, on any
// instance), and a touch never revives a revoked key.
import { describe, expect, it } from 'vitest';
import type { ApiKeyRecord, ApiKeyStore, AuthStore } from '../../packages/server/src/store.js';

let counter = 0;
const hex = () =>
  (
    Date.now().toString(16) +
    (counter++).toString(16).padStart(4, '0') +
    Math.random().toString(16).slice(2)
  )
    .slice(0, 24)
    .padEnd(24, '0');

function apiKey(over: Partial<ApiKeyRecord> = {}): ApiKeyRecord {
  const id = hex();
  return {
    id,
    prefix: `evak_${id}`,
    hash: 'sha256-of-the-secret',
    owner: `Eowner${id}`,
    name: 'deploy bot ✓',
    permissions: ['posts:write', 'posts:read'],
    createdAt: Date.now(),
    expiresAt: null,
    ipAllowList: null,
    revokedAt: null,
    lastUsedAt: null,
    ...over,
  };
}

function keysOf(store: AuthStore): ApiKeyStore {
  const s = store as AuthStore & Partial<ApiKeyStore>;
  for (const m of ['putApiKey', 'getApiKey', 'listApiKeys', 'revokeApiKey', 'touchApiKey'] as const)
    if (typeof s[m] !== 'function') throw new Error(`${store.name} has no ${m}`);
  return s as ApiKeyStore;
}

/** The API-key part of the conformance suite; `get` returns the store and its peer. */
export function describeApiKeyConformance(get: () => { store: AuthStore; peer?: AuthStore }): void {
  describe('api keys', () => {
    const a = () => keysOf(get().store);
    const b = () => keysOf(get().peer ?? get().store);

    it('round-trips a record field for field (nulls, lists, unicode)', async () => {
      const full = apiKey({
        expiresAt: Date.now() + 60_000,
        ipAllowList: ['10.0.0.0/8', '2001:db8::/32'],
        name: null,
      });
      const bare = apiKey();
      expect(await a().getApiKey(full.id)).toBeNull();
      await a().putApiKey(full);
      await a().putApiKey(bare);
      expect(await b().getApiKey(full.id)).toEqual(full);
      expect(await b().getApiKey(bare.id)).toEqual(bare);
    });

    it('lists the keys of an owner newest first, revoked ones included', async () => {
      const owner = `Eowner${hex()}`;
      const t = Date.now();
      const k1 = apiKey({ owner, createdAt: t - 2000 });
      const k2 = apiKey({ owner, createdAt: t - 1000 });
      const k3 = apiKey({ owner, createdAt: t });
      const other = apiKey();
      for (const k of [k2, other, k1, k3]) await a().putApiKey(k);
      await a().revokeApiKey(k2.id, t + 5);
      const listed = await b().listApiKeys(owner);
      expect(listed.map((k) => k.id)).toEqual([k3.id, k2.id, k1.id]);
      expect(listed[1]?.revokedAt).toBe(t + 5);
      const all = (await b().listApiKeys()).map((k) => k.id);
      for (const k of [k1, k2, k3, other]) expect(all).toContain(k.id);
      expect(await a().listApiKeys(`Enobody${hex()}`)).toEqual([]);
    });

    it('revokes exactly once under concurrency, across instances', async () => {
      const k = apiKey();
      await a().putApiKey(k);
      const at = Date.now();
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) => (i % 2 ? b() : a()).revokeApiKey(k.id, at + i)),
      );
      expect(results.filter(Boolean)).toHaveLength(1);
      const got = await b().getApiKey(k.id);
      expect(got?.revokedAt).not.toBeNull();
      expect(await a().revokeApiKey(k.id, at + 100)).toBe(false);
      expect(await a().revokeApiKey(`${hex()}`, at)).toBe(false);
    });

    it('touch moves lastUsedAt forward only and never revives or creates a key', async () => {
      const k = apiKey();
      await a().putApiKey(k);
      const t = Date.now();
      await b().touchApiKey(k.id, t);
      expect((await a().getApiKey(k.id))?.lastUsedAt).toBe(t);
      await b().touchApiKey(k.id, t - 1000);
      expect((await a().getApiKey(k.id))?.lastUsedAt).toBe(t);
      await a().revokeApiKey(k.id, t + 1);
      await b().touchApiKey(k.id, t + 2);
      const got = await a().getApiKey(k.id);
      expect(got).toMatchObject({ revokedAt: t + 1, lastUsedAt: t });
      const ghost = hex();
      await a().touchApiKey(ghost, t);
      expect(await a().getApiKey(ghost)).toBeNull();
      expect((await a().listApiKeys()).some((x) => x.id === ghost)).toBe(false);
    });
  });
}
