// End-to-end test of examples/nextjs: built with `next build`, served by `next start` on
// 127.0.0.1, driven in headless Chromium. What the server renders is checked in the HTML it sends
// (before any script runs); one screenshot per step in test-output/nextjs/.

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { generatePrivateKey, privateKeyToAddress, signMessage } from '@evrmore-auth/core';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, skipWithoutChromium } from '../helpers/chromium.js';
import { freePort, repoRoot } from './demo-process.js';

const skip = skipWithoutChromium('Next.js example end-to-end test');

const exampleDir = join(repoRoot, 'examples', 'nextjs');
const nextBin = join(exampleDir, 'node_modules', '.bin', 'next');
const shots = join(repoRoot, 'test-output', 'nextjs');
/** The example's access-token (and session-cookie) lifetime here: the config's minimum. */
const ACCESS_TTL = 30;

/** Runs a command to its end; rejects with its output when it fails. */
function run(command: string, args: string[], env: Record<string, string>): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: exampleDir,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    child.on('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`${command} ${args.join(' ')}: ${output}`)),
    );
  });
}

const poll = <T>(fn: () => T | Promise<T>, timeout = 15_000) =>
  expect.poll(fn, { timeout, interval: 100 });

describe.skipIf(skip)('Next.js example in Chromium', () => {
  let server: ChildProcess | undefined;
  let serverOutput = '';
  let url = '';
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  const evilServers: Server[] = [];

  beforeAll(async () => {
    mkdirSync(shots, { recursive: true });
    const env = { NEXT_TELEMETRY_DISABLED: '1' };
    const [port] = await Promise.all([freePort(), run(nextBin, ['build'], env)]);
    url = `http://127.0.0.1:${port}`;
    server = spawn(nextBin, ['start', '-H', '127.0.0.1', '-p', String(port)], {
      cwd: exampleDir,
      env: {
        ...process.env,
        ...env,
        EVRMORE_AUTH_ORIGIN: url,
        EVRMORE_AUTH_ACCESS_TTL: String(ACCESS_TTL),
      },
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    server.stdout?.on('data', (c: Buffer) => (serverOutput += c.toString()));
    server.stderr?.on('data', (c: Buffer) => (serverOutput += c.toString()));
    browser = await launchChromium();
    // Ready when it answers.
    const started = Date.now();
    for (;;) {
      try {
        if ((await fetch(url)).ok) break;
      } catch {
        // not listening yet
      }
      if (Date.now() - started > 60_000) throw new Error(`next start: ${serverOutput}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }, 240_000);

  afterAll(async () => {
    await Promise.allSettled(contexts.map((c) => c.close()));
    await browser?.close();
    for (const s of evilServers) s.close();
    if (server?.pid !== undefined && server.exitCode === null) {
      const exited = new Promise((r) => server!.once('exit', r));
      process.kill(-server.pid, 'SIGTERM');
      await exited;
    }
  }, 30_000);

  const shot = (page: Page, name: string) =>
    page.screenshot({ path: join(shots, name), fullPage: true });

  async function newContext(): Promise<BrowserContext> {
    const context = await browser.newContext({ viewport: { width: 1000, height: 760 } });
    contexts.push(context);
    return context;
  }

  /** A browser whose `window.evrmore` is a fake Satori GO signing with `privateKey` in Node. */
  async function satoriContext(privateKey: Uint8Array): Promise<BrowserContext> {
    const context = await newContext();
    const address = privateKeyToAddress(privateKey);
    await context.exposeFunction('__walletSign', (message: string) =>
      signMessage({ privateKey, message }),
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
    }, address);
    return context;
  }

  const serverState = (page: Page) => page.locator('#server-status').getAttribute('data-state');

  /** Signs in with a button and waits for the server-rendered part to show the address. */
  async function signIn(page: Page, button: '#sign-in-demo' | '#sign-in-satori'): Promise<string> {
    await page.goto(url);
    await page.locator(button).click();
    await poll(() => serverState(page)).toBe('signed-in');
    return (await page.locator('#server-address').textContent())!;
  }

  /** The HTML the server sends for `path` with the context's cookies (no script runs). */
  async function serverHtml(context: BrowserContext, path = '/'): Promise<string> {
    const res = await context.request.get(url + path);
    return res.text();
  }

  let demo: { context: BrowserContext; page: Page; address: string };
  let refreshCheck: { context: BrowserContext; address: string; at: number; session: string };

  it('renders signed out on first load, in the HTML the server sends', async () => {
    const html = await (await fetch(url)).text();
    expect(html).toContain('data-state="signed-out"');
    expect(html).not.toContain('server-address');
    const context = await newContext();
    const page = await context.newPage();
    await page.goto(url);
    await page.locator('#sign-in-demo').waitFor();
    await shot(page, '01-signed-out.png');
  });

  it('signs in with the demo wallet and with Satori GO; a reload renders the address on the server', async () => {
    // A browser for the server-side refresh check at the end: signed in now, then left alone.
    {
      const context = await newContext();
      const page = await context.newPage();
      const address = await signIn(page, '#sign-in-demo');
      await page.close(); // no client any more to refresh the session from the page
      const session = (await context.cookies()).find((c) => c.name === 'evrmore-session');
      expect(session?.httpOnly).toBe(true);
      expect(session?.sameSite).toBe('Lax');
      refreshCheck = { context, address, at: Date.now(), session: session!.value };
    }

    const context = await newContext();
    const page = await context.newPage();
    const address = await signIn(page, '#sign-in-demo');
    expect(address).toMatch(/^E[1-9A-HJ-NP-Za-km-z]{33}$/);
    await shot(page, '02-signed-in-demo-wallet.png');
    demo = { context, page, address };

    const navigation = await page.reload();
    const html = await navigation!.text();
    expect(html).toContain('data-state="signed-in"');
    expect(html).toContain(address);
    await shot(page, '03-reloaded-signed-in.png');

    const key = generatePrivateKey();
    const satori = await satoriContext(key);
    const satoriPage = await satori.newPage();
    expect(await signIn(satoriPage, '#sign-in-satori')).toBe(privateKeyToAddress(key));
    expect(await serverHtml(satori)).toContain(privateKeyToAddress(key));
    await shot(satoriPage, '04-signed-in-satori-go.png');
  }, 90_000);

  it('the protected page renders when signed in and redirects when signed out', async () => {
    const res = await fetch(`${url}/dashboard`, { redirect: 'manual' });
    expect([302, 303, 307]).toContain(res.status);
    expect(new URL(res.headers.get('location')!, url).pathname).toBe('/');
    const api = await fetch(`${url}/api/notes`);
    expect(api.status).toBe(401);
    expect(api.headers.get('content-type')).toContain('application/problem+json');

    const anonymous = await (await newContext()).newPage();
    await anonymous.goto(`${url}/dashboard`);
    expect(new URL(anonymous.url()).origin).toBe(url);
    expect(new URL(anonymous.url()).searchParams.get('next')).toBe('/dashboard');
    await anonymous.locator('#redirected').waitFor();
    await shot(anonymous, '05-protected-redirects.png');
    // Signing in there leads back to the protected page.
    await anonymous.locator('#sign-in-demo').click();
    await anonymous.waitForURL(`${url}/dashboard`);
    await anonymous.locator('#dashboard-address').waitFor();

    const { page, address } = demo;
    await page.goto(`${url}/dashboard`);
    expect(await page.locator('#dashboard-address').textContent()).toContain(address);
    await page.locator('input[name=text]').first().fill('from a server action');
    await page.locator('#add-note').click();
    await poll(() => page.locator('#notes').textContent()).toContain('from a server action');
    await page.locator('input[name=text]').nth(1).fill('from a form post');
    await page.locator('#post-note').click();
    await page.waitForURL(`${url}/dashboard`);
    await poll(() => page.locator('#notes').textContent()).toContain('from a form post');
    await shot(page, '06-protected-page-and-notes.png');
  }, 60_000);

  it('refuses a form post from another origin (same-site other port, and cross-site)', async () => {
    const { context, page } = demo;
    await page.goto(`${url}/dashboard`);
    const actionField = await page
      .locator('form input[type=hidden][name^="$ACTION_ID_"]')
      .first()
      .getAttribute('name');
    const evilPage = (target: string) => `<!doctype html><title>elsewhere</title>
<h1>Another site</h1>
<form id="f" method="post" action="${target}/api/notes"><input name="text" value="forged note"></form>
<form id="g" method="post" enctype="multipart/form-data" action="${target}/dashboard">
<input name="${actionField ?? '$ACTION_ID_x'}" value=""><input name="text" value="forged action"></form>`;
    const evil = async (host: string) => {
      const s = createServer((_req, res) => {
        res.setHeader('content-type', 'text/html');
        res.end(evilPage(url));
      });
      evilServers.push(s);
      // port 0: the kernel's free port on that address (no freePort() race with other suites)
      await new Promise<void>((resolve, reject) => {
        s.once('error', reject);
        s.listen(0, host, () => resolve());
      });
      const address = s.address();
      if (typeof address !== 'object' || address === null) throw new Error('no port');
      return `http://${host}:${address.port}/`;
    };
    for (const [host, label] of [
      ['127.0.0.1', 'same-site'],
      ['127.0.0.2', 'cross-site'],
    ] as const) {
      const other = await context.newPage();
      await other.goto(await evil(host));
      const [response] = await Promise.all([
        other.waitForResponse((r) => r.url() === `${url}/api/notes`),
        other.locator('#f').evaluate((f: HTMLFormElement) => f.submit()),
      ]);
      // same-site: the SameSite=Lax cookies travel, the Origin check refuses (403);
      // cross-site: no cookies on a cross-site POST, and the Origin check refuses too.
      expect([401, 403]).toContain(response.status());
      if (label === 'same-site') {
        expect(response.status()).toBe(403);
        expect((await response.json()).code).toBe('csrf_rejected');
      }
      await shot(other, `07-cross-origin-form-refused-${label}.png`);
      await other.goto(await evil(host));
      await Promise.all([
        other.waitForLoadState('load'),
        other.locator('#g').evaluate((f: HTMLFormElement) => f.submit()),
      ]);
      await other.close();
    }
    const notes = await context.request.get(`${url}/api/notes`);
    expect(notes.status()).toBe(200);
    const list = ((await notes.json()) as { notes: string[] }).notes;
    expect(list).toContain('from a form post');
    expect(list).not.toContain('forged note');
    expect(list).not.toContain('forged action');
  }, 60_000);

  it('a sign-out in one tab is seen by the server on the next request of another tab', async () => {
    const { context, page, address } = demo;
    await page.goto(url);
    const other = await context.newPage();
    await other.goto(url);
    expect(await serverState(other)).toBe('signed-in');
    await page.locator('#sign-out').click();
    await poll(() => serverState(page)).toBe('signed-out');
    const navigation = await other.reload();
    const html = await navigation!.text();
    expect(html).toContain('data-state="signed-out"');
    expect(html).not.toContain(address);
    await shot(other, '08-signed-out-in-other-tab.png');
  }, 60_000);

  it('revoking a session from another browser takes effect on the next server render', async () => {
    const key = generatePrivateKey();
    const address = privateKeyToAddress(key);
    const first = await (await satoriContext(key)).newPage();
    await signIn(first, '#sign-in-satori');
    const second = await (await satoriContext(key)).newPage();
    await signIn(second, '#sign-in-satori');
    const otherSession = second.locator('#sessions li[data-current="no"]');
    await poll(() => otherSession.count()).toBe(1);
    await shot(second, '09-session-list.png');
    await otherSession.locator('button').click();
    await poll(() => otherSession.count()).toBe(0);
    const navigation = await first.reload();
    const html = await navigation!.text();
    expect(html).toContain('data-state="signed-out"');
    expect(html).not.toContain(address);
    await shot(first, '10-revoked-elsewhere.png');
  }, 60_000);

  it('refreshes an expired session on the server: the page still renders signed in, with new cookies', async () => {
    const { context, address, at, session } = refreshCheck;
    const wait = at + (ACCESS_TTL + 3) * 1000 - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    // The browser dropped the expired session cookie; the refresh cookie is left.
    expect((await context.cookies()).some((c) => c.name === 'evrmore-session')).toBe(false);
    const page = await context.newPage();
    const navigation = await page.goto(url);
    const html = await navigation!.text();
    expect(html).toContain('data-state="signed-in"');
    expect(html).toContain(address);
    const renewed = (await context.cookies()).find((c) => c.name === 'evrmore-session');
    expect(renewed?.value).toBeTruthy();
    expect(renewed?.value).not.toBe(session);
    await shot(page, '11-refreshed-on-the-server.png');
  }, 90_000);
});
