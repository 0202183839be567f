// Request and response body schemas (valibot): strict objects, bounded strings, typed 400s. The
// response schemas are the source of the OpenAPI document (openapi/document.ts); compile-time
// checks at the end keep them equal to core's wire types.
import {
  ERROR_STATUS,
  MAX_SIGN_IN_MESSAGE_LENGTH,
  type ChallengeResponse,
  type ErrorCode,
  type MfaRequiredResponse,
  type ProblemDetails,
  type SessionInfo,
  type SessionsResponse,
  type TokenResponse,
  type TotpEnableResponse,
  type TotpSetupResponse,
} from '@evrmore-auth/core';
import type { JSONWebKeySet } from 'jose';
import * as v from 'valibot';
import { authError } from './errors.js';

/** Longest address accepted before decoding (real ones are 34 characters). */
const MAX_ADDRESS = 64;

/**
 * `POST /auth/challenge` body.
 *
 * @example
 * ```ts
 * v.parse(ChallengeBodySchema, { address: 'E…' });
 * ```
 */
export const ChallengeBodySchema = v.strictObject({
  address: v.pipe(v.string(), v.minLength(1), v.maxLength(MAX_ADDRESS)),
});

/**
 * `POST /auth/verify` body.
 *
 * @example
 * ```ts
 * v.parse(VerifyBodySchema, { message, signature });
 * ```
 */
export const VerifyBodySchema = v.strictObject({
  message: v.pipe(v.string(), v.minLength(1), v.maxLength(MAX_SIGN_IN_MESSAGE_LENGTH)),
  signature: v.pipe(v.string(), v.minLength(1), v.maxLength(200)),
});

/**
 * The `{}` body of `/auth/refresh` and `/auth/logout`.
 *
 * @example
 * ```ts
 * v.parse(EmptyBodySchema, {});
 * ```
 */
export const EmptyBodySchema = v.strictObject({});

/**
 * Parse `body` with `schema`, or throw `EvrmoreAuthError('invalid_request')` naming the field
 * (never echoing its value).
 *
 * @example
 * ```ts
 * const { address } = parseBody(ChallengeBodySchema, await readJsonBody(request, { allowEmpty: false }));
 * ```
 */
export function parseBody<S extends v.GenericSchema>(schema: S, body: unknown): v.InferOutput<S> {
  const result = v.safeParse(schema, body);
  if (result.success) return result.output;
  const issue = result.issues[0];
  const path = issue.path?.map((p) => String(p.key)).join('.') ?? '';
  const what =
    issue.type === 'strict_object' && issue.path
      ? `unknown field "${path.slice(0, 64)}"`
      : issue.type === 'max_length'
        ? `field "${path}" is too long`
        : path
          ? `field "${path}" is missing or not a valid ${issue.expected ?? 'value'}`
          : 'the body must be a JSON object';
  throw authError('invalid_request', { detail: what });
}

// ---- Responses (PROTOCOL.md sections 3 and 6) ----

/** An RFC 3339 UTC timestamp as the server writes it (`Date#toISOString`). */
const Timestamp = v.pipe(v.string(), v.isoTimestamp());

/** The `id` of a session: the path segment of `DELETE /auth/sessions/{id}`. */
export const SESSION_ID_PATTERN = '[A-Za-z0-9_-]{1,64}';

/** `{id}` of `DELETE /auth/sessions/{id}`. */
export const SessionIdSchema = v.pipe(v.string(), v.regex(new RegExp(`^${SESSION_ID_PATTERN}$`)));

/** `POST /auth/challenge` 201 body. */
export const ChallengeResponseSchema = v.strictObject({
  message: v.pipe(v.string(), v.description('The exact text to sign.')),
  nonce: v.string(),
  issuedAt: Timestamp,
  expiresAt: Timestamp,
});

/** A session as the server reports it. */
export const SessionInfoSchema = v.strictObject({
  id: SessionIdSchema,
  address: v.string(),
  createdAt: Timestamp,
  lastSeenAt: Timestamp,
  expiresAt: v.pipe(Timestamp, v.description('When the session ends at the latest.')),
  userAgent: v.nullable(v.string()),
  ip: v.nullable(v.string()),
  current: v.optional(
    v.pipe(v.boolean(), v.description("Present and true on the caller's own session in a list.")),
  ),
});

/** The token response of `/auth/verify`, `/auth/mfa/verify` and `/auth/refresh`. */
export const TokenResponseSchema = v.strictObject({
  accessToken: v.pipe(v.string(), v.description('A JWT (typ at+jwt).')),
  tokenType: v.picklist(['Bearer', 'DPoP']),
  expiresIn: v.pipe(
    v.number(),
    v.integer(),
    v.minValue(0),
    v.description('Seconds until the access token expires.'),
  ),
  expiresAt: Timestamp,
  session: SessionInfoSchema,
});

/** `POST /auth/verify` 200 body for an address enrolled in a second factor. */
export const MfaRequiredResponseSchema = v.strictObject({
  mfaRequired: v.literal(true),
  mfaToken: v.string(),
  methods: v.array(v.picklist(['totp', 'backup_code'])),
});

/** `GET /auth/sessions` 200 body. */
export const SessionsResponseSchema = v.strictObject({ sessions: v.array(SessionInfoSchema) });

/** `GET /auth/jwks.json` 200 body (RFC 7517): public keys only. */
export const JwksSchema = v.strictObject({
  keys: v.array(
    v.looseObject({
      kty: v.string(),
      kid: v.optional(v.string()),
      alg: v.optional(v.string()),
      use: v.optional(v.string()),
    }),
  ),
});

/** `POST /auth/mfa/totp/setup` 200 body. */
export const TotpSetupResponseSchema = v.strictObject({
  secret: v.pipe(v.string(), v.description('Base32 secret, for manual entry.')),
  uri: v.pipe(v.string(), v.description('otpauth://totp/… URI, for a QR code.')),
});

/** `POST /auth/mfa/totp/enable` 200 body. */
export const TotpEnableResponseSchema = v.strictObject({
  backupCodes: v.pipe(v.array(v.string()), v.description('Single-use backup codes, shown once.')),
});

/** Every error code of PROTOCOL.md section 6, in its order. */
const ERROR_CODES = Object.keys(ERROR_STATUS) as ErrorCode[];

/**
 * The problem+json body (RFC 9457) of an error answer with one of `codes` (default: any code)
 * and, when given, the HTTP `status` it comes with.
 */
export function problemSchema(codes: readonly ErrorCode[] = ERROR_CODES, status?: number) {
  return v.strictObject({
    type: v.pipe(v.string(), v.description('urn:evrmore-auth:error:{code}')),
    title: v.string(),
    status: status === undefined ? v.pipe(v.number(), v.integer()) : v.literal(status),
    code: v.picklist(codes),
    detail: v.optional(v.string()),
  });
}

/** The problem+json body of any error of PROTOCOL.md section 6. */
export const ProblemSchema = problemSchema();

/** The 500 answer to an unexpected failure (logged by the server, never described). */
export const InternalErrorSchema = v.strictObject({
  type: v.literal('about:blank'),
  title: v.string(),
  status: v.literal(500),
  code: v.literal('internal_error'),
});

// ---- Compile-time checks: each response schema's output type is core's wire type ----

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const WIRE_TYPES_MATCH: [
  Same<v.InferOutput<typeof ChallengeResponseSchema>, ChallengeResponse>,
  Same<v.InferOutput<typeof SessionInfoSchema>, SessionInfo>,
  Same<v.InferOutput<typeof TokenResponseSchema>, TokenResponse>,
  Same<v.InferOutput<typeof MfaRequiredResponseSchema>, MfaRequiredResponse>,
  Same<v.InferOutput<typeof SessionsResponseSchema>, SessionsResponse>,
  Same<v.InferOutput<typeof TotpSetupResponseSchema>, TotpSetupResponse>,
  Same<v.InferOutput<typeof TotpEnableResponseSchema>, TotpEnableResponse>,
  Same<v.InferOutput<typeof ProblemSchema>, ProblemDetails>,
  // jose's type is looser (every JWK member optional): ours must fit it.
  v.InferOutput<typeof JwksSchema> extends JSONWebKeySet ? true : false,
] = [true, true, true, true, true, true, true, true, true];
void WIRE_TYPES_MATCH;
