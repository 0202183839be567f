import { describe, expect, it } from 'vitest';
import { createHarness, problem } from '../../test/harness.js';

const FGP = '__Host-evrmore-fgp';

describe('fingerprint (token sidejacking)', () => {
  it('a stolen access token without the fingerprint cookie is fingerprint_mismatch', async () => {
    const h = await createHarness();
    const s = await h.signIn();
    const res = await h.request('GET', '/auth/session', {
      headers: { authorization: s.authHeaders.authorization! },
    });
    expect(res.status).toBe(401);
    expect((await problem(res)).code).toBe('fingerprint_mismatch');
    await expect(
      h.auth.authenticate(
        new Request('https://app.example.com/api', {
          headers: { authorization: s.authHeaders.authorization! },
        }),
      ),
    ).rejects.toMatchObject({ code: 'fingerprint_mismatch' });
  });

  it('a stolen token with the attacker’s own (or another session’s) fingerprint cookie is refused', async () => {
    const h = await createHarness();
    const victim = await h.signIn();
    const attacker = await h.signIn();
    for (const cookie of [
      `${FGP}=${attacker.fingerprint}`,
      `${FGP}=${'A'.repeat(43)}`,
      `${FGP}=`,
      `other=${victim.fingerprint}`,
    ]) {
      const res = await h.request('GET', '/auth/session', {
        headers: { authorization: victim.authHeaders.authorization!, cookie },
      });
      expect((await problem(res)).code).toBe('fingerprint_mismatch');
    }
  });

  it('the right cookie authenticates; the fingerprint cookie is HttpOnly, Secure, SameSite=Strict, __Host-, Path=/', async () => {
    const h = await createHarness();
    const w = (await import('../../test/harness.js')).wallet();
    const { message } = await h.challenge(w);
    const res = await h.request('POST', '/auth/verify', {
      body: { message, signature: w.sign(message) },
    });
    const cookies = res.headers.getSetCookie();
    const fgp = cookies.find((c) => c.startsWith(`${FGP}=`))!;
    expect(fgp).toMatch(/; Path=\/;/);
    for (const attr of ['HttpOnly', 'Secure', 'SameSite=Strict']) expect(fgp).toContain(attr);
    const rt = cookies.find((c) => c.startsWith('__Secure-evrmore-rt='))!;
    expect(rt).toContain('Path=/auth;');
    for (const attr of ['HttpOnly', 'Secure', 'SameSite=Strict']) expect(rt).toContain(attr);
    const fgpValue = fgp.split(';')[0]!.slice(FGP.length + 1);
    expect(fgpValue).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const body = (await res.json()) as { accessToken: string };
    const ok = await h.auth.authenticate(
      new Request('https://app.example.com/api', {
        headers: { authorization: `Bearer ${body.accessToken}`, cookie: `a=b; ${FGP}=${fgpValue}` },
      }),
    );
    expect(ok.address).toBe(w.address);
  });
});
