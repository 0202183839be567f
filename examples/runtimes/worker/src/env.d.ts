// The bindings of wrangler.jsonc, as `env` (from `cloudflare:workers` or `fetch`'s second argument)
// types them. `wrangler types` can generate this; it is written by hand here to document each one.
declare namespace Cloudflare {
  interface Env {
    /** The Durable Object namespace of `EvrmoreAuthStoreObject`: the store every isolate shares. */
    AUTH_STORE: DurableObjectNamespace;
    /** Secret: the signing keys, a JSON array of `KeyConfig` (newest first). */
    AUTH_KEYS: string;
    /** Var: the site's origin, e.g. `https://example.com`. */
    ORIGIN: string;
    /** Var (optional): challenges per client IP per minute. @default 30 */
    CHALLENGES_PER_IP_PER_MINUTE?: string;
    /** Var (optional): seconds in which a duplicate refresh gets the same new tokens. @default 10 */
    REFRESH_GRACE_SECONDS?: string;
  }
}
