// Two tabs of one origin in headless Chromium against the real server handler: one refresh request
// per expiry for both tabs, a reload restores the session, sign-out in one tab signs out the other.
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, skipWithoutChromium } from '../helpers/chromium.js';
import { startApp } from './app-server.js';
import { createRealAuth } from '../client-server/real-server.js';

const skip = skipWithoutChromium('multi-tab browser test');

const OUT = fileURLToPath(new URL('../../test-output/browser/', import.meta.url));
/** Access-token lifetime on the server for this test, seconds (the server's minimum). */
const ACCESS_TTL = 30;
/**
 * Client refresh lead: the margin is capped at half the lifetime (15 s), plus up to 1 s of jitter,
 * so a refresh lands 14–15 s after each issue.
 */
const QUERY = 'margin=25000&jitter=1000';

interface TestApi {
  signIn(): Promise<string>;
  signOut(): Promise<void>;
  state(): { status: string; reason: string | null; address: string | null };
  token(): Promise<string | null>;
  me(): Promise<{ status: number; body: unknown }>;
  transitions(): string[];
  storage(): { local: number; session: number; cookie: string };
}
declare global {
  interface Window {
    t: TestApi;
  }
}

const status = (page: Page) => page.evaluate(() => window.t.state().status);
const signedInCount = (page: Page) =>
  page.evaluate(() => window.t.transitions().filter((s) => s === 'signed-in').length);

describe.skipIf(skip)('multi-tab in headless Chromium', () => {
  let browser: Browser;
  let context: BrowserContext;
  let app: Awaited<ReturnType<typeof startApp>>;
  let tab1: Page;
  let tab2: Page;

  beforeAll(async () => {
    mkdirSync(OUT, { recursive: true });
    app = await startApp((origin) => createRealAuth({ origin, accessTokenTtlSeconds: ACCESS_TTL }));
    browser = await launchChromium();
    context = await browser.newContext();
    tab1 = await context.newPage();
    tab2 = await context.newPage();
    for (const page of [tab1, tab2]) page.on('pageerror', (e) => console.error('page error:', e));
    await tab1.goto(`${app.origin}/?tab=1&${QUERY}`);
    await tab2.goto(`${app.origin}/?tab=2&${QUERY}`);
    // A fresh page restores with one silent refresh: no cookie yet, so signed-out.
    for (const page of [tab1, tab2])
      await page.waitForFunction(() => window.t?.state().status === 'signed-out');
  });

  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  it('signs in in one tab; the other tab follows; both call the API', async () => {
    expect(await tab1.evaluate(() => window.t.signIn())).toBe('signed-in');
    await tab2.waitForFunction(() => window.t.state().status === 'signed-in');
    expect((await tab1.evaluate(() => window.t.me())).status).toBe(200);
    expect((await tab2.evaluate(() => window.t.me())).status).toBe(200);
    // Nothing in web storage; every auth cookie with a secret is HttpOnly, so script sees none of
    // them: the only script-readable cookie allowed is the session hint (value 1, no secret).
    const storage = await tab1.evaluate(() => window.t.storage());
    expect(storage.local + storage.session).toBe(0);
    expect(
      storage.cookie.split('; ').filter((c) => c !== '' && c !== 'evrmore_auth_hint=1'),
    ).toEqual([]);
  });

  /**
   * One expiry cycle, driven by events rather than wall-clock windows: wait until both tabs hold a
   * newer token (refresh in one tab, hand-over to the other), let in-flight requests settle, and
   * count the refresh requests the server saw for that one new token.
   */
  async function expiryCycle(): Promise<{ refreshes: number; token: string }> {
    const before = {
      refresh: app.counts.refresh,
      t1: await signedInCount(tab1),
      t2: await signedInCount(tab2),
    };
    const oldToken = await tab1.evaluate(() => window.t.token());
    await tab1.waitForFunction(
      (n) => window.t.transitions().filter((s) => s === 'signed-in').length > n,
      before.t1,
      { timeout: ACCESS_TTL * 1000 },
    );
    await tab2.waitForFunction(
      (n) => window.t.transitions().filter((s) => s === 'signed-in').length > n,
      before.t2,
      { timeout: ACCESS_TTL * 1000 },
    );
    // A second tab refreshing on its own would reach the server within this settle time.
    await tab1.waitForTimeout(1_500);
    const [t1, t2] = [
      await tab1.evaluate(() => window.t.token()),
      await tab2.evaluate(() => window.t.token()),
    ];
    expect(t1).toBe(t2);
    expect(t1).not.toBe(oldToken);
    return { refreshes: app.counts.refresh - before.refresh, token: t1 as string };
  }

  it('at expiry exactly one refresh request reaches the server and both tabs keep working', async () => {
    const first = await expiryCycle();
    expect(first.refreshes).toBe(1);
    expect((await tab1.evaluate(() => window.t.me())).status).toBe(200);
    expect((await tab2.evaluate(() => window.t.me())).status).toBe(200);
    await tab1.screenshot({ path: `${OUT}tab1-after-refresh.png` });
    await tab2.screenshot({ path: `${OUT}tab2-after-refresh.png` });
    // The next cycle: again exactly one refresh request for the two tabs (two tabs each
    // refreshing would make two), and both tabs still work.
    const second = await expiryCycle();
    expect(second.refreshes).toBe(1);
    expect(second.token).not.toBe(first.token);
    expect((await tab1.evaluate(() => window.t.me())).status).toBe(200);
    expect((await tab2.evaluate(() => window.t.me())).status).toBe(200);
  }, 90_000);

  it('a reload restores the session with a silent refresh', async () => {
    await tab2.reload();
    await tab2.waitForFunction(() => window.t?.state().status === 'signed-in');
    const transitions = await tab2.evaluate(() => window.t.transitions());
    expect(transitions.at(-1)).toBe('signed-in');
    expect(transitions).not.toContain('signed-out(no-session)');
    expect((await tab2.evaluate(() => window.t.me())).status).toBe(200);
    expect(await status(tab1)).toBe('signed-in');
  });

  it('sign-out in one tab signs out the other', async () => {
    await tab1.evaluate(() => window.t.signOut());
    await tab2.waitForFunction(() => window.t.state().status === 'signed-out');
    expect(await tab2.evaluate(() => window.t.state().reason)).toBe('other-tab');
    expect(await tab2.evaluate(() => window.t.token())).toBeNull();
    expect((await tab2.evaluate(() => window.t.me())).status).toBe(401);
    await tab2.screenshot({ path: `${OUT}tab2-signed-out.png` });
  });
});
