// A refresh the store applied while its caller saw a 503 (a store timeout after the write): the
// client's retry with the same refresh cookie must get the token set, not revoke the session.
import { describe, expect, it } from 'vitest';
import { StoreUnavailableError, type AuthStore } from '../store.js';
import { createMemoryStore, type MemoryStore } from '../stores/memory.js';
import { cookieValue, createHarness, problem, T0, type Harness } from '../../test/harness.js';

/** A memory store whose next rotateRefresh applies the rotation, then fails like a timeout. */
function flakyStore(clock: () => number): MemoryStore & { failNextRotation: () => void } {
  const inner = createMemoryStore({ now: clock });
  let fail = false;
  return Object.assign(Object.create(inner) as MemoryStore, {
    failNextRotation: () => {
      fail = true;
    },
    async rotateRefresh(input: Parameters<AuthStore['rotateRefresh']>[0]) {
      const result = await inner.rotateRefresh(input);
      if (fail) {
        fail = false;
        throw new StoreUnavailableError('store timeout (the write was applied)');
      }
      return result;
    },
  });
}

async function setup() {
  const ref: { h?: Harness } = {}; // the store reads the harness's frozen clock
  const store = flakyStore(() => ref.h?.clock.t ?? T0);
  const quiet = () => {}; // the injected 503s are logged as internal errors
  const h = (ref.h = await createHarness({
    store,
    logger: { info: quiet, warn: quiet, error: quiet },
  }));
  const s = await h.signIn();
  const { fingerprintName, refreshName } = h.auth.config.cookies;
  /** POST /auth/refresh with the cookies a browser sends: fingerprint and refresh token. */
  const refresh = (token: string) =>
    h.request('POST', '/auth/refresh', {
      headers: {
        'x-requested-with': 'evrmore-auth',
        cookie: `${fingerprintName}=${s.fingerprint}; ${refreshName}=${token}`,
      },
    });
  return { h, s, store, refresh, refreshName };
}

describe('refresh retry after a 503', () => {
  it('a retry 30 s after a 503 gets 200 and a working token set; the session stays live', async () => {
    const { h, s, store, refresh, refreshName } = await setup();
    h.tick(60_000);
    store.failNextRotation();
    const first = await refresh(s.refreshToken);
    expect(first.status).toBe(503);
    expect((await problem(first)).code).toBe('unavailable');

    h.tick(30_000); // past the 10 s grace window, within the retry window
    const retry = await refresh(s.refreshToken);
    expect(retry.status).toBe(200);
    const body = (await retry.json()) as { accessToken: string; session: { id: string } };
    expect(body.session.id).toBe(s.tokens.session.id);
    const next = cookieValue(retry, refreshName)!;
    expect(next).toBeTruthy();
    expect(next).not.toBe(s.refreshToken);

    const me = await h.request('GET', '/auth/session', {
      headers: { ...s.authHeaders, authorization: `Bearer ${body.accessToken}` },
    });
    expect(me.status).toBe(200);
    // The retried set's refresh token is the live one: it rotates.
    const after = await refresh(next);
    expect(after.status).toBe(200);
    expect(h.events.some((e) => e.type === 'refresh.reused')).toBe(false);
    expect((await store.getSession(s.tokens.session.id))?.revokedAt).toBeNull();
  });

  it('the same retry after its successor was used is reuse (the session is revoked)', async () => {
    const { h, s, store, refresh, refreshName } = await setup();
    store.failNextRotation();
    expect((await refresh(s.refreshToken)).status).toBe(503);
    h.tick(30_000);
    const retry = await refresh(s.refreshToken);
    const next = cookieValue(retry, refreshName)!;
    h.tick(1_000);
    expect((await refresh(next)).status).toBe(200);
    h.tick(30_000);
    const late = await refresh(s.refreshToken);
    expect(late.status).toBe(401);
    expect((await problem(late)).code).toBe('refresh_reused');
    expect(await store.getSession(s.tokens.session.id)).toBeNull(); // freed at once
    const me = await h.request('GET', '/auth/session', { headers: s.authHeaders });
    expect((await problem(me)).code).toBe('token_revoked');
  });

  it('the retry window is refreshRetrySeconds: a retry at its last millisecond is 200, at its end reuse', async () => {
    const { h, s, store, refresh } = await setup();
    const retryMs = h.auth.config.refreshRetrySeconds * 1000;
    expect(retryMs).toBeGreaterThan(30_000);
    store.failNextRotation();
    expect((await refresh(s.refreshToken)).status).toBe(503);
    h.tick(retryMs - 1);
    expect((await refresh(s.refreshToken)).status).toBe(200);
    h.tick(1);
    expect((await problem(await refresh(s.refreshToken))).code).toBe('refresh_reused');
  });
});
