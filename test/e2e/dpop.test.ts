// DPoP in the full-stack demo (issue 20), in headless Chromium: browser A signs in with its
// non-extractable key and calls the API on the demo's second origin; its access token and its
// refresh and fingerprint cookies are copied into browser B, which has no key: B's refresh, its
// calls to the auth origin and to the API origin are refused, and A carries on. Screenshots in
// test-output/e2e/dpop-*.png.

import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, skipWithoutChromium } from '../helpers/chromium.js';
import { freePort, repoRoot, startDemo, type RunningDemo } from './demo-process.js';
import { watchPage } from './page-watch.js';

const skip = skipWithoutChromium('DPoP browser test');

const shots = join(repoRoot, 'test-output', 'e2e');

/** What a request from page B answered: status, problem code, WWW-Authenticate. */
interface Answer {
  status: number;
  code: string | null;
  challenge: string | null;
}

describe.skipIf(skip)(
  'DPoP in the demo: a stolen token and cookies are useless in another browser',
  () => {
    let demo: RunningDemo;
    let browser: Browser;
    let apiOrigin: string;
    const contexts: BrowserContext[] = [];

    beforeAll(async () => {
      mkdirSync(shots, { recursive: true });
      const [port, apiPort] = [await freePort(), await freePort()];
      apiOrigin = `http://localhost:${apiPort}`;
      [demo, browser] = await Promise.all([
        startDemo({
          PORT: String(port),
          API_PORT: String(apiPort),
          REDIS_URL: '',
          DATABASE_URL: '',
        }),
        launchChromium(),
      ]);
    }, 180_000);

    afterAll(async () => {
      await Promise.allSettled(contexts.map((c) => c.close()));
      await browser?.close();
      await demo?.stop();
    }, 30_000);

    const testId = (page: Page, id: string) => page.locator(`[data-testid="${id}"]`);
    const expectStatus = (page: Page, status: string) =>
      page.waitForSelector(`[data-testid="status"][data-status="${status}"]`, { timeout: 15_000 });

    async function newContext(): Promise<BrowserContext> {
      const context = await browser.newContext({ viewport: { width: 1180, height: 860 } });
      contexts.push(context);
      return context;
    }

    /**
     * `fetch` from inside `page` (its origin, no DPoP key of the victim), with its cookies to its
     * own origin; none to the API origin, which does not allow credentials.
     */
    const fetchFrom = (
      page: Page,
      url: string,
      init: { method?: string; headers?: Record<string, string> },
    ): Promise<Answer> =>
      page.evaluate(
        async ({ url, init }) => {
          const credentials = new URL(url).origin === location.origin ? 'include' : 'omit';
          const res = await fetch(url, { ...init, credentials });
          const body = (await res.json().catch(() => null)) as { code?: string } | null;
          return {
            status: res.status,
            code: body?.code ?? null,
            challenge: res.headers.get('www-authenticate'),
          };
        },
        { url, init },
      );

    it("A signs in with DPoP and calls the other origin; B with A's token and cookies is refused everywhere; A still works", async () => {
      // ---- browser A: sign in (the client makes its key in IndexedDB and sends proofs).
      const contextA = await newContext();
      const pageA = await contextA.newPage();
      const watchA = watchPage(pageA, 'browser A');
      watchA.allow('POST', /^\/auth\/refresh$/, 401); // the first visit has no session to restore
      await pageA.goto(demo.url);
      await expectStatus(pageA, 'signed-out');
      watchA.disallowAll();
      await testId(pageA, 'demo-signin').click();
      await testId(pageA, 'confirm-sign').click();
      await expectStatus(pageA, 'signed-in');

      // A's call to the API on the second origin: the token goes as DPoP with a proof.
      const sent = pageA.waitForRequest(
        (r) => r.url() === `${apiOrigin}/api/notes` && r.method() === 'GET',
      );
      const answered = pageA.waitForResponse(
        (r) => r.url() === `${apiOrigin}/api/notes` && r.request().method() === 'GET',
      );
      await testId(pageA, 'call-notes').click();
      const headersA = await (await sent).allHeaders();
      const out = testId(pageA, 'notes-response');
      await expect.poll(() => out.getAttribute('data-status'), { timeout: 15_000 }).toBe('200');
      expect(headersA.authorization).toMatch(/^DPoP [\w-]+\.[\w-]+\.[\w-]+$/);
      expect(headersA.dpop).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
      // Credentials mode `omit` there: none of localhost's cookies (the refresh and fingerprint
      // cookies among them) go to the other port, and the API allows no credentials.
      expect(headersA.cookie).toBeUndefined();
      expect((await contextA.cookies(demo.url)).length).toBeGreaterThan(0);
      expect((await answered).headers()['access-control-allow-credentials']).toBeUndefined();
      const notes = JSON.parse((await out.textContent())!.split('\n').slice(1).join('\n')) as {
        address: string;
        boundTo: string;
      };
      expect(notes.address).toBe(await testId(pageA, 'account-address').textContent());
      expect(notes.boundTo).toMatch(/^[\w-]{43}$/);
      await pageA.screenshot({ path: join(shots, 'dpop-01-a-signed-in.png'), fullPage: true });

      // ---- the theft: A's access token and every cookie of the auth origin (refresh, fingerprint).
      const token = headersA.authorization!.slice('DPoP '.length);
      const stolenCookies = await contextA.cookies();
      // The refresh and fingerprint cookies (HttpOnly: a page script could not take them, a
      // thief with the browser profile or a proxy log can), and the session hint.
      for (const name of [/evrmore-rt$/, /evrmore-fgp$/])
        expect(stolenCookies.find((c) => name.test(c.name))?.httpOnly).toBe(true);

      // ---- browser B: no key of A's; the same cookies.
      const contextB = await newContext();
      await contextB.addCookies(stolenCookies);
      const pageB = await contextB.newPage();
      // B's page restores the session with A's refresh cookie, its proof made with B's own key.
      const refreshB = pageB.waitForResponse(
        (r) => new URL(r.url()).pathname === '/auth/refresh' && r.request().method() === 'POST',
      );
      await pageB.goto(demo.url);
      const refreshed = await refreshB;
      expect(refreshed.status()).toBe(401);
      expect(((await refreshed.json()) as { code: string }).code).toBe('dpop_key_mismatch');
      await expectStatus(pageB, 'signed-out');

      // B's refresh without any proof: refused too (the cookies alone are not enough).
      const bare = await fetchFrom(pageB, `${demo.url}/auth/refresh`, {
        method: 'POST',
        headers: { 'x-requested-with': 'evrmore-auth' },
      });
      expect(bare).toMatchObject({ status: 401, code: 'dpop_key_mismatch' });

      // B at the auth origin (the fingerprint cookie travels: the key is what is missing).
      for (const authorization of [`DPoP ${token}`, `Bearer ${token}`]) {
        const res = await fetchFrom(pageB, `${demo.url}/api/profile`, {
          headers: { authorization },
        });
        expect(res.status).toBe(401);
        expect(['dpop_proof_invalid', 'token_invalid']).toContain(res.code);
        expect(res.challenge).toMatch(/^DPoP error="(invalid_dpop_proof|invalid_token)"/);
      }
      // B at the API origin (which reads no cookie: only the key binding counts there).
      for (const authorization of [`DPoP ${token}`, `Bearer ${token}`]) {
        const res = await fetchFrom(pageB, `${apiOrigin}/api/notes`, {
          headers: { authorization },
        });
        expect(res.status).toBe(401);
        expect(['dpop_proof_invalid', 'token_invalid']).toContain(res.code);
        expect(res.challenge).toMatch(/^DPoP error="(invalid_dpop_proof|invalid_token)"/);
      }
      // A's own proof, replayed by B (it saw it on the wire): spent already.
      const replay = await fetchFrom(pageB, `${apiOrigin}/api/notes`, {
        headers: { authorization: headersA.authorization!, dpop: headersA.dpop! },
      });
      expect(replay).toMatchObject({ status: 401, code: 'dpop_proof_invalid' });
      await pageB.screenshot({ path: join(shots, 'dpop-02-b-refused.png'), fullPage: true });

      // ---- A carries on: its session was not ended by B's attempts.
      await testId(pageA, 'call-notes').click();
      await expect.poll(() => out.getAttribute('data-status'), { timeout: 15_000 }).toBe('200');
      await testId(pageA, 'call-profile').click();
      await expect
        .poll(() => testId(pageA, 'profile-response').getAttribute('data-status'), {
          timeout: 15_000,
        })
        .toBe('200');
      // A reload restores A's session through a refresh with A's key.
      await pageA.reload();
      await expectStatus(pageA, 'signed-in');
      await testId(pageA, 'call-notes').click();
      await expect.poll(() => out.getAttribute('data-status'), { timeout: 15_000 }).toBe('200');
      await pageA.screenshot({
        path: join(shots, 'dpop-03-a-still-signed-in.png'),
        fullPage: true,
      });
      expect(watchA.problems).toEqual([]);
    }, 120_000);
  },
);
