// What the runtime says about the deployment, read without assuming Node: `process.env` may be
// absent (Workers without nodejs_compat, browsers), empty (Workers with it), or guarded by a
// permission (Deno without --allow-env throws when it is read).

type EnvGlobals = {
  process?: { env?: Record<string, string | undefined> };
  navigator?: { userAgent?: string };
};

/** `NODE_ENV` when the runtime has one and lets it be read, else `undefined`. */
export function readNodeEnv(): string | undefined {
  try {
    return (globalThis as EnvGlobals).process?.env?.NODE_ENV;
  } catch {
    return undefined; // Deno without --allow-env
  }
}

/** Whether this is Cloudflare's runtime: a deployed Worker, or workerd / `wrangler dev` locally. */
export function onCloudflareWorkers(): boolean {
  return (globalThis as EnvGlobals).navigator?.userAgent === 'Cloudflare-Workers';
}

/**
 * The default of the `production` option. `NODE_ENV` decides when it is set (`production`: on;
 * any other value: off). Where there is none: on for Cloudflare Workers, whose deployments have no
 * `NODE_ENV` and are production (so the safe side: keys required, unknown client IPs refused;
 * pass `production: false` for `wrangler dev` with ephemeral keys), off elsewhere.
 */
export function detectProduction(): boolean {
  const nodeEnv = readNodeEnv();
  if (nodeEnv !== undefined && nodeEnv !== '') return nodeEnv === 'production';
  return onCloudflareWorkers();
}
