// Records every console error, page error and failed request of a page, except the ones the
// flow announced with `allow(...)` beforehand (e.g. the 401 of a revoked session).

import type { Page } from 'playwright-core';

interface Allowed {
  method: string;
  path: RegExp;
  /** An HTTP status, or 'network' for a request that never got an answer. */
  status: number | 'network';
}

export interface PageWatch {
  /** Let `method path` fail with `status` (until `disallowAll`). */
  allow(method: string, path: RegExp, status: number | 'network'): void;
  disallowAll(): void;
  /** Failures nobody allowed; the test asserts this is empty. */
  readonly problems: string[];
  /** Every answered API call, `METHOD /path STATUS`, in order. */
  readonly calls: string[];
}

export function watchPage(page: Page, name: string): PageWatch {
  let allowed: Allowed[] = [];
  const problems: string[] = [];
  const calls: string[] = [];
  const isAllowed = (method: string, url: string, status: number | 'network'): boolean => {
    const path = new URL(url).pathname + new URL(url).search;
    return allowed.some(
      (a) => (a.method === '*' || a.method === method) && a.path.test(path) && a.status === status,
    );
  };
  // Chromium reports every failed resource load as a console error too; it is judged by the
  // request it belongs to (above), so it passes only when that request was allowed.
  const allowedConsole = new Set<string>();

  page.on('response', (response) => {
    const request = response.request();
    const url = new URL(response.url());
    if (url.pathname.startsWith('/auth/') || url.pathname.startsWith('/api/'))
      calls.push(`${request.method()} ${url.pathname}${url.search} ${response.status()}`);
    if (response.status() < 400) return;
    if (isAllowed(request.method(), response.url(), response.status())) {
      allowedConsole.add(response.url());
      return;
    }
    problems.push(`[${name}] ${request.method()} ${response.url()} answered ${response.status()}`);
  });
  page.on('requestfailed', (request) => {
    if (isAllowed(request.method(), request.url(), 'network')) {
      allowedConsole.add(request.url());
      return;
    }
    problems.push(
      `[${name}] ${request.method()} ${request.url()} failed: ${request.failure()?.errorText}`,
    );
  });
  // Judged when read, so the order of the console and network events does not matter.
  const consoleErrors: { text: string; location: string; networkAllowed: boolean }[] = [];
  page.on('console', (message) => {
    if (message.type() !== 'error') return;
    consoleErrors.push({
      text: message.text(),
      location: message.location().url,
      networkAllowed: allowed.some((a) => a.status === 'network'),
    });
  });
  page.on('pageerror', (error) => problems.push(`[${name}] page error: ${error.message}`));

  return {
    allow(method, path, status) {
      allowed.push({ method, path, status });
    },
    disallowAll() {
      allowed = [];
    },
    get problems() {
      const unexpected = consoleErrors
        .filter(
          (e) =>
            !(/^Failed to load resource/.test(e.text) && allowedConsole.has(e.location)) &&
            // A fetch that failed for an allowed network reason may be reported without a location.
            !(/^Failed to load resource: net::/.test(e.text) && e.networkAllowed),
        )
        .map((e) => `[${name}] console error: ${e.text} (${e.location})`);
      return [...problems, ...unexpected];
    },
    calls,
  };
}
