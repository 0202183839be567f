// SQL migrations of the Postgres store, shipped in code and applied in order by `migrate()`.
// Each runs once per schema; `schema_migrations` records which have run. Never edit a released
// migration: add a new one.

/**
 * One migration: a version (strictly increasing) and its statements for a quoted schema.
 *
 * @example
 * ```ts
 * const latest: Migration = MIGRATIONS[MIGRATIONS.length - 1]!;
 * ```
 */
export interface Migration {
  /** Its number; migrations apply in increasing order, each once (recorded in the schema). */
  version: number;
  /** A short name, for logs. */
  name: string;
  /** The SQL to run, given the schema name. */
  sql: (schema: string) => string;
}

/**
 * Every migration, oldest first.
 *
 * @example
 * ```ts
 * console.log(MIGRATIONS.map((m) => `${m.version} ${m.name}`));
 * ```
 */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'initial tables',
    sql: (s) => `
CREATE TABLE ${s}.challenges (
  nonce text PRIMARY KEY,
  record text NOT NULL,
  expires_at bigint NOT NULL
);
CREATE INDEX challenges_expires_at ON ${s}.challenges (expires_at);

CREATE TABLE ${s}.sessions (
  id text PRIMARY KEY,
  address text NOT NULL,
  created_at bigint NOT NULL,
  last_seen_at bigint NOT NULL,
  expires_at bigint NOT NULL,
  idle_expires_at bigint NOT NULL,
  user_agent text,
  ip text,
  fingerprint_hash text NOT NULL,
  revoked_at bigint,
  revoked_reason text
);
CREATE INDEX sessions_address ON ${s}.sessions (address, created_at DESC);
CREATE INDEX sessions_expires_at ON ${s}.sessions (expires_at);

CREATE TABLE ${s}.refresh_tokens (
  hash text PRIMARY KEY,
  session_id text NOT NULL REFERENCES ${s}.sessions (id) ON DELETE CASCADE,
  created_at bigint NOT NULL,
  rotated_at bigint,
  grace_blob text
);
CREATE INDEX refresh_tokens_session ON ${s}.refresh_tokens (session_id);

CREATE TABLE ${s}.mfa (
  address text PRIMARY KEY,
  totp_secret_enc text,
  pending_secret_enc text,
  enabled boolean NOT NULL,
  last_totp_step bigint NOT NULL,
  updated_at bigint NOT NULL
);
CREATE TABLE ${s}.mfa_backup_codes (
  address text NOT NULL REFERENCES ${s}.mfa (address) ON DELETE CASCADE,
  code_hash text NOT NULL,
  PRIMARY KEY (address, code_hash)
);

CREATE TABLE ${s}.once_values (
  key text PRIMARY KEY,
  value text NOT NULL,
  expires_at bigint NOT NULL
);
CREATE INDEX once_values_expires_at ON ${s}.once_values (expires_at);

-- rate-limiter-flexible's RateLimiterPostgres table layout (created here, not by the library).
CREATE TABLE ${s}.rate_limits (
  key varchar(255) PRIMARY KEY,
  points integer NOT NULL DEFAULT 0,
  expire bigint
);
`,
  },
  {
    version: 2,
    name: 'bounded refresh families',
    // generation: position in the family (history trimmed to the newest rotated ones);
    // successor_hash: the token that replaced this one (its retry window ends once that rotates);
    // grace_until: the latest time the grace blob may be served (purgeExpired drops it after).
    sql: (s) => `
ALTER TABLE ${s}.refresh_tokens
  ADD COLUMN generation bigint NOT NULL DEFAULT 0,
  ADD COLUMN successor_hash text,
  ADD COLUMN grace_until bigint;
CREATE INDEX refresh_tokens_grace_until ON ${s}.refresh_tokens (grace_until)
  WHERE grace_blob IS NOT NULL;
CREATE INDEX sessions_idle_expires_at ON ${s}.sessions (idle_expires_at);
CREATE INDEX sessions_revoked_at ON ${s}.sessions (revoked_at) WHERE revoked_at IS NOT NULL;
`,
  },
  {
    version: 3,
    name: 'DPoP-bound sessions',
    // dpop_jkt: the RFC 7638 thumbprint of the key the session is bound to (NULL: unbound).
    sql: (s) => `
ALTER TABLE ${s}.sessions ADD COLUMN dpop_jkt text;
`,
  },
  {
    version: 4,
    name: 'API keys',
    // hash: base64url(SHA-256(secret)), never the secret; ip_allow_list NULL: any address.
    sql: (s) => `
CREATE TABLE ${s}.api_keys (
  id text PRIMARY KEY,
  prefix text NOT NULL,
  hash text NOT NULL,
  owner text NOT NULL,
  name text,
  permissions text[] NOT NULL,
  created_at bigint NOT NULL,
  expires_at bigint,
  ip_allow_list text[],
  revoked_at bigint,
  last_used_at bigint
);
CREATE INDEX api_keys_owner ON ${s}.api_keys (owner, created_at DESC);
`,
  },
  {
    version: 5,
    name: 'IP allow/deny lists',
    // one row per list entry; cidr is canonical (network address/prefix); expires_at NULL: never
    sql: (s) => `
CREATE TABLE ${s}.ip_rules (
  list text NOT NULL CHECK (list IN ('allow', 'deny')),
  cidr text NOT NULL,
  note text,
  created_at bigint NOT NULL,
  expires_at bigint,
  PRIMARY KEY (list, cidr)
);
CREATE INDEX ip_rules_expires_at ON ${s}.ip_rules (expires_at) WHERE expires_at IS NOT NULL;
`,
  },
];
