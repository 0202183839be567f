// Builds the page in web/ with Vite's JavaScript API into dist/, once at start-up, so one
// process serves a production build (no dev server, no inline scripts: the CSP stays strict).
import { fileURLToPath } from 'node:url';
import { build } from 'vite';

/** Where the built page lands (served as static files). */
export const webDist = fileURLToPath(new URL('../dist/', import.meta.url));
const webRoot = fileURLToPath(new URL('../web/', import.meta.url));

/** Build web/ into dist/ (index.html, hashed assets/, favicon); `apiOrigin` is the second
 *  origin's URL the page calls (`__API_ORIGIN__` in web/main.ts). */
export async function buildWeb(apiOrigin: string): Promise<void> {
  await build({
    root: webRoot,
    configFile: false,
    logLevel: 'warn',
    define: { __API_ORIGIN__: JSON.stringify(apiOrigin) },
    build: {
      outDir: webDist,
      emptyOutDir: true,
      // One small bundle; no inline modulepreload polyfill (the CSP allows scripts from self only).
      modulePreload: { polyfill: false },
      chunkSizeWarningLimit: 1024,
    },
  });
}
