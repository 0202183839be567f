// The demo's evrmore-auth configuration: what a backend developer writes.
import { randomBytes } from 'node:crypto';
import { createEvrmoreAuth, type AuthStore, type PinoLikeLogger } from '@evrmore-auth/server';

/**
 * The key TOTP secrets are encrypted with (AES-256-GCM): MFA_ENCRYPTION_KEY (32 bytes, base64 or
 * hex), else one generated at start with a warning, which is fine for the memory store but makes
 * enrolments unreadable after a restart with Redis or Postgres.
 */
function mfaKey(env: NodeJS.ProcessEnv, persistent: boolean): string {
  const configured = env.MFA_ENCRYPTION_KEY?.trim();
  if (configured) return configured;
  if (persistent)
    console.warn(
      '\n  WARNING: MFA_ENCRYPTION_KEY is not set: TOTP secrets are encrypted with a key generated ' +
        'at start, so two-factor enrolments stop working after a restart. Generate one with\n' +
        '  node -e "console.log(crypto.randomBytes(32).toString(\'base64\'))"\n',
    );
  return randomBytes(32).toString('base64');
}

export interface DemoAuthOptions {
  /** The page's origin, e.g. http://localhost:5173. */
  origin: string;
  /** `undefined`: the server's bounded in-memory store. */
  store: AuthStore | undefined;
  /** Access-token lifetime in seconds. */
  accessTokenTtl: number;
}

/** Audit events as one short line each; warnings (e.g. development keys) stand out. */
const consoleLogger: PinoLikeLogger = {
  info(obj, msg) {
    const event = (obj as { event?: Record<string, unknown> }).event;
    if (!event) return console.log(`[auth] ${msg ?? ''}`);
    const parts = [event.type, event.address, event.code && `(${String(event.code)})`];
    if (event.sessionId) parts.push(`session ${String(event.sessionId).slice(0, 8)}…`);
    console.log(`[auth] ${parts.filter(Boolean).join(' ')}`);
  },
  warn(obj, msg) {
    console.warn(`\n  WARNING: ${msg ?? JSON.stringify(obj)}\n`);
  },
  error(obj, msg) {
    const err = (obj as { err?: unknown }).err;
    console.error(`[auth] ERROR ${msg ?? ''}`, err instanceof Error ? err.message : '');
  },
};

export function createDemoAuth({ origin, store, accessTokenTtl }: DemoAuthOptions) {
  return createEvrmoreAuth({
    // What the user signs: "localhost:5173 wants you to sign in…" and "URI: http://localhost:5173".
    // The client refuses to sign a message naming any other site (phishing defence).
    domain: new URL(origin).host,
    uri: origin,
    statement: 'Sign in to the evrmore-auth demo.',
    // The only origin allowed to make cookie-authenticated calls (/auth/refresh) and, if the page
    // lived elsewhere, CORS requests. Never "*": credentials are involved.
    allowedOrigins: [origin],
    // Short-lived access tokens so you can watch the page renew them (the default is 15 min).
    accessTokenTtlSeconds: accessTokenTtl,
    store,
    // No `keys`: outside production the server generates ephemeral signing keys at start and
    // warns about it (tokens die with the process). In production pass `keys` (JWK or PEM).
    production: false,
    // Load or create your user here and return extra claims for the access token (asked at
    // sign-in and at every refresh).
    claims: ({ address }) => ({
      roles: ['demo-user'],
      demo: true,
      greeting: `gm ${address.slice(0, 6)}`,
    }),
    logger: consoleLogger,
    // Two-factor authentication (TOTP + backup codes); secrets are stored encrypted.
    mfa: {
      encryptionKeys: [{ id: 'demo', key: mfaKey(process.env, store !== undefined) }],
      issuer: 'evrmore-auth demo',
    },
  });
}
