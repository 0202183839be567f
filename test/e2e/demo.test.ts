// End-to-end test of examples/fullstack in headless Chromium: the demo is started with the
// README's command and driven like a person would, one screenshot per step in test-output/e2e/.

import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { generatePrivateKey, privateKeyToAddress, signMessage } from '@evrmore-auth/core';
import * as OTPAuth from 'otpauth';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, skipWithoutChromium } from '../helpers/chromium.js';
import { freePort, repoRoot, startDemo, type RunningDemo } from './demo-process.js';
import { watchPage, type PageWatch } from './page-watch.js';

const skip = skipWithoutChromium('demo end-to-end test');

const shots = join(repoRoot, 'test-output', 'e2e');
/** Access tokens live this long in the demo under test, so the auto-refresh shows within seconds. */
const ACCESS_TOKEN_TTL = 30;
/** The demo's admin (ADMIN_ADDRESSES); every other address is a viewer. */
const ADMIN_KEY = generatePrivateKey();
const ADMIN_ADDRESS = privateKeyToAddress(ADMIN_KEY);

describe.skipIf(skip)('full-stack demo in Chromium', () => {
  let demo: RunningDemo;
  let browser: Browser;
  const watches: PageWatch[] = [];
  const contexts: BrowserContext[] = [];

  beforeAll(async () => {
    mkdirSync(shots, { recursive: true });
    const port = await freePort();
    // The demo's second origin (the DPoP API) defaults to PORT + 1, which may be taken here.
    const apiPort = await freePort();
    [demo, browser] = await Promise.all([
      // The README's default run: the memory store, whatever the caller's environment says.
      startDemo({
        PORT: String(port),
        API_PORT: String(apiPort),
        ACCESS_TOKEN_TTL: String(ACCESS_TOKEN_TTL),
        ADMIN_ADDRESSES: ADMIN_ADDRESS,
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

  /** A fresh browser (own cookies) on the demo, signed out, with its failures watched. */
  async function openPage(name: string): Promise<{ page: Page; watch: PageWatch }> {
    const context = await browser.newContext({ viewport: { width: 1180, height: 860 } });
    contexts.push(context);
    const page = await context.newPage();
    const watch = watchPage(page, name);
    watches.push(watch);
    // A fresh visit tries to restore a session from the refresh cookie; without one that is a 401.
    watch.allow('POST', /^\/auth\/refresh$/, 401);
    await page.goto(demo.url);
    await expectStatus(page, 'signed-out');
    watch.disallowAll();
    return { page, watch };
  }

  const testId = (page: Page, id: string) => page.locator(`[data-testid="${id}"]`);
  const expectStatus = (page: Page, status: string) =>
    page.waitForSelector(`[data-testid="status"][data-status="${status}"]`, { timeout: 15_000 });
  const shot = (page: Page, file: string) =>
    page.screenshot({ path: join(shots, file), fullPage: true });
  const expectNoProblems = (watch: PageWatch) => expect(watch.problems).toEqual([]);
  /** expect.poll with room for a loaded CI machine (its default gives up after 1 s). */
  const poll = <T>(fn: () => T | Promise<T>, options: { timeout?: number } = {}) =>
    expect.poll(fn, { timeout: 15_000, interval: 100, ...options });

  async function signInWithDemoWallet(page: Page, screenshot?: string): Promise<string> {
    const address = (await testId(page, 'demo-address').textContent())!;
    await testId(page, 'demo-signin').click();
    await testId(page, 'sign-message').waitFor();
    const message = (await testId(page, 'sign-message').textContent())!;
    expect(message).toContain(
      `${new URL(demo.url).host} wants you to sign in with your Evrmore account:\n${address}\n`,
    );
    if (screenshot) await shot(page, screenshot);
    await testId(page, 'confirm-sign').click();
    return address;
  }

  it('starts with the memory store and development keys, warning about them', () => {
    expect(demo.url).toMatch(/^http:\/\/localhost:\d+$/);
    expect(demo.output()).toMatch(/memory store/i);
    expect(demo.output()).toMatch(/WARNING: .*EPHEMERAL/);
  });

  it('serves the page and the API with production security headers', async () => {
    const page = await fetch(demo.url);
    expect(page.status).toBe(200);
    const csp = page.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe-inline');
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');
    expect(page.headers.get('x-frame-options')).toBe('DENY');
    expect(page.headers.get('access-control-allow-origin')).toBeNull();
    const profile = await fetch(`${demo.url}/api/profile`);
    expect(profile.status).toBe(401);
    expect(profile.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(((await profile.json()) as { code: string }).code).toBe('token_missing');
  });

  it('demo wallet: sign in, protected route, auto-refresh, sessions across two browsers, sign out', async () => {
    const { page, watch } = await openPage('browser A');
    const address = (await testId(page, 'demo-address').textContent())!;
    expect(address).toMatch(/^E[1-9A-HJ-NP-Za-km-z]{33}$/);
    await shot(page, '01-signed-out.png');

    await signInWithDemoWallet(page, '02-confirm-message.png');
    await expectStatus(page, 'signed-in');
    await poll(() => testId(page, 'account-address').textContent()).toBe(address);
    await poll(() => testId(page, 'token-expiry').textContent()).toMatch(/^expires in 0:\d\d$/);
    await poll(() => testId(page, 'sessions-list').getAttribute('data-count')).toBe('1');
    await shot(page, '03-signed-in.png');

    await testId(page, 'call-profile').click();
    await poll(() => testId(page, 'profile-response').getAttribute('data-status')).toBe('200');
    const profileText = (await testId(page, 'profile-response').textContent())!;
    const profile = JSON.parse(profileText.replace(/^HTTP 200\n/, '')) as {
      address: string;
      sessionId: string;
      claims: { sub: string; roles?: string[] };
    };
    expect(profile.address).toBe(address);
    expect(profile.claims.sub).toBe(address);
    expect(profile.claims.roles).toContain('viewer');
    expect(profile.sessionId).toBe(await testId(page, 'account-session').textContent());
    await shot(page, '04-protected-api.png');

    // The access token renews itself before it expires (ACCESS_TOKEN_TTL seconds).
    await poll(() => testId(page, 'token-refreshes').getAttribute('data-count'), {
      timeout: ACCESS_TOKEN_TTL * 1000 + 10_000,
    }).toBe('1');
    expect(watch.calls).toContain('POST /auth/refresh 200');
    await shot(page, '05-token-renewed.png');

    // The same wallet in a second browser (its own cookies): a second session of one address.
    await testId(page, 'share-reveal').click();
    const wif = (await testId(page, 'share-wif').textContent())!;
    expect(await testId(page, 'share-wif').isVisible()).toBe(true);
    const b = await openPage('browser B');
    await b.page.locator('details summary').click();
    await testId(b.page, 'demo-import-wif').fill(wif);
    await testId(b.page, 'demo-import').click();
    await poll(() => testId(b.page, 'demo-address').textContent()).toBe(address);
    await signInWithDemoWallet(b.page);
    await expectStatus(b.page, 'signed-in');
    const sessionB = (await testId(b.page, 'account-session').textContent())!;
    await shot(b.page, '06-second-browser-signed-in.png');

    await testId(page, 'sessions-reload').click();
    await poll(() => testId(page, 'sessions-list').getAttribute('data-count')).toBe('2');
    await shot(page, '07-two-sessions.png');
    const rowB = page.locator(`[data-testid="session-row"][data-session-id="${sessionB}"]`);
    expect(await rowB.getAttribute('data-current')).toBe('false');
    await rowB.locator('[data-testid="revoke-session"]').click();
    await poll(() => testId(page, 'sessions-list').getAttribute('data-count')).toBe('1');
    await shot(page, '08-session-revoked.png');

    // Browser B's next call is refused at once, and it ends up signed out, saying why.
    b.watch.allow('GET', /^\/api\/profile$/, 401);
    b.watch.allow('POST', /^\/auth\/refresh$/, 401);
    const refused = b.page.waitForResponse((r) => r.url().endsWith('/api/profile'));
    await testId(b.page, 'call-profile').click();
    expect((await refused).status()).toBe(401);
    await expectStatus(b.page, 'signed-out');
    await poll(() => testId(b.page, 'notice').textContent()).toMatch(/ended|signed out/i);
    await shot(b.page, '09-second-browser-revoked.png');
    b.watch.disallowAll();

    await testId(page, 'sign-out').click();
    await expectStatus(page, 'signed-out');
    expect(watch.calls).toContain('POST /auth/logout 204');
    await poll(() => testId(page, 'notice').textContent()).toBe('You are signed out.');
    await shot(page, '10-signed-out.png');

    // Signed out for real: the refresh cookie is gone, so a reload does not restore a session.
    watch.allow('POST', /^\/auth\/refresh$/, 401);
    await page.reload();
    await expectStatus(page, 'signed-out');
    watch.disallowAll();
    expectNoProblems(watch);
    expectNoProblems(b.watch);
  }, 120_000);

  it('session policy: a fourth sign-in of one wallet signs the oldest browser out, the list shows IP and activity', async () => {
    const first = await openPage('policy 1');
    const address = (await testId(first.page, 'demo-address').textContent())!;
    await signInWithDemoWallet(first.page);
    await expectStatus(first.page, 'signed-in');
    const firstSession = (await testId(first.page, 'account-session').textContent())!;
    await testId(first.page, 'share-reveal').click();
    const wif = (await testId(first.page, 'share-wif').textContent())!;
    // Three more browsers with the same wallet: the demo allows 3 sessions, evicting the oldest.
    const others = [];
    for (const name of ['policy 2', 'policy 3', 'policy 4']) {
      const other = await openPage(name);
      await other.page.locator('details summary').click();
      await testId(other.page, 'demo-import-wif').fill(wif);
      await testId(other.page, 'demo-import').click();
      await poll(() => testId(other.page, 'demo-address').textContent()).toBe(address);
      await signInWithDemoWallet(other.page);
      await expectStatus(other.page, 'signed-in');
      others.push(other);
    }
    const last = others[2]!;
    await testId(last.page, 'sessions-reload').click();
    await poll(() => testId(last.page, 'sessions-list').getAttribute('data-count')).toBe('3');
    const rows = last.page.locator('[data-testid="session-row"]');
    expect(
      await rows.evaluateAll((r) => r.map((e) => e.getAttribute('data-session-id'))),
    ).not.toContain(firstSession);
    expect(await rows.first().textContent()).toMatch(/(127\.0\.0\.1|::1).* · last seen /);
    await shot(last.page, '11-session-cap.png');

    // The first browser's next request is refused: it ends up signed out, saying why.
    first.watch.allow('GET', /^\/api\/profile$/, 401);
    first.watch.allow('POST', /^\/auth\/refresh$/, 401);
    const refused = first.page.waitForResponse((r) => r.url().endsWith('/api/profile'));
    await testId(first.page, 'call-profile').click();
    expect((await refused).status()).toBe(401);
    await expectStatus(first.page, 'signed-out');
    await poll(() => testId(first.page, 'notice').textContent()).toMatch(/ended|signed out/i);
    await shot(first.page, '12-evicted-browser.png');
    first.watch.disallowAll();
    expectNoProblems(first.watch);
    for (const o of others) expectNoProblems(o.watch);
  }, 120_000);

  it('manual flow: the shown message signed outside the page, pasted, signs in; reload keeps it; sign out everywhere else', async () => {
    const { page, watch } = await openPage('manual');
    const privateKey = generatePrivateKey();
    const address = privateKeyToAddress(privateKey);

    await testId(page, 'manual-address').fill(address);
    await testId(page, 'manual-start').click();
    await testId(page, 'sign-message').waitFor();
    const message = (await testId(page, 'sign-message').textContent())!;
    expect(message.split('\n').slice(0, 2)).toEqual([
      `${new URL(demo.url).host} wants you to sign in with your Evrmore account:`,
      address,
    ]);
    expect(await testId(page, 'sign-command').textContent()).toBe(
      `evrmore-cli signmessage '${address}' '${message}'`,
    );
    await shot(page, '11-manual-message.png');

    // A signature by another key: refused by the server, explained on the page.
    watch.allow('POST', /^\/auth\/verify$/, 401);
    const wrong = signMessage({ privateKey: generatePrivateKey(), message });
    await testId(page, 'manual-signature').fill(wrong);
    await testId(page, 'confirm-sign').click();
    await poll(() => testId(page, 'notice').getAttribute('data-code')).toBe('invalid_signature');
    await shot(page, '12-manual-wrong-signature.png');
    watch.disallowAll();

    // A truncated paste is caught in the page before anything is sent.
    await testId(page, 'manual-start').click();
    await testId(page, 'sign-message').waitFor();
    await testId(page, 'manual-signature').fill(wrong.slice(0, 40));
    await testId(page, 'confirm-sign').click();
    await poll(() => testId(page, 'notice').getAttribute('data-code')).toBe(
      'invalid_signature_encoding',
    );

    // The real thing: the exact message, signed with core's signer outside the page.
    await testId(page, 'manual-start').click();
    await testId(page, 'sign-message').waitFor();
    const fresh = (await testId(page, 'sign-message').textContent())!;
    expect(fresh).not.toBe(message); // a new nonce each time
    await testId(page, 'manual-signature').fill(signMessage({ privateKey, message: fresh }));
    await testId(page, 'confirm-sign').click();
    await expectStatus(page, 'signed-in');
    expect(await testId(page, 'account-address').textContent()).toBe(address);
    await shot(page, '13-manual-signed-in.png');

    // A reload keeps the session: the access token was only in memory, the refresh cookie was not.
    await page.reload();
    await expectStatus(page, 'signed-in');
    expect(await testId(page, 'account-address').textContent()).toBe(address);

    // The same address signed in from another browser, then "Sign out everywhere else".
    const other = await openPage('manual, second browser');
    await testId(other.page, 'manual-address').fill(address);
    await testId(other.page, 'manual-start').click();
    await testId(other.page, 'sign-message').waitFor();
    const otherMessage = (await testId(other.page, 'sign-message').textContent())!;
    await testId(other.page, 'manual-signature').fill(
      signMessage({ privateKey, message: otherMessage }),
    );
    await testId(other.page, 'confirm-sign').click();
    await expectStatus(other.page, 'signed-in');
    await testId(page, 'sessions-reload').click();
    await poll(() => testId(page, 'sessions-list').getAttribute('data-count')).toBe('2');
    await testId(page, 'revoke-others').click();
    await poll(() => testId(page, 'sessions-list').getAttribute('data-count')).toBe('1');
    expect(
      await page.locator('[data-testid="session-row"]').first().getAttribute('data-current'),
    ).toBe('true');
    other.watch.allow('GET', /^\/api\/profile$/, 401);
    other.watch.allow('POST', /^\/auth\/refresh$/, 401);
    await testId(other.page, 'call-profile').click();
    await expectStatus(other.page, 'signed-out');
    other.watch.disallowAll();
    expectNoProblems(other.watch);

    await testId(page, 'sign-out').click();
    await expectStatus(page, 'signed-out');
    expectNoProblems(watch);
  }, 90_000);

  it('Satori GO: the button appears with window.evrmore and signs in through the extension API', async () => {
    // The test plays the extension: window.evrmore as Satori GO injects it (connect, signMessage,
    // the evrmore#initialized event, 'user-rejected'), signing with core's signer in Node.
    const context = await browser.newContext({ viewport: { width: 1180, height: 860 } });
    contexts.push(context);
    const privateKey = generatePrivateKey();
    const address = privateKeyToAddress(privateKey);
    let reject = true;
    await context.exposeFunction('__walletSign', (message: string) => {
      if (reject) return null;
      return signMessage({ privateKey, message });
    });
    await context.addInitScript((addr: string) => {
      const w = window as unknown as Record<string, unknown>;
      setTimeout(() => {
        w.evrmore = {
          connect: async () => ({ address: addr }),
          signMessage: async (message: string) => {
            const sign = w.__walletSign as (m: string) => Promise<string | null>;
            const signature = await sign(message);
            if (signature === null) throw new Error('user-rejected');
            return { address: addr, signature };
          },
        };
        window.dispatchEvent(new Event('evrmore#initialized'));
      }, 50);
    }, address);
    const page = await context.newPage();
    const watch = watchPage(page, 'satori');
    watches.push(watch);
    watch.allow('POST', /^\/auth\/refresh$/, 401);
    await page.goto(demo.url);
    await expectStatus(page, 'signed-out');
    watch.disallowAll();
    await testId(page, 'injected-signin').waitFor();
    await shot(page, '21-satori-go-detected.png');

    await testId(page, 'injected-signin').click();
    await testId(page, 'confirm-sign').click();
    await poll(() => testId(page, 'notice').getAttribute('data-code')).toBe('user_rejected');

    reject = false;
    await testId(page, 'injected-signin').click();
    expect(await testId(page, 'sign-message').textContent()).toContain(`\n${address}\n`);
    await testId(page, 'confirm-sign').click();
    await expectStatus(page, 'signed-in');
    expect(await testId(page, 'account-address').textContent()).toBe(address);
    expectNoProblems(watch);
  }, 60_000);

  it('cancelling and losing the server are explained', async () => {
    const { page, watch } = await openPage('errors');
    await testId(page, 'demo-signin').click();
    await testId(page, 'confirm-cancel').click();
    await poll(() => testId(page, 'notice').getAttribute('data-code')).toBe('user_rejected');
    await poll(() => testId(page, 'notice').textContent()).toMatch(/cancelled/);

    watch.allow('POST', /^\/auth\/challenge$/, 'network');
    await page.context().setOffline(true);
    await testId(page, 'demo-signin').click();
    await poll(() => testId(page, 'notice').getAttribute('data-code')).toBe('network_error');
    await poll(() => testId(page, 'notice').textContent()).toMatch(/cannot be reached/);
    await shot(page, '14-server-unreachable.png');
    await page.context().setOffline(false);
    watch.disallowAll();
    expectNoProblems(watch);
  }, 60_000);

  it('two-factor: enrol with the QR code, sign in with a TOTP code, then with a backup code', async (ctx) => {
    // Until the server has the MFA routes (issue 7), say so; CI never skips.
    const probe = await fetch(`${demo.url}/auth/mfa/totp/setup`, { method: 'POST' });
    if (probe.status === 404 && process.env.CI !== 'true') {
      console.log('SKIP: demo MFA path: the server has no /auth/mfa routes yet');
      ctx.skip();
    }
    const { page, watch } = await openPage('mfa');
    await signInWithDemoWallet(page);
    await expectStatus(page, 'signed-in');

    await testId(page, 'mfa-setup').click();
    await testId(page, 'mfa-secret').waitFor();
    const secret = (await testId(page, 'mfa-secret').textContent())!.replace(/\s+/g, '');
    expect(await testId(page, 'mfa-qr').isVisible()).toBe(true);
    await shot(page, '15-mfa-enrol.png');
    const totp = new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(secret) });
    await testId(page, 'mfa-enable-code').fill(totp.generate());
    await testId(page, 'mfa-enable').click();
    await poll(() => page.locator('[data-testid="mfa-backup-codes"] li').count()).toBe(10);
    const backupCodes = await page.locator('[data-testid="mfa-backup-codes"] li').allTextContents();
    await shot(page, '16-mfa-backup-codes.png');
    await testId(page, 'sign-out').click();
    await expectStatus(page, 'signed-out');

    // The signature alone is no longer enough.
    await signInWithDemoWallet(page);
    await expectStatus(page, 'mfa-required');
    await shot(page, '17-mfa-second-step.png');
    watch.allow('POST', /^\/auth\/mfa\/verify$/, 401);
    const nearby = [-1, 0, 1, 2].map((k) => totp.generate({ timestamp: Date.now() + k * 30_000 }));
    const wrongCode = ['000000', '111111', '222222', '333333', '444444'].find(
      (c) => !nearby.includes(c),
    )!;
    await testId(page, 'mfa-code').fill(wrongCode);
    await testId(page, 'mfa-submit').click();
    await poll(() => testId(page, 'notice').getAttribute('data-code')).toBe('mfa_invalid');
    watch.disallowAll();
    // The enrolment code's time step is spent; the next step's code is within the ±1 tolerance.
    await testId(page, 'mfa-code').fill(totp.generate({ timestamp: Date.now() + 30_000 }));
    await testId(page, 'mfa-submit').click();
    await expectStatus(page, 'signed-in');
    await shot(page, '18-mfa-signed-in.png');
    await testId(page, 'sign-out').click();
    await expectStatus(page, 'signed-out');

    await signInWithDemoWallet(page);
    await expectStatus(page, 'mfa-required');
    await testId(page, 'mfa-use-backup').click();
    await testId(page, 'mfa-code').fill(backupCodes[0]!);
    await testId(page, 'mfa-submit').click();
    await expectStatus(page, 'signed-in');
    await shot(page, '19-mfa-backup-code-signed-in.png');
    // A used backup code is spent; another one turns two-factor authentication off.
    await poll(() => page.locator('#mfa-card').getAttribute('data-view')).toBe('on');
    watch.allow('POST', /^\/auth\/mfa\/totp\/disable$/, 401);
    await testId(page, 'mfa-disable-code').fill(backupCodes[0]!);
    await testId(page, 'mfa-disable').click();
    await poll(() => testId(page, 'notice').getAttribute('data-code')).toBe('mfa_invalid');
    watch.disallowAll();
    await testId(page, 'mfa-disable-code').fill(backupCodes[1]!);
    await testId(page, 'mfa-disable').click();
    await poll(() => page.locator('#mfa-card').getAttribute('data-view')).toBe('off');
    expectNoProblems(watch);
  }, 90_000);

  it('roles: a viewer sees its role and is refused the admin action (403), the admin may', async () => {
    const viewer = await openPage('viewer');
    await signInWithDemoWallet(viewer.page);
    await expectStatus(viewer.page, 'signed-in');
    await poll(() => testId(viewer.page, 'account-roles').getAttribute('data-roles')).toBe(
      'viewer',
    );
    expect(await testId(viewer.page, 'account-permissions').textContent()).toContain('posts:read');
    viewer.watch.allow('POST', /^\/api\/admin\/announce$/, 403);
    await testId(viewer.page, 'admin-action').click();
    await poll(() => testId(viewer.page, 'admin-response').getAttribute('data-status')).toBe('403');
    expect(await testId(viewer.page, 'admin-response').textContent()).toContain(
      '"code": "insufficient_scope"',
    );
    await shot(viewer.page, '30-viewer-refused.png');
    viewer.watch.disallowAll();
    expectNoProblems(viewer.watch);

    const admin = await openPage('admin');
    await testId(admin.page, 'manual-address').fill(ADMIN_ADDRESS);
    await testId(admin.page, 'manual-start').click();
    await testId(admin.page, 'sign-message').waitFor();
    const message = (await testId(admin.page, 'sign-message').textContent())!;
    await testId(admin.page, 'manual-signature').fill(
      signMessage({ privateKey: ADMIN_KEY, message }),
    );
    await testId(admin.page, 'confirm-sign').click();
    await expectStatus(admin.page, 'signed-in');
    await poll(() => testId(admin.page, 'account-roles').getAttribute('data-roles')).toBe(
      'viewer,admin',
    );
    await testId(admin.page, 'admin-action').click();
    await poll(() => testId(admin.page, 'admin-response').getAttribute('data-status')).toBe('200');
    expect(await testId(admin.page, 'admin-response').textContent()).toContain(ADMIN_ADDRESS);
    await shot(admin.page, '31-admin-allowed.png');
    expectNoProblems(admin.watch);
  }, 90_000);

  it('too many attempts: the rate limit is explained with its wait time', async () => {
    const { page, watch } = await openPage('rate limit');
    await testId(page, 'manual-address').fill(privateKeyToAddress(generatePrivateKey()));
    // The server allows 10 challenges a minute per address (DEFAULT_RATE_LIMITS): ask, cancel, repeat.
    watch.allow('POST', /^\/auth\/challenge$/, 429);
    let code: string | null = null;
    for (let i = 0; i < 15 && code !== 'rate_limited'; i++) {
      await testId(page, 'manual-start').click();
      await poll(async () =>
        (await testId(page, 'sign-message').isVisible())
          ? 'confirm'
          : await testId(page, 'notice').getAttribute('data-code'),
      ).toMatch(/^(confirm|rate_limited)$/);
      if (await testId(page, 'sign-message').isVisible()) {
        await testId(page, 'confirm-cancel').click();
        await poll(() => testId(page, 'notice').getAttribute('data-code')).toBe('user_rejected');
      } else code = await testId(page, 'notice').getAttribute('data-code');
    }
    expect(code).toBe('rate_limited');
    expect(await testId(page, 'notice').textContent()).toMatch(
      /Too many attempts\. Please wait \d+ seconds?/,
    );
    await shot(page, '20-rate-limited.png');
    watch.disallowAll();
    expectNoProblems(watch);
  }, 90_000);
});
