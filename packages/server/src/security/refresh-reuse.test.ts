import { describe, expect, it } from 'vitest';
import { cookieValue, createHarness, problem, wallet, type Harness } from '../../test/harness.js';

const RT = '__Secure-evrmore-rt';
const FGP = '__Host-evrmore-fgp';
/** A refresh as the browser sends it: the refresh cookie and the fingerprint cookie of its sign-in. */
function refresh(
  h: Harness,
  token: string,
  headers: Record<string, string> = { 'x-requested-with': 'evrmore-auth' },
  fingerprint: string | null = lastFingerprint.get(h) ?? null,
) {
  const cookie = fingerprint === null ? `${RT}=${token}` : `${RT}=${token}; ${FGP}=${fingerprint}`;
  return h.request('POST', '/auth/refresh', { headers: { ...headers, cookie } });
}
const lastFingerprint = new WeakMap<Harness, string>();
async function signIn(h: Harness, seed?: string) {
  const s = await h.signIn(seed === undefined ? undefined : wallet(seed));
  lastFingerprint.set(h, s.fingerprint);
  return s;
}

describe('refresh rotation and reuse detection', () => {
  it('rotates on every use: a new cookie each time, and the new access token works', async () => {
    const h = await createHarness();
    const s = await signIn(h);
    h.tick(60_000);
    const r1 = await refresh(h, s.refreshToken);
    expect(r1.status).toBe(200);
    const t1 = cookieValue(r1, RT)!;
    expect(t1).not.toBe(s.refreshToken);
    const body = (await r1.json()) as { accessToken: string; session: { id: string } };
    expect(body.session.id).toBe(s.tokens.session.id);
    const me = await h.request('GET', '/auth/session', {
      headers: { ...s.authHeaders, authorization: `Bearer ${body.accessToken}` },
    });
    expect(me.status).toBe(200);
    const r2 = await refresh(h, t1);
    expect(r2.status).toBe(200);
    expect(cookieValue(r2, RT)).not.toBe(t1);
    expect(h.events.filter((e) => e.type === 'refresh.succeeded')).toHaveLength(2);
  });

  it('a concurrent duplicate within the grace window receives the identical token set', async () => {
    const h = await createHarness();
    const s = await signIn(h);
    const [a, b] = await Promise.all([refresh(h, s.refreshToken), refresh(h, s.refreshToken)]);
    expect(a.status).toBe(200);
    expect(b.status).toBe(200);
    const ja = (await a.json()) as { accessToken: string; expiresAt: string };
    const jb = (await b.json()) as { accessToken: string; expiresAt: string };
    expect(jb.accessToken).toBe(ja.accessToken);
    expect(jb.expiresAt).toBe(ja.expiresAt);
    expect(cookieValue(b, RT)).toBe(cookieValue(a, RT));
    // and 9 s later still the same set
    h.tick(9_000);
    const c = await refresh(h, s.refreshToken);
    expect(((await c.json()) as { accessToken: string }).accessToken).toBe(ja.accessToken);
  });

  it('reuse after the grace window (its successor used) revokes the session, emits refresh.reused and kills the access token', async () => {
    const h = await createHarness();
    const s = await signIn(h);
    const r1 = await refresh(h, s.refreshToken);
    const r2 = await refresh(h, cookieValue(r1, RT)!);
    const t1 = cookieValue(r2, RT)!;
    h.tick(10_000);
    const reuse = await refresh(h, s.refreshToken);
    expect(reuse.status).toBe(401);
    expect((await problem(reuse)).code).toBe('refresh_reused');
    expect(
      reuse.headers.getSetCookie().some((c) => c.startsWith(`${RT}=;`) && c.includes('Max-Age=0')),
    ).toBe(true);
    const ev = h.events.find((e) => e.type === 'refresh.reused');
    expect(ev).toMatchObject({
      sessionId: s.tokens.session.id,
      address: s.tokens.session.address,
      code: 'refresh_reused',
    });
    expect(JSON.stringify(h.events)).not.toContain(s.refreshToken);
    // the legitimate holder of the newest token is out too
    expect((await problem(await refresh(h, t1))).code).toBe('refresh_invalid');
    const me = await h.request('GET', '/auth/session', { headers: s.authHeaders });
    expect((await problem(me)).code).toBe('token_revoked');
  });

  it('idle lifetime: unused for 7 days the refresh token is refresh_invalid; used within it slides', async () => {
    const h = await createHarness();
    const s = await signIn(h);
    h.tick(6 * 86_400_000);
    const r1 = await refresh(h, s.refreshToken);
    expect(r1.status).toBe(200);
    const t1 = cookieValue(r1, RT)!;
    h.tick(7 * 86_400_000);
    const r2 = await refresh(h, t1);
    expect(r2.status).toBe(401);
    expect((await problem(r2)).code).toBe('refresh_invalid');
  });

  it('absolute lifetime: after 30 days refresh fails even when used daily', async () => {
    const h = await createHarness();
    const s = await signIn(h);
    let token = s.refreshToken;
    for (let day = 1; day < 30; day++) {
      h.tick(86_400_000);
      const r = await refresh(h, token);
      expect(r.status).toBe(200);
      token = cookieValue(r, RT)!;
    }
    h.tick(86_400_000);
    const last = await refresh(h, token);
    expect((await problem(last)).code).toBe('refresh_invalid');
  });

  it('without an allowed Origin or x-requested-with: 403 origin_forbidden; allowed Origin passes', async () => {
    const h = await createHarness();
    const s = await signIn(h);
    expect((await problem(await refresh(h, s.refreshToken, {}))).code).toBe('origin_forbidden');
    expect(
      (await problem(await refresh(h, s.refreshToken, { origin: 'https://evil.example' }))).code,
    ).toBe('origin_forbidden');
    const ok = await refresh(h, s.refreshToken, { origin: 'https://app.example.com' });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
  });

  it('missing, malformed and unknown refresh cookies are refresh_invalid', async () => {
    const h = await createHarness();
    const none = await h.request('POST', '/auth/refresh', {
      headers: { 'x-requested-with': 'evrmore-auth' },
    });
    expect((await problem(none)).code).toBe('refresh_invalid');
    expect((await problem(await refresh(h, 'garbage'))).code).toBe('refresh_invalid');
    const s = await signIn(h);
    const forged = `${s.tokens.session.id}.${'A'.repeat(43)}`;
    expect((await problem(await refresh(h, forged))).code).toBe('refresh_invalid');
    // a guessed token for a live session does not revoke it
    expect((await refresh(h, s.refreshToken)).status).toBe(200);
  });

  it("is bound to the fingerprint of its sign-in: a refresh cookie alone, or with another sign-in's fingerprint, is refused", async () => {
    const h = await createHarness();
    const other = await signIn(h, '07');
    const s = await signIn(h);
    const headers = { 'x-requested-with': 'evrmore-auth' };
    for (const fingerprint of [null, other.fingerprint, 'x'.repeat(43)]) {
      const res = await refresh(h, s.refreshToken, headers, fingerprint);
      expect(res.status).toBe(401);
      expect((await problem(res)).code).toBe('fingerprint_mismatch');
      expect(res.headers.getSetCookie().some((c) => c.startsWith(`${RT}=;`))).toBe(true);
    }
    // refused, not revoked: the browser that holds both cookies still refreshes
    expect(h.events.some((e) => e.type === 'session.revoked')).toBe(false);
    expect((await refresh(h, s.refreshToken, headers, s.fingerprint)).status).toBe(200);
  });
});
