// The demo's evrmore-auth configuration: what a backend developer writes.
import { randomBytes } from 'node:crypto';
import {
  createEvrmoreAuth,
  type AuthEvent,
  type AuthStore,
  type PinoLikeLogger,
} from '@evrmore-auth/server';

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
  /** The store (the memory store by default). */
  store: AuthStore;
  /** Whether the store outlives the process (Redis, Postgres): MFA then needs a fixed key. */
  persistent: boolean;
  /** Access-token lifetime in seconds. */
  accessTokenTtl: number;
  /** Addresses with the admin role; empty: the first address that signs in after start. */
  adminAddresses: string[];
}

/** The server logs each audit event as the log object itself (pino style: `logger.info(event, msg)`). */
function isAuthEvent(obj: object): obj is AuthEvent {
  const o = obj as Partial<AuthEvent>;
  return typeof o.type === 'string' && typeof o.at === 'string';
}

/** One audit line: type, address, reason code, session, client IP and extra facts. */
function eventLine(event: AuthEvent, level: 'info' | 'warn'): string {
  const parts: Array<string | undefined> = [
    level === 'warn' ? `${event.type} (!)` : event.type,
    event.address,
    event.code && `(${event.code})`,
    event.sessionId && `session ${event.sessionId.slice(0, 8)}…`,
    event.ip ? `from ${event.ip}` : undefined,
  ];
  for (const [key, value] of Object.entries(event.detail ?? {})) parts.push(`${key}=${value}`);
  return `[auth] ${parts.filter(Boolean).join(' ')}`;
}

/** Audit events as one short line each; other warnings (e.g. development keys) stand out. */
const consoleLogger: PinoLikeLogger = {
  info(obj, msg) {
    console.log(isAuthEvent(obj) ? eventLine(obj, 'info') : `[auth] ${msg ?? ''}`);
  },
  warn(obj, msg) {
    // Failed sign-ins, reused refresh tokens, rate limits and anomalies: still one line each.
    if (isAuthEvent(obj)) return console.warn(eventLine(obj, 'warn'));
    console.warn(`\n  WARNING: ${msg ?? JSON.stringify(obj)}\n`);
  },
  error(obj, msg) {
    const err = (obj as { err?: unknown }).err;
    const message = err instanceof Error ? err.message : (err as { message?: string })?.message;
    console.error(`[auth] ERROR ${msg ?? ''}`, message ?? '');
  },
};

/**
 * Who is admin: the ADMIN_ADDRESSES list, or (without one) the first address that signs in after
 * the demo starts, so two browsers show a viewer and an admin. A real app reads its user table.
 */
function adminRule(configured: string[]): (address: string) => string[] {
  const admins = new Set(configured);
  return (address) => {
    if (admins.size === 0) {
      admins.add(address);
      console.log(`[demo] ${address} is the first to sign in: it gets the admin role`);
    }
    return admins.has(address) ? ['admin'] : [];
  };
}

export function createDemoAuth({
  origin,
  store,
  persistent,
  accessTokenTtl,
  adminAddresses,
}: DemoAuthOptions) {
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
      demo: true,
      greeting: `gm ${address.slice(0, 6)}`,
    }),
    // Roles and what each may do: every token carries `roles` and `permissions` (sign-in and
    // every refresh); routes say what they need: requireAuth(auth, { roles: ['admin'] }).
    roles: {
      viewer: ['posts:read'],
      admin: ['posts:read', 'posts:write', 'api-keys:manage'],
    },
    defaultRoles: ['viewer'],
    rolesOf: adminRule(adminAddresses),
    logger: consoleLogger,
    // Session policy: at most 3 sessions per wallet (a fourth sign-in signs the oldest out; its
    // next request is 401 token_revoked), and 30 minutes without a request or refresh ends one.
    sessionPolicy: { maxSessionsPerAddress: 3, onLimit: 'evict-oldest', idleTimeoutSeconds: 1800 },
    // DPoP (RFC 9449): a sign-in with a proof gets tokens bound to the browser's key, usable only
    // with that key's proofs, here and at the API on the other origin (server/api.ts).
    dpop: { mode: 'allowed' },
    // Two-factor authentication (TOTP + backup codes); secrets are stored encrypted.
    mfa: {
      encryptionKeys: [{ id: 'demo', key: mfaKey(process.env, persistent) }],
      issuer: 'evrmore-auth demo',
    },
  });
}
