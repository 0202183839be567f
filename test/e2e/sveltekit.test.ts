// End-to-end test of examples/sveltekit: built with its real toolchain (vite build,
// @sveltejs/adapter-node), started as the production Node server on 127.0.0.1, and driven in
// headless Chromium. The server-rendered HTML is checked as the server sends it (plain fetch, or
// the navigation's response) before any script runs. One screenshot per step in
// test-output/sveltekit/.

import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { generatePrivateKey, privateKeyToAddress, signMessage } from '@evrmore-auth/core';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, skipWithoutChromium } from '../helpers/chromium.js';
import { freePort, repoRoot } from './demo-process.js';

const skip = skipWithoutChromium('SvelteKit example end-to-end test');
const run = promisify(execFile);
const exampleDir = join(repoRoot, 'examples', 'sveltekit');
const shots = join(repoRoot, 'test-output', 'sveltekit');
/** An Evrmore address anywhere in a text. */
const ADDRESS = /\bE[1-9A-HJ-NP-Za-km-z]{33}\b/;

/** The production server (`node build/index.js`, the example's `start`), its own process group. */
async function startApp(
  port: number,
  env: Record<string, string> = {},
): Promise<{ url: string; stop(): Promise<void>; log(): string }> {
  const url = `http://127.0.0.1:${port}`;
  const child: ChildProcess = spawn(process.execPath, ['build/index.js'], {
    cwd: exampleDir,
    env: {
      ...process.env,
      ...env,
      HOST: '127.0.0.1',
      PORT: String(port),
      ORIGIN: url,
      NO_COLOR: '1',
    },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (output += c.toString()));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      if ((await fetch(`${url}/`, { redirect: 'manual' })).status > 0) break;
    } catch {
      // not listening yet
    }
    if (child.exitCode !== null || Date.now() > deadline)
      throw new Error(`the example did not start:\n${output}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    url,
    log: () => output,
    async stop() {
      if (child.exitCode !== null || child.pid === undefined) return;
      try {
        process.kill(-child.pid, 'SIGTERM');
      } catch {
        // gone
      }
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5_000).unref())]);
      if (child.exitCode === null) process.kill(-child.pid, 'SIGKILL');
    },
  };
}

/** Another origin's page: a form and a script that post to the app's guarded action/endpoint. */
function attackerSite(app: string): (host: string) => Promise<{ url: string; close(): void }> {
  const page = `<!doctype html><html><body>
<h1>Another site</h1>
<form id="form" method="POST" action="${app}/account?/note">
  <input name="note" value="csrf-form">
  <button id="submit" type="submit">Post to the app</button>
</form>
<script>
  // A "simple" cross-origin request SvelteKit's own check lets through (no form content type):
  // cookies travel when the site is the same (another port), so only the Origin check stands.
  window.postBlob = () => fetch('${app}/api/notes', {
    method: 'POST', mode: 'no-cors', credentials: 'include', body: new Blob(['csrf-fetch']),
  }).then(() => 'sent', (e) => String(e));
</script>
</body></html>`;
  return (host) =>
    new Promise((resolve, reject) => {
      const server: Server = createServer((_req, res) => {
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
        res.end(page);
      });
      server.on('error', reject);
      server.listen(0, host, () => {
        const address = server.address();
        if (typeof address !== 'object' || address === null) return reject(new Error('no port'));
        resolve({ url: `http://${host}:${address.port}/`, close: () => server.close() });
      });
    });
}

describe.skipIf(skip)('SvelteKit example in Chromium', () => {
  let app: Awaited<ReturnType<typeof startApp>>;
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  const closers: Array<() => void> = [];
  /** More servers of the same build (other settings), stopped in afterAll. */
  const apps: Array<Awaited<ReturnType<typeof startApp>>> = [];
  const pageErrors: string[] = [];
  /** The Satori GO key (Node signs for the fake window.evrmore). */
  const satoriKey = generatePrivateKey();
  const satoriAddress = privateKeyToAddress(satoriKey);
  let demoAddress = '';
  let demo: { context: BrowserContext; page: Page };
  let satori: { context: BrowserContext; page: Page };

  beforeAll(async () => {
    mkdirSync(shots, { recursive: true });
    // The example's `build` script: vite build with @sveltejs/adapter-node (the packages were
    // built by the root `pnpm test`).
    const build = run(
      process.execPath,
      [join(exampleDir, 'node_modules/vite/bin/vite.js'), 'build'],
      {
        cwd: exampleDir,
        env: { ...process.env, NO_COLOR: '1' },
        maxBuffer: 32 * 1024 * 1024,
      },
    );
    const [, port, chromium] = await Promise.all([build, freePort(), launchChromium()]);
    browser = chromium;
    app = await startApp(port);
  }, 240_000);

  afterAll(async () => {
    await Promise.allSettled(contexts.map((c) => c.close()));
    await browser?.close();
    for (const close of closers) close();
    await Promise.allSettled([app?.stop(), ...apps.map((a) => a.stop())]);
  }, 30_000);

  /** A new browser (own cookies); `satoriFor` injects a Satori GO that signs with that key. */
  async function newBrowser(
    satoriFor?: Uint8Array,
  ): Promise<{ context: BrowserContext; page: Page }> {
    const context = await browser.newContext({ viewport: { width: 1100, height: 800 } });
    contexts.push(context);
    if (satoriFor !== undefined) {
      await context.exposeFunction('__walletSign', (message: string) =>
        signMessage({ privateKey: satoriFor, message }),
      );
      await context.addInitScript((addr: string) => {
        const w = window as unknown as Record<string, unknown>;
        w.evrmore = {
          connect: async () => ({ address: addr }),
          signMessage: async (message: string) => {
            const sign = w.__walletSign as (m: string) => Promise<string>;
            return { address: addr, signature: await sign(message) };
          },
        };
        window.dispatchEvent(new Event('evrmore#initialized'));
      }, privateKeyToAddress(satoriFor));
    }
    const page = await context.newPage();
    page.on('pageerror', (e) => pageErrors.push(e.message));
    return { context, page };
  }
  const testId = (page: Page, id: string) => page.locator(`[data-testid="${id}"]`);
  const shot = (page: Page, file: string) =>
    page.screenshot({ path: join(shots, file), fullPage: true });
  const html = async (page: Page, path: string): Promise<string> => {
    const response = await page.goto(`${app.url}${path}`);
    expect(response?.ok()).toBe(true);
    return (await response!.text()) as string;
  };
  /** The app's session cookie in a context (the one whose value is a JWT). */
  const sessionCookieOf = async (context: BrowserContext, url = app.url) =>
    (await context.cookies(url)).find((c) => /session/.test(c.name));

  it('renders signed out in the HTML the server sends (no script ran)', async () => {
    const res = await fetch(`${app.url}/`);
    expect(res.status).toBe(200);
    const body = await res.text();
    expect(body).toContain('data-status="signed-out"');
    expect(body).toContain('Signed out.');
    expect(body).not.toMatch(ADDRESS);
    expect(res.headers.getSetCookie()).toEqual([]);
  });

  it('redirects the protected page to sign-in when signed out', async () => {
    const res = await fetch(`${app.url}/account`, {
      redirect: 'manual',
      headers: { accept: 'text/html' },
    });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/signin?redirectTo=%2Faccount');
    // the endpoint answers 401 problem+json instead
    const api = await fetch(`${app.url}/api/notes`);
    expect(api.status).toBe(401);
    expect(api.headers.get('content-type')).toContain('application/problem+json');

    demo = await newBrowser();
    await demo.page.goto(`${app.url}/account`);
    expect(new URL(demo.page.url()).pathname).toBe('/signin');
    await testId(demo.page, 'redirect-notice').waitFor();
    await shot(demo.page, '01-protected-redirects-to-signin.png');
  });

  it('signs in with the demo wallet; a reload is signed in in the server-rendered HTML', async () => {
    const { page, context } = demo;
    await expect.poll(() => testId(page, 'demo-address').textContent()).toMatch(ADDRESS);
    demoAddress = (await testId(page, 'demo-address').textContent())!.trim();
    await shot(page, '02-signin-page.png');
    await testId(page, 'demo-signin').click();
    await page.waitForURL(`${app.url}/account`);
    await expect.poll(() => testId(page, 'account-address').textContent()).toBe(demoAddress);
    await shot(page, '03-signed-in-account.png');

    const cookie = await sessionCookieOf(context);
    expect(cookie?.httpOnly).toBe(true);
    expect(cookie?.sameSite).toBe('Lax');

    // Every status the page shows from the first parsed byte on, to see that hydration and the
    // client's restore never flash "signed out" (authStore's `initial`).
    await context.addInitScript(() => {
      const seen: string[] = [];
      (window as unknown as { __statuses: string[] }).__statuses = seen;
      new MutationObserver(() => {
        const status = document
          .querySelector('[data-testid="status"]')
          ?.getAttribute('data-status');
        if (status && seen.at(-1) !== status) seen.push(status);
      }).observe(document, { subtree: true, childList: true, attributes: true });
    });
    const restored = page.waitForResponse(
      (r) => r.url() === `${app.url}/auth/refresh` && r.request().method() === 'POST',
    );
    const home = await html(page, '/');
    expect(home).toContain('data-status="signed-in"');
    expect(home).toContain(demoAddress);
    expect((await restored).status()).toBe(200); // the browser's client restored its token
    await testId(page, 'sign-out').waitFor();
    const statuses = await page.evaluate(
      () => (window as unknown as { __statuses: string[] }).__statuses,
    );
    expect(statuses).toEqual(['signed-in']);
    await shot(page, '04-reload-signed-in.png');
    // and the protected page renders on the server for this browser
    const account = await html(page, '/account');
    expect(account).toContain(demoAddress);
  });

  it('signs in with Satori GO in another browser', async () => {
    satori = await newBrowser(satoriKey);
    await satori.page.goto(`${app.url}/signin`);
    await testId(satori.page, 'satori-signin').click();
    await satori.page.waitForURL(`${app.url}/account`);
    await expect
      .poll(() => testId(satori.page, 'account-address').textContent())
      .toBe(satoriAddress);
    expect(await html(satori.page, '/')).toContain(satoriAddress);
    await shot(satori.page, '05-satori-go-signed-in.png');
  });

  it('accepts the form post from the app, refuses it from another origin', async () => {
    const { page, context } = satori;
    await page.goto(`${app.url}/account`);
    await testId(page, 'note-input').fill('own-note');
    await testId(page, 'note-submit').click();
    await expect.poll(() => testId(page, 'notes').textContent()).toContain('own-note');
    await shot(page, '06-form-post-accepted.png');

    const site = attackerSite(app.url);
    // another port on the same host: same site, so the SameSite=Lax cookies travel
    const sameSite = await site('127.0.0.1');
    // another host: cross-site, the cookies stay home
    const crossSite = await site('127.0.0.2');
    closers.push(sameSite.close, crossSite.close);

    const attacker = await context.newPage();
    for (const origin of [sameSite, crossSite]) {
      await attacker.goto(origin.url);
      const [response] = await Promise.all([
        attacker.waitForResponse((r) => r.url().startsWith(`${app.url}/account`)),
        attacker.click('#submit'),
      ]);
      // SvelteKit's own check refuses a cross-origin form content type before any hook runs
      expect(response.status(), origin.url).toBe(403);
      expect(await response.text()).toContain('Cross-site POST form submissions are forbidden');
      await attacker.waitForLoadState();
      await shot(attacker, `07-cross-origin-form-refused-${new URL(origin.url).hostname}.png`);

      await attacker.goto(origin.url);
      const [blob] = await Promise.all([
        attacker.waitForResponse((r) => r.url() === `${app.url}/api/notes`),
        attacker.evaluate(() => (window as unknown as { postBlob(): Promise<string> }).postBlob()),
      ]);
      // same site: the cookies travelled and the hook's Origin check refused it (403
      // csrf_rejected); cross-site: no cookies, so no session (401)
      expect(blob.status(), origin.url).toBe(origin === sameSite ? 403 : 401);
      // (the answer is opaque to the page and to Playwright: its status is what shows; a 403
      // here can only be the hook's csrf_rejected, SvelteKit checks form content types only)
    }
    await attacker.close();

    // The hook's own refusal, as the built app answers it: the browser's cookies with another
    // origin on a request SvelteKit's check does not cover (not a form content type)
    for (const [method, path] of [
      ['POST', '/account?/note'],
      ['POST', '/api/notes'],
      ['DELETE', '/api/notes'],
    ] as const) {
      const forged = await context.request.fetch(`${app.url}${path}`, {
        method,
        headers: { origin: new URL(sameSite.url).origin, 'content-type': 'text/x-note' },
        data: 'csrf-forged',
      });
      expect(forged.status(), `${method} ${path}`).toBe(403);
      expect(forged.headers()['content-type']).toContain('application/problem+json');
      expect(((await forged.json()) as { code: string }).code).toBe('csrf_rejected');
    }

    // nothing was added by the other sites
    const notes = await context.request.get(`${app.url}/api/notes`);
    expect(notes.status()).toBe(200);
    expect(((await notes.json()) as { notes: string[] }).notes).toEqual(['own-note']);
  });

  it('refreshes an expired session on the server: the page renders signed in, with new cookies', async () => {
    const { context } = satori;
    const before = await context.cookies(app.url);
    const session = await sessionCookieOf(context);
    expect(session).toBeDefined();
    // what the browser does at the cookie's Max-Age (the access-token lifetime): drop it
    await context.clearCookies({ name: session!.name });
    expect(await sessionCookieOf(context)).toBeUndefined();
    // a server render with only the refresh and fingerprint cookies
    const res = await context.request.get(`${app.url}/`);
    const body = await res.text();
    expect(body).toContain('data-status="signed-in"');
    expect(body).toContain(satoriAddress);
    const setCookie = res.headersArray().filter((h) => h.name.toLowerCase() === 'set-cookie');
    expect(setCookie.length).toBeGreaterThan(0);
    const after = await sessionCookieOf(context);
    expect(after?.value).toBeTruthy();
    expect(after?.value).not.toBe(session!.value);
    const rotated = (await context.cookies(app.url)).filter((c) =>
      before.some((b) => b.name === c.name && b.value !== c.value),
    );
    expect(rotated.length).toBeGreaterThan(0); // the refresh token rotated too
  });

  it('with a 30 s access token, a page rendered after the session cookie expired is signed in, with new cookies', async () => {
    // the same build, started with the example's EVRMORE_AUTH_ACCESS_TTL at the smallest lifetime
    const short = await startApp(await freePort(), { EVRMORE_AUTH_ACCESS_TTL: '30' });
    apps.push(short);
    const { context, page } = await newBrowser(satoriKey);
    await page.goto(`${short.url}/signin`);
    const [verify] = await Promise.all([
      page.waitForResponse((r) => r.url() === `${short.url}/auth/verify`),
      testId(page, 'satori-signin').click(),
    ]);
    await page.waitForURL(`${short.url}/account`);
    const first = await sessionCookieOf(context, short.url);
    expect(first).toBeDefined();
    const sessionHeader = (await verify.headerValues('set-cookie'))
      .join('\n')
      .split('\n')
      .find((c) => c.startsWith(`${first!.name}=`));
    // the session cookie lives as long as the access token (30 s, less the time already spent)
    const maxAge = Number(/Max-Age=(\d+)/.exec(sessionHeader ?? '')?.[1]);
    expect(maxAge).toBeGreaterThan(0);
    expect(maxAge).toBeLessThanOrEqual(30);
    // no page of the app stays open: nothing in the browser refreshes the session meanwhile
    await page.close();
    // the browser drops the session cookie at its Max-Age (the refresh cookie lives on)
    await expect
      .poll(() => sessionCookieOf(context, short.url), { timeout: 60_000, interval: 1_000 })
      .toBeUndefined();
    const later = await context.newPage();
    const res = await later.goto(`${short.url}/`);
    const body = await res!.text();
    expect(body).toContain('data-status="signed-in"');
    expect(body).toContain(satoriAddress);
    const renewed = await sessionCookieOf(context, short.url);
    expect(renewed?.value).toBeTruthy();
    expect(renewed?.value).not.toBe(first!.value);
    await shot(later, '12-signed-in-after-expiry.png');
    await later.close();
  }, 120_000);

  it('a session revoked from another browser is signed out on its next server render', async () => {
    // a third browser signs in with the same Satori GO key (same address) and revokes the other
    const other = await newBrowser(satoriKey);
    await other.page.goto(`${app.url}/signin`);
    await testId(other.page, 'satori-signin').click();
    await other.page.waitForURL(`${app.url}/account`);
    // the session id the server rendered for the first browser's page
    const firstView = await html(satori.page, '/');
    expect(firstView).toContain(satoriAddress);
    const prefix = /session ([\w-]{8})…/.exec(firstView)?.[1];
    expect(prefix).toBeTruthy();

    await other.page.goto(`${app.url}/account`);
    const row = other.page.locator(`[data-testid="session"][data-session-id^="${prefix}"]`);
    await row.waitFor();
    expect(await row.getAttribute('data-current')).toBe('false');
    await shot(other.page, '08-session-list.png');
    await row.locator('[data-testid="revoke"]').click();
    await row.waitFor({ state: 'detached' });

    const res = await satori.page.goto(`${app.url}/`);
    const body = await res!.text();
    expect(body).toContain('data-status="signed-out"');
    expect(body).not.toContain(satoriAddress);
    await satori.page.goto(`${app.url}/account`);
    expect(new URL(satori.page.url()).pathname).toBe('/signin');
    await shot(satori.page, '09-revoked-signed-out.png');
  });

  it('sign-out in one tab is seen by the server on the next request of another tab', async () => {
    const { page, context } = demo;
    const second = await context.newPage();
    expect(await html(second, '/')).toContain(demoAddress);
    await page.goto(`${app.url}/account`);
    await testId(page, 'sign-out').click();
    await page.waitForURL(`${app.url}/`);
    await expect.poll(() => testId(page, 'status').getAttribute('data-status')).toBe('signed-out');
    await shot(page, '10-signed-out.png');
    // a client-side navigation to the protected page (its __data.json request) goes to sign-in
    const [data] = await Promise.all([
      page.waitForResponse((r) => r.url().startsWith(`${app.url}/account/__data.json`)),
      testId(page, 'nav-account').click(),
    ]);
    await page.waitForURL(`${app.url}/signin?redirectTo=%2Faccount`);
    expect(data.status()).toBe(200); // SvelteKit's JSON redirect, made from the hook's 303

    const res = await second.goto(`${app.url}/`);
    const body = await res!.text();
    expect(body).toContain('data-status="signed-out"');
    expect(body).not.toContain(demoAddress);
    await second.goto(`${app.url}/account`);
    expect(new URL(second.url()).pathname).toBe('/signin');
    await shot(second, '11-other-tab-signed-out.png');
    expect(await sessionCookieOf(context)).toBeUndefined();
  });

  it('had no uncaught errors in the pages', () => {
    expect(pageErrors).toEqual([]);
  });
});
