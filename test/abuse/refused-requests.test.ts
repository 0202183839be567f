// Attack family 7: requests the per-IP limit already refused used to create per-address keys, so
// one IP could make the store hold a key for any number of addresses (and spend their budgets).
// The address step now runs only after the per-IP step passed: after a flood of challenges for
// 100 distinct addresses, the store holds exactly as many IP + address keys as were allowed.
import { Redis } from 'ioredis';
import pg from 'pg';
import { expect, it } from 'vitest';
import type { AuthStore } from '@evrmore-auth/server';
import { DATABASE_URL, REDIS_URL } from '../helpers/services.js';
import {
  ATTACKER_IP,
  newWallet,
  onEveryStore,
  send,
  serversOn,
  signIn,
  VICTIM_IP,
  type StoreKind,
} from './harness.js';

/** Keys the store holds under a rate-limit prefix. Memory: the keys consumed through the
 *  store's own limiters (rate-limiter-flexible's memory storage has no listing). */
async function keysUnder(kind: StoreKind, where: string, seen: Set<string>, prefix: string) {
  if (kind === 'memory') return [...seen].filter((k) => k.startsWith(prefix)).length;
  if (kind === 'redis') {
    const r = new Redis(REDIS_URL);
    try {
      return (await r.keys(`${where}*${prefix}*`)).length;
    } finally {
      r.disconnect();
    }
  }
  const c = new pg.Client({ connectionString: DATABASE_URL });
  await c.connect();
  try {
    const res = await c.query<{ n: string }>(
      `SELECT count(*) AS n FROM "${where}".rate_limits WHERE key LIKE $1`,
      [`${prefix}%`],
    );
    return Number(res.rows[0]!.n);
  } finally {
    await c.end();
  }
}

await onEveryStore('refused requests leave no keys', (kind) => {
  const start = serversOn(kind);

  it('a challenge flood over 100 addresses stores only the 30 allowed IP + address keys', async () => {
    const seen = new Set<string>();
    // memory: count the keys consumed through the store's own limiters
    const countKeys = (store: AuthStore): AuthStore =>
      Object.assign(Object.create(Object.getPrototypeOf(store) as object), store, {
        createRateLimiter(o: Parameters<AuthStore['createRateLimiter']>[0]) {
          const l = store.createRateLimiter(o);
          const consume = l.consume.bind(l);
          l.consume = (...args: Parameters<typeof consume>) => {
            seen.add(`${o.keyPrefix}:${String(args[0])}`);
            return consume(...args);
          };
          return l;
        },
      }) as AuthStore;
    const { server, made } = await start(kind === 'memory' ? { wrap: countKeys } : {});
    const statuses: number[] = [];
    for (let i = 0; i < 100; i++)
      statuses.push(
        (
          await send(server, ATTACKER_IP, 'POST', '/auth/challenge', {
            body: { address: newWallet().address },
          })
        ).status,
      );
    expect(statuses.filter((s) => s === 201)).toHaveLength(30);
    expect(statuses.filter((s) => s === 429)).toHaveLength(70);
    expect(await keysUnder(kind, made.prefix, seen, 'ea:rl:ch:ipa')).toBe(30);
    expect((await signIn(server, VICTIM_IP, newWallet())).verify?.status).toBe(200);
  });
});
