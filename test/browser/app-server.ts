// Serves the browser test's page, its bundle, the real auth handler and one protected API route on
// one loopback origin (http://localhost:PORT), counting the refresh requests that reach the server.
import type { AddressInfo } from 'node:net';
import { once } from 'node:events';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { serve } from '@hono/node-server';
import { EvrmoreAuthError, toProblem } from '@evrmore-auth/core';

/** What the test needs from the server package. */
export interface AuthUnderTest {
  handler(request: Request): Promise<Response>;
  authenticate(request: Request): Promise<unknown>;
}

const HTML = `<!doctype html><html><head><meta charset="utf-8"><title>TAB</title>
<style>body{font:14px monospace;margin:16px;background:#0f1720;color:#d7e3f4}pre{white-space:pre-wrap}</style>
</head><body><h1>evrmore-auth multi-tab test</h1><pre id="state">loading…</pre>
<script type="module" src="/app.js"></script></body></html>`;

/** The part of esbuild's API used here (esbuild is not a dependency of this package). */
interface EsbuildLike {
  build(options: Record<string, unknown>): Promise<{ outputFiles: { text: string }[] }>;
}

/**
 * Bundle test/browser/page.ts with esbuild from the client's and core's sources (no build needed).
 * esbuild is resolved through tsup, which the root devDependencies already hold.
 */
export async function bundlePage(): Promise<string> {
  const requireFromTsup = createRequire(createRequire(import.meta.url).resolve('tsup'));
  const esbuild = requireFromTsup('esbuild') as EsbuildLike;
  const root = (p: string) => fileURLToPath(new URL(`../../${p}`, import.meta.url));
  const result = await esbuild.build({
    entryPoints: [fileURLToPath(new URL('./page.ts', import.meta.url))],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    write: false,
    logLevel: 'silent',
    alias: {
      '@evrmore-auth/client/local-key': root('packages/client/src/signers/local-key.ts'),
      '@evrmore-auth/client': root('packages/client/src/index.ts'),
      '@evrmore-auth/core': root('packages/core/src/index.ts'),
    },
    nodePaths: [root('packages/core/node_modules'), root('packages/client/node_modules')],
  });
  return result.outputFiles[0]!.text;
}

/** Start the app; `makeAuth` receives the origin (known only once the port is bound). */
export async function startApp(
  makeAuth: (origin: string) => Promise<AuthUnderTest> | AuthUnderTest,
) {
  const bundle = await bundlePage();
  const counts = { refresh: 0, refreshOk: 0, api: 0 };
  const current: { auth?: AuthUnderTest } = {};
  const server = serve({
    hostname: '127.0.0.1',
    port: 0,
    fetch: async (request: Request): Promise<Response> => {
      const url = new URL(request.url);
      if (url.pathname === '/' || url.pathname === '/index.html') {
        return new Response(HTML, { headers: { 'content-type': 'text/html; charset=utf-8' } });
      }
      if (url.pathname === '/app.js') {
        return new Response(bundle, { headers: { 'content-type': 'text/javascript' } });
      }
      const auth = current.auth;
      if (!auth) return new Response('starting', { status: 503 });
      if (url.pathname.startsWith('/auth/')) {
        const isRefresh = url.pathname === '/auth/refresh' && request.method === 'POST';
        if (isRefresh) counts.refresh++;
        const response = await auth.handler(request);
        if (isRefresh && response.ok) counts.refreshOk++;
        return response;
      }
      if (url.pathname === '/api/me') {
        counts.api++;
        try {
          const who = await auth.authenticate(request);
          return Response.json({ ok: true, who });
        } catch (err) {
          if (err instanceof EvrmoreAuthError)
            return Response.json(toProblem(err), {
              status: err.status,
              headers: { 'content-type': 'application/problem+json' },
            });
          throw err;
        }
      }
      return new Response('not found', { status: 404 });
    },
  });
  if (!server.listening) await once(server, 'listening');
  const port = (server.address() as AddressInfo).port;
  const origin = `http://localhost:${port}`;
  current.auth = await makeAuth(origin);
  return {
    origin,
    counts,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
