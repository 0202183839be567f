// Unit tests of the Durable Object store's two halves in Node, on a small in-memory fake of
// `state.storage` (sorted keys, alarms as plain values): option checks, the failure mapping of
// durableObjectStore, and the object's expiry. The store's behaviour is checked against workerd
// itself by the conformance suite (test/runtimes/durable-object-store.test.ts); this only adds
// fast checks of what that suite cannot force (a stub that rejects with a TypeError, a clock).
import { afterEach, describe, expect, it, vi } from 'vitest';
import { StoreUnavailableError, type ChallengeRecord } from '../store.js';
import type {
  DurableObjectNamespaceLike,
  DurableObjectStorageLike,
  StorageListOptions,
} from './durable-object/cloudflare-types.js';
import { EvrmoreAuthStoreObject } from './durable-object/object.js';
import { durableObjectStore } from './durable-object/store.js';

/** An in-memory `state.storage`: structured-cloned values, keys listed in order. */
function fakeStorage(): DurableObjectStorageLike & { keys(): string[]; alarm: number | null } {
  const data = new Map<string, unknown>();
  const storage = {
    alarm: null as number | null,
    keys: () => [...data.keys()].sort(),
    get(k: string | string[]) {
      if (typeof k === 'string') return Promise.resolve(structuredClone(data.get(k)));
      const out = new Map<string, unknown>();
      for (const key of k) if (data.has(key)) out.set(key, structuredClone(data.get(key)));
      return Promise.resolve(out);
    },
    put(k: string | Record<string, unknown>, value?: unknown) {
      const entries = typeof k === 'string' ? { [k]: value } : k;
      for (const [key, v] of Object.entries(entries)) data.set(key, structuredClone(v));
      return Promise.resolve();
    },
    delete(k: string | string[]) {
      const keys = typeof k === 'string' ? [k] : k;
      const n = keys.filter((key) => data.delete(key)).length;
      return Promise.resolve(typeof k === 'string' ? n === 1 : n);
    },
    list(o: StorageListOptions = {}) {
      const out = new Map<string, unknown>();
      for (const key of storage.keys()) {
        if (o.prefix !== undefined && !key.startsWith(o.prefix)) continue;
        if (o.start !== undefined && key < o.start) continue;
        if (o.end !== undefined && key >= o.end) continue;
        if (o.limit !== undefined && out.size >= o.limit) break;
        out.set(key, structuredClone(data.get(key)));
      }
      return Promise.resolve(out);
    },
    getAlarm: () => Promise.resolve(storage.alarm),
    setAlarm(at: number | Date) {
      storage.alarm = Number(at);
      return Promise.resolve();
    },
    transaction<T>(closure: (txn: DurableObjectStorageLike) => Promise<T>) {
      return closure(storage as unknown as DurableObjectStorageLike);
    },
  };
  return storage as unknown as DurableObjectStorageLike & {
    keys(): string[];
    alarm: number | null;
  };
}

/** A namespace of one object, reached by calling its fetch directly. */
function namespaceOf(object: { fetch(request: Request): Promise<Response> }) {
  return {
    idFromName: (name: string) => name,
    get: () => ({
      fetch: (url: string, init: RequestInit) => object.fetch(new Request(url, init)),
    }),
  } satisfies DurableObjectNamespaceLike;
}

const T0 = Date.parse('2026-12-01T00:00:00Z');
const challenge = (nonce: string, expiresAt: number): ChallengeRecord => ({
  nonce,
  message: `m-${nonce}`,
  address: 'E',
  domain: 'd',
  uri: 'https://d',
  chainId: 'evrmore:mainnet',
  issuedAt: T0,
  expiresAt,
});

afterEach(() => {
  vi.useRealTimers();
});

describe('durableObjectStore', () => {
  it('refuses a namespace that is not one, and a bad name, with a TypeError', () => {
    expect(() => durableObjectStore({} as never)).toThrow(
      new TypeError('durableObjectStore: namespace must be a Durable Object namespace binding'),
    );
    const ns = namespaceOf(new EvrmoreAuthStoreObject({ storage: fakeStorage() }, {}));
    expect(() => durableObjectStore(ns, { name: '' })).toThrow(TypeError);
  });

  it('fails closed: a stub that rejects (even with a TypeError), a 5xx, a body that is not JSON', async () => {
    const cause = new TypeError('Network connection lost.');
    const answers: (() => Promise<{ status: number; text(): Promise<string> }>)[] = [
      () => Promise.reject(cause),
      () => Promise.resolve({ status: 500, text: () => Promise.resolve('boom') }),
      () => Promise.resolve({ status: 200, text: () => Promise.resolve('<html>') }),
    ];
    for (const answer of answers) {
      const store = durableObjectStore({ idFromName: (n) => n, get: () => ({ fetch: answer }) });
      const err = await store.consumeChallenge('n').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(StoreUnavailableError);
      expect((err as StoreUnavailableError).status).toBe(503);
      expect((err as Error).message).toMatch(/^durable object store unavailable: consumeChallenge/);
      const limiter = store.createRateLimiter({ keyPrefix: 'p', points: 1, duration: 60 });
      await expect(limiter.consume('ip')).rejects.toBeInstanceOf(StoreUnavailableError);
    }
  });
});

describe('EvrmoreAuthStoreObject', () => {
  it('refuses bad options with a TypeError', () => {
    expect(
      () => new EvrmoreAuthStoreObject({ storage: fakeStorage() }, {}, { maxChallenges: 0 }),
    ).toThrow(new TypeError('EvrmoreAuthStoreObject: maxChallenges must be a positive integer'));
  });

  it('answers a malformed request with 400 and an unknown operation with 404', async () => {
    const object = new EvrmoreAuthStoreObject({ storage: fakeStorage() }, {});
    const post = (path: string, body: string) =>
      object.fetch(new Request(`https://store/${path}`, { method: 'POST', body }));
    const bad = await post('putOnce', '["k", "v", "soon"]');
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({
      error: 'bad_request',
      message: 'putOnce: 2 Invalid type: Expected number but received "soon"',
    });
    expect((await post('putOnce', '{')).status).toBe(400);
    // Longer than a storage key may be: refused before it reaches storage.
    expect((await post('takeOnce', JSON.stringify(['k'.repeat(3000)]))).status).toBe(400);
    expect((await post('constructor', '[]')).status).toBe(404);
    expect((await object.fetch(new Request('https://store/getSession'))).status).toBe(404);
  });

  it('the alarm drops what has expired and is set again only while something can expire', async () => {
    vi.useFakeTimers({ now: T0, toFake: ['Date'] });
    const storage = fakeStorage();
    const object = new EvrmoreAuthStoreObject({ storage }, {}, { sweepIntervalMs: 1000 });
    const store = durableObjectStore(namespaceOf(object));
    await store.putChallenge(challenge('a', T0 + 500));
    await store.putChallenge(challenge('b', T0 + 5000));
    await store.putOnce('k', 'v', T0 + 500);
    const limiter = store.createRateLimiter({ keyPrefix: 'p', points: 5, duration: 2 });
    await limiter.consume('ip');
    expect(storage.alarm).toBe(T0 + 1000); // armed by the first write, within sweepIntervalMs

    vi.setSystemTime(T0 + 1000);
    await object.alarm();
    expect(storage.keys().filter((k) => /^[col]:/.test(k))).toEqual(['c:b', 'l:p:ip']);
    expect(storage.alarm).toBe(T0 + 2000); // the counter's window ends next

    vi.setSystemTime(T0 + 2000);
    await object.alarm();
    expect(storage.alarm).toBe(T0 + 5000);
    vi.setSystemTime(T0 + 5000);
    await object.alarm();
    expect(storage.keys()).toEqual(['n']);
    expect(await storage.get('n')).toEqual({ c: 0, o: 0, s: 0, l: 0 });
    expect(storage.alarm).toBe(T0 + 5000); // not set again: nothing left to expire
    expect(await store.consumeChallenge('b')).toBeNull();
  });

  it('keeps IP allow/deny rules: replace, remove, expiry; a malformed rule is refused', async () => {
    const storage = fakeStorage();
    const object = new EvrmoreAuthStoreObject({ storage }, {});
    const store = durableObjectStore(namespaceOf(object));
    await store.putIpRule({
      list: 'deny',
      cidr: '203.0.113.0/24',
      note: 'a',
      createdAt: T0,
      expiresAt: null,
    });
    await store.putIpRule({
      list: 'deny',
      cidr: '203.0.113.0/24',
      note: 'b',
      createdAt: T0,
      expiresAt: T0 + 10,
    });
    await store.putIpRule({
      list: 'allow',
      cidr: '10.0.0.0/8',
      note: null,
      createdAt: T0,
      expiresAt: null,
    });
    expect(await store.listIpRules(T0)).toEqual([
      { list: 'deny', cidr: '203.0.113.0/24', note: 'b', createdAt: T0, expiresAt: T0 + 10 },
      { list: 'allow', cidr: '10.0.0.0/8', note: null, createdAt: T0, expiresAt: null },
    ]);
    expect((await store.listIpRules(T0 + 10)).map((r) => r.cidr)).toEqual(['10.0.0.0/8']);
    expect(await store.removeIpRule('allow', '10.0.0.0/8')).toBe(true);
    expect(await store.removeIpRule('allow', '10.0.0.0/8')).toBe(false);
    const bad = await object.fetch(
      new Request('https://evrmore-auth-store/putIpRule', {
        method: 'POST',
        body: JSON.stringify([
          { list: 'maybe', cidr: 'x', note: null, createdAt: 0, expiresAt: null },
        ]),
      }),
    );
    expect(bad.status).toBe(400);
  });
});
