import adapter from '@sveltejs/adapter-node';
import { vitePreprocess } from '@sveltejs/vite-plugin-svelte';

/** @type {import('@sveltejs/kit').Config} */
const config = {
  preprocess: vitePreprocess(),
  kit: {
    // `npm run build` → build/index.js, a standalone Node server (`node build/index.js`).
    adapter: adapter(),
    // SvelteKit's own CSRF check (form content types from another origin) stays on; the auth's
    // handle adds the Origin check for every cookie-authenticated unsafe request.
  },
};

export default config;
