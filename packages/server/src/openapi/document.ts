// The OpenAPI 3.1 document of the auth routes, generated from the valibot schemas the routes
// validate with (request bodies) and answer with (responses, problem+json errors). PROTOCOL.md is
// the normative prose; this is its machine-readable twin.
import { ERROR_STATUS, type ErrorCode } from '@evrmore-auth/core';
import { toJsonSchema, toJsonSchemaDefs, type ConversionConfig } from '@valibot/to-json-schema';
import type * as v from 'valibot';
import type { ResolvedConfig } from '../config.js';
import { BEARER_CHALLENGE_CODES } from '../http/error-reply.js';
import { MfaCodeBodySchema, MfaVerifyBodySchema } from '../mfa/routes.js';
import {
  ChallengeBodySchema,
  ChallengeResponseSchema,
  EmptyBodySchema,
  InternalErrorSchema,
  JwksSchema,
  MfaRequiredResponseSchema,
  problemSchema,
  ProblemSchema,
  SessionIdSchema,
  SessionInfoSchema,
  SessionsResponseSchema,
  TokenResponseSchema,
  TotpEnableResponseSchema,
  TotpSetupResponseSchema,
  VerifyBodySchema,
} from '../schemas.js';
import {
  ApiKeyCreatedSchema,
  ApiKeyIdSchema,
  ApiKeyInfoSchema,
  ApiKeysResponseSchema,
  CreateApiKeyBodySchema,
} from '../api-keys/schemas.js';

/** An OpenAPI document (a plain JSON object). */
export type OpenApiDocument = Record<string, unknown> & {
  openapi: '3.1.1';
  paths: Record<string, Record<string, unknown>>;
};

type Schema = v.GenericSchema;
type Security = 'none' | 'bearer' | 'refresh';
type OperationsConfig = Pick<ResolvedConfig, 'openapi' | 'sessionCookie'> & {
  apiKeys?: ResolvedConfig['apiKeys'];
};

/** The named schemas of `components.schemas`. */
const COMPONENTS = {
  ChallengeRequest: ChallengeBodySchema,
  VerifyRequest: VerifyBodySchema,
  MfaVerifyRequest: MfaVerifyBodySchema,
  MfaCodeRequest: MfaCodeBodySchema,
  EmptyRequest: EmptyBodySchema,
  ChallengeResponse: ChallengeResponseSchema,
  SessionInfo: SessionInfoSchema,
  TokenResponse: TokenResponseSchema,
  MfaRequiredResponse: MfaRequiredResponseSchema,
  SessionsResponse: SessionsResponseSchema,
  JSONWebKeySet: JwksSchema,
  TotpSetupResponse: TotpSetupResponseSchema,
  TotpEnableResponse: TotpEnableResponseSchema,
  CreateApiKeyRequest: CreateApiKeyBodySchema,
  ApiKeyInfo: ApiKeyInfoSchema,
  ApiKeyCreated: ApiKeyCreatedSchema,
  ApiKeysResponse: ApiKeysResponseSchema,
  Problem: ProblemSchema,
  InternalError: InternalErrorSchema,
} satisfies Record<string, Schema>;
type ComponentName = keyof typeof COMPONENTS;
const API_KEY_COMPONENTS: ReadonlySet<string> = new Set([
  'CreateApiKeyRequest',
  'ApiKeyInfo',
  'ApiKeyCreated',
  'ApiKeysResponse',
]);

const CONVERSION: ConversionConfig = {
  target: 'draft-2020-12',
  // a `check` (the exact IP-range parse of an API key's allow list) has a `regex` beside it
  ignoreActions: ['check'],
  overrideRef: ({ referenceId }) => `#/components/schemas/${referenceId}`,
};

/** One operation of the route table, as the document describes it. */
interface OperationSpec {
  method: 'get' | 'post' | 'delete';
  /** Relative to the base path, with `{name}` path parameters. */
  path: string;
  operationId: string;
  summary: string;
  security: Security;
  /** The JSON request body; `optional`: an empty body is `{}`. */
  body?: { schema: ComponentName; optional?: boolean };
  parameters?: Record<string, unknown>[];
  success: {
    status: number;
    description: string;
    /** Response bodies (several: `oneOf`); none for a 204. */
    schemas?: ComponentName[];
    mediaType?: string;
    setsCookies?: boolean;
  };
  /** The error codes this operation can answer (beyond 500 `internal_error`). */
  errors: ErrorCode[];
}

const BODY_ERRORS: ErrorCode[] = ['invalid_request', 'payload_too_large', 'unsupported_media_type'];
const BEARER_ERRORS: ErrorCode[] = [
  'token_missing',
  'token_invalid',
  'token_expired',
  'token_revoked',
  'fingerprint_mismatch',
  // with `dpop` configured (PROTOCOL.md §9): a DPoP-bound token's proof
  'dpop_proof_invalid',
  'use_dpop_nonce',
  'dpop_key_mismatch',
];
/** The refusals of a token endpoint's DPoP proof (with `dpop` configured, PROTOCOL.md §9). */
const TOKEN_DPOP_ERRORS: ErrorCode[] = ['dpop_proof_invalid', 'use_dpop_nonce', 'dpop_required'];
/** The codes whose status is 401 at a protected resource (400 at a token endpoint). */
const RESOURCE_401: ReadonlySet<ErrorCode> = new Set(['dpop_proof_invalid', 'use_dpop_nonce']);
/** The codes a protected resource answers with a `WWW-Authenticate` challenge. */
const CHALLENGE_CODES: ReadonlySet<ErrorCode> = new Set([
  ...BEARER_CHALLENGE_CODES,
  'dpop_proof_invalid',
  'use_dpop_nonce',
  'dpop_key_mismatch',
]);
/** The optional `DPoP` request header (RFC 9449) of the token endpoints and protected routes. */
const DPOP_PARAMETER = {
  name: 'DPoP',
  in: 'header',
  required: false,
  description:
    'A DPoP proof JWT (RFC 9449, typ dpop+jwt) for this method and URL; with `dpop` configured, it binds the tokens issued to its key (token endpoints) or proves possession of the key a DPoP-bound token names (protected routes, with `Authorization: DPoP <token>`).',
  schema: { type: 'string' },
};

/** Every operation the router serves (the `openapi.json` one only when it is enabled; in cookie
 *  mode with `csrf_rejected` where the session cookie authenticates and on the sign-in steps). */
function operations(config: OperationsConfig): OperationSpec[] {
  const ops: OperationSpec[] = [
    {
      method: 'post',
      path: '/challenge',
      operationId: 'createChallenge',
      summary: 'Issue a Sign-In with Evrmore message for an address to sign.',
      security: 'none',
      body: { schema: 'ChallengeRequest' },
      success: { status: 201, description: 'The challenge.', schemas: ['ChallengeResponse'] },
      errors: [...BODY_ERRORS, 'invalid_address', 'wrong_network', 'rate_limited', 'unavailable'],
    },
    {
      method: 'post',
      path: '/verify',
      operationId: 'verifySignIn',
      summary: 'Verify the signed challenge: a session, or a second-factor step.',
      security: 'none',
      body: { schema: 'VerifyRequest' },
      success: {
        status: 200,
        description:
          'Signed in (token response; refresh, fingerprint and hint cookies set), or a second factor is required.',
        schemas: ['TokenResponse', 'MfaRequiredResponse'],
        setsCookies: true,
      },
      errors: [
        ...BODY_ERRORS,
        'invalid_address',
        'wrong_network',
        'invalid_message',
        'invalid_signature_encoding',
        'invalid_signature',
        'challenge_unknown',
        'challenge_expired',
        'message_mismatch',
        ...TOKEN_DPOP_ERRORS,
        'session_limit_reached',
        'rate_limited',
        'unavailable',
      ],
    },
    {
      method: 'post',
      path: '/mfa/verify',
      operationId: 'verifyMfa',
      summary: 'Complete a sign-in with a TOTP or backup code.',
      security: 'none',
      body: { schema: 'MfaVerifyRequest' },
      success: {
        status: 200,
        description: 'Signed in (cookies set).',
        schemas: ['TokenResponse'],
        setsCookies: true,
      },
      errors: [
        ...BODY_ERRORS,
        'token_invalid',
        'mfa_invalid',
        ...TOKEN_DPOP_ERRORS,
        'not_found',
        'session_limit_reached',
        'rate_limited',
        'unavailable',
      ],
    },
    {
      method: 'post',
      path: '/refresh',
      operationId: 'refresh',
      summary: 'Rotate the refresh cookie and issue a new access token.',
      security: 'refresh',
      body: { schema: 'EmptyRequest', optional: true },
      success: {
        status: 200,
        description: 'New tokens; the refresh cookie is rotated.',
        schemas: ['TokenResponse'],
        setsCookies: true,
      },
      errors: [
        ...BODY_ERRORS,
        'refresh_invalid',
        'refresh_reused',
        'fingerprint_mismatch',
        ...TOKEN_DPOP_ERRORS,
        'dpop_key_mismatch',
        'origin_forbidden',
        'rate_limited',
        'unavailable',
      ],
    },
    {
      method: 'post',
      path: '/logout',
      operationId: 'logout',
      summary: "Revoke the caller's session and clear its cookies.",
      security: 'bearer',
      body: { schema: 'EmptyRequest', optional: true },
      success: { status: 204, description: 'Signed out; cookies cleared.', setsCookies: true },
      errors: [...BODY_ERRORS, ...BEARER_ERRORS, 'unavailable'],
    },
    {
      method: 'get',
      path: '/session',
      operationId: 'getSession',
      summary: "The caller's session.",
      security: 'bearer',
      success: { status: 200, description: 'The session.', schemas: ['SessionInfo'] },
      errors: [...BEARER_ERRORS, 'unavailable'],
    },
    {
      method: 'get',
      path: '/sessions',
      operationId: 'listSessions',
      summary: "The caller's live sessions (the current one marked).",
      security: 'bearer',
      success: { status: 200, description: 'The sessions.', schemas: ['SessionsResponse'] },
      errors: [...BEARER_ERRORS, 'unavailable'],
    },
    {
      method: 'delete',
      path: '/sessions',
      operationId: 'revokeOtherSessions',
      summary: 'Revoke every other session of the caller (`?scope=others`).',
      security: 'bearer',
      parameters: [
        {
          name: 'scope',
          in: 'query',
          required: true,
          schema: { type: 'string', enum: ['others'] },
        },
      ],
      success: { status: 204, description: 'Every other session revoked.' },
      errors: ['invalid_request', ...BEARER_ERRORS, 'unavailable'],
    },
    {
      method: 'delete',
      path: '/sessions/{id}',
      operationId: 'revokeSession',
      summary: "Revoke one of the caller's sessions (another user's id is 404).",
      security: 'bearer',
      parameters: [{ name: 'id', in: 'path', required: true, schema: jsonSchema(SessionIdSchema) }],
      success: { status: 204, description: 'The session is revoked.' },
      errors: [...BEARER_ERRORS, 'not_found', 'unavailable'],
    },
    {
      method: 'get',
      path: '/jwks.json',
      operationId: 'getJwks',
      summary: 'The public keys that may verify a live access token.',
      security: 'none',
      success: {
        status: 200,
        description: 'The JWKS (RFC 7517).',
        schemas: ['JSONWebKeySet'],
        mediaType: 'application/jwk-set+json',
      },
      errors: [],
    },
    {
      method: 'post',
      path: '/mfa/totp/setup',
      operationId: 'setupTotp',
      summary: 'Start TOTP enrolment: a new secret to confirm with /mfa/totp/enable.',
      security: 'bearer',
      body: { schema: 'EmptyRequest', optional: true },
      success: { status: 200, description: 'The secret.', schemas: ['TotpSetupResponse'] },
      errors: [...BODY_ERRORS, ...BEARER_ERRORS, 'not_found', 'rate_limited', 'unavailable'],
    },
    {
      method: 'post',
      path: '/mfa/totp/enable',
      operationId: 'enableTotp',
      summary: 'Confirm TOTP enrolment with a code; answers the backup codes once.',
      security: 'bearer',
      body: { schema: 'MfaCodeRequest' },
      success: { status: 200, description: 'Enabled.', schemas: ['TotpEnableResponse'] },
      errors: [
        ...BODY_ERRORS,
        ...BEARER_ERRORS,
        'mfa_invalid',
        'not_found',
        'rate_limited',
        'unavailable',
      ],
    },
    {
      method: 'post',
      path: '/mfa/totp/disable',
      operationId: 'disableTotp',
      summary: 'Turn the second factor off (needs a current code).',
      security: 'bearer',
      body: { schema: 'MfaCodeRequest' },
      success: { status: 204, description: 'Disabled.' },
      errors: [
        ...BODY_ERRORS,
        ...BEARER_ERRORS,
        'mfa_invalid',
        'not_found',
        'rate_limited',
        'unavailable',
      ],
    },
  ];
  if (config.apiKeys?.routes === true)
    ops.push(...apiKeyOperations(config.apiKeys.managePermission));
  if (config.sessionCookie !== null)
    for (const op of ops)
      // an unsafe method authenticated by the cookie (a GET never is refused), and the sign-in steps
      if (
        (op.security === 'bearer' && op.method !== 'get') ||
        op.path === '/verify' ||
        op.path === '/mfa/verify'
      ) {
        const at = op.errors.indexOf('rate_limited');
        op.errors.splice(at < 0 ? op.errors.indexOf('unavailable') : at, 0, 'csrf_rejected');
      }
  if (config.openapi)
    ops.push({
      method: 'get',
      path: '/openapi.json',
      operationId: 'getOpenApiDocument',
      summary: 'This document.',
      security: 'none',
      success: { status: 200, description: 'The OpenAPI 3.1 document.' },
      errors: [],
    });
  return ops;
}

/** The refusals of an API key presented to a route that accepts one (PROTOCOL.md §13). */
const API_KEY_ERRORS: ErrorCode[] = [
  'api_key_invalid',
  'api_key_expired',
  'api_key_revoked',
  'api_key_ip_forbidden',
];

/** The `/api-keys` operations (with `apiKeys: { enabled: true }`). */
function apiKeyOperations(permission: string): OperationSpec[] {
  const guard = `Needs the \`${permission}\` permission (a session's token, or an API key that has it).`;
  const errors: ErrorCode[] = [...BEARER_ERRORS, ...API_KEY_ERRORS, 'insufficient_scope'];
  return [
    {
      method: 'post',
      path: '/api-keys',
      operationId: 'createApiKey',
      summary: `Create an API key; the key is in this answer only. ${guard} Only permissions the caller holds may be given.`,
      security: 'bearer',
      body: { schema: 'CreateApiKeyRequest' },
      success: {
        status: 201,
        description: 'The key (shown once) and its record.',
        schemas: ['ApiKeyCreated'],
      },
      errors: [...BODY_ERRORS, ...errors, 'rate_limited', 'unavailable'],
    },
    {
      method: 'get',
      path: '/api-keys',
      operationId: 'listApiKeys',
      summary: `The API keys (of \`?owner=\` if given), newest first, revoked and expired ones included. ${guard}`,
      security: 'bearer',
      parameters: [
        {
          name: 'owner',
          in: 'query',
          required: false,
          schema: { type: 'string', minLength: 1, maxLength: 128 },
        },
      ],
      success: {
        status: 200,
        description: 'The keys (never a secret).',
        schemas: ['ApiKeysResponse'],
      },
      errors: ['invalid_request', ...errors, 'rate_limited', 'unavailable'],
    },
    {
      method: 'delete',
      path: '/api-keys/{id}',
      operationId: 'revokeApiKey',
      summary: `Revoke an API key, at once on every instance. ${guard}`,
      security: 'bearer',
      parameters: [{ name: 'id', in: 'path', required: true, schema: jsonSchema(ApiKeyIdSchema) }],
      success: { status: 204, description: 'The key is revoked (or already was).' },
      errors: [...errors, 'not_found', 'rate_limited', 'unavailable'],
    },
  ];
}

function jsonSchema(schema: Schema): Record<string, unknown> {
  const {
    $schema: _s,
    $defs: _d,
    ...rest
  } = toJsonSchema(schema, {
    ...CONVERSION,
    definitions: COMPONENTS,
  }) as Record<string, unknown>;
  return rest;
}

const ref = (name: ComponentName): Record<string, unknown> => ({
  $ref: `#/components/schemas/${name}`,
});

/** RFC 6750 `WWW-Authenticate` values of each status of a bearer-protected operation. */
const BEARER_CHALLENGES: Record<number, string> = {
  400: '`Bearer error="invalid_request"`',
  401: '`Bearer` (no credentials) or `Bearer error="invalid_token"`; with DPoP on, `Bearer, DPoP algs="ES256 EdDSA"` (no credentials) and, for a DPoP request or a DPoP-bound token, `DPoP error="invalid_token" | "invalid_dpop_proof" | "use_dpop_nonce", algs="…"`',
  403: '`Bearer error="insufficient_scope"` (or `DPoP error="insufficient_scope", algs="…"`)',
};

/** Whether `op` takes the `DPoP` header: the token endpoints and the protected routes. */
const takesDPoP = (op: OperationSpec): boolean =>
  op.security !== 'none' || op.path === '/verify' || op.path === '/mfa/verify';

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not found',
  409: 'Conflict',
  413: 'Payload too large',
  415: 'Unsupported media type',
  429: 'Too many requests',
  500: 'Internal error',
  503: 'Unavailable (a store is down; the server fails closed)',
};

function responses(op: OperationSpec) {
  const out: Record<string, unknown> = {};
  const { success } = op;
  const okResponse: Record<string, unknown> = { description: success.description };
  if (success.schemas) {
    const schema =
      success.schemas.length === 1 ? ref(success.schemas[0]!) : { oneOf: success.schemas.map(ref) };
    okResponse.content = { [success.mediaType ?? 'application/json']: { schema } };
  } else if (op.operationId === 'getOpenApiDocument') {
    okResponse.content = { 'application/json': { schema: { type: 'object' } } };
  }
  const okHeaders: Record<string, unknown> = {};
  if (success.setsCookies) okHeaders['Set-Cookie'] = { $ref: '#/components/headers/SetCookie' };
  if (success.schemas?.includes('TokenResponse'))
    okHeaders['DPoP-Nonce'] = { $ref: '#/components/headers/DPoPNonce' };
  if (Object.keys(okHeaders).length > 0) okResponse.headers = okHeaders;
  out[String(success.status)] = okResponse;

  const byStatus = new Map<number, ErrorCode[]>();
  // every route answers a deny-listed client IP 403 ip_denied, before anything else
  // (and 503 unavailable when the lists cannot be read)
  for (const code of new Set([...op.errors, 'ip_denied', 'unavailable'] as const)) {
    const status = op.security === 'bearer' && RESOURCE_401.has(code) ? 401 : ERROR_STATUS[code];
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  for (const [status, codes] of [...byStatus].sort((a, b) => a[0] - b[0])) {
    const headers: Record<string, unknown> = {};
    const challenged = codes.filter((c) => CHALLENGE_CODES.has(c));
    if (op.security === 'bearer' && challenged.length > 0) {
      // Only the codes about the bearer credentials carry it (PROTOCOL.md section 6), so when
      // another code shares the status the header is optional and `x-required-for-codes` says when.
      const always = challenged.length === codes.length;
      headers['WWW-Authenticate'] = {
        description: `RFC 6750 challenge: ${BEARER_CHALLENGES[status]}${always ? '' : `, with ${challenged.map((c) => `\`${c}\``).join(', ')}`}.`,
        required: always,
        ...(always ? {} : { 'x-required-for-codes': challenged }),
        schema: { type: 'string' },
      };
    }
    if (status === 429) headers['Retry-After'] = { $ref: '#/components/headers/RetryAfter' };
    if (codes.some((c) => RESOURCE_401.has(c) || c === 'dpop_required'))
      headers['DPoP-Nonce'] = { $ref: '#/components/headers/DPoPNonce' };
    if (op.path === '/refresh' && status === 401)
      headers['Set-Cookie'] = { $ref: '#/components/headers/SetCookie' };
    out[String(status)] = {
      description: `${STATUS_TEXT[status] ?? 'Error'}: ${codes.map((c) => `\`${c}\``).join(', ')}.`,
      ...(Object.keys(headers).length > 0 ? { headers } : {}),
      content: { 'application/problem+json': { schema: jsonSchema(problemSchema(codes, status)) } },
    };
  }
  out['500'] = {
    description: 'Internal error (logged by the server, never described).',
    content: { 'application/problem+json': { schema: ref('InternalError') } },
  };
  return out;
}

const SECURITY: Record<Security, Record<string, string[]>[]> = {
  none: [],
  bearer: [
    { bearerAuth: [], fingerprintCookie: [] },
    { dpopAuth: [], fingerprintCookie: [] },
  ],
  refresh: [{ refreshCookie: [], fingerprintCookie: [] }],
};
/** Cookie mode: the bearer-protected routes also take the session cookie. */
const COOKIE_MODE_BEARER = [...SECURITY.bearer, { sessionCookie: [], fingerprintCookie: [] }];

/**
 * The OpenAPI 3.1 document of an auth instance's routes: paths under `basePath`, `servers` from
 * the origin of `uri`, cookie names from `cookies`.
 */
export function buildOpenApiDocument(
  config: Pick<ResolvedConfig, 'basePath' | 'origin' | 'cookies' | 'openapi' | 'sessionCookie'> & {
    apiKeys?: ResolvedConfig['apiKeys'];
  },
): OpenApiDocument {
  const cookieMode = config.sessionCookie !== null;
  const paths: Record<string, Record<string, unknown>> = {};
  for (const op of operations(config)) {
    const operation: Record<string, unknown> = {
      operationId: op.operationId,
      summary: op.summary,
      tags: [
        op.path.startsWith('/mfa')
          ? 'mfa'
          : op.path.startsWith('/api-keys')
            ? 'api-keys'
            : op.security === 'bearer'
              ? 'sessions'
              : 'sign-in',
      ],
      security: [
        ...(cookieMode && op.security === 'bearer' ? COOKIE_MODE_BEARER : SECURITY[op.security]),
        ...(op.path.startsWith('/api-keys') ? [{ apiKeyAuth: [] }] : []),
      ],
    };
    const parameters = [...(op.parameters ?? []), ...(takesDPoP(op) ? [DPOP_PARAMETER] : [])];
    if (parameters.length > 0) operation.parameters = parameters;
    if (op.body)
      operation.requestBody = {
        required: op.body.optional !== true,
        content: { 'application/json': { schema: ref(op.body.schema) } },
        ...(op.body.optional ? { description: 'May be empty (same as `{}`).' } : {}),
      };
    operation.responses = responses(op);
    (paths[`${config.basePath}${op.path}`] ??= {})[op.method] = operation;
  }
  // API keys' schemas only where their routes are served
  const schemas = toJsonSchemaDefs(
    config.apiKeys?.routes === true
      ? COMPONENTS
      : Object.fromEntries(
          Object.entries(COMPONENTS).filter(([name]) => !API_KEY_COMPONENTS.has(name)),
        ),
    CONVERSION,
  );
  return {
    openapi: '3.1.1',
    info: {
      title: 'Sign-In with Evrmore',
      version: '1',
      summary: 'The HTTP routes of @evrmore-auth/server.',
      description:
        'The machine-readable twin of the protocol: PROTOCOL.md (https://github.com/evrmore-auth/evrmore-auth/blob/main/docs/PROTOCOL.md) is the normative prose. Errors are RFC 9457 problem documents whose `code` is stable.',
      license: { name: 'MIT', identifier: 'MIT' },
    },
    jsonSchemaDialect: 'https://spec.openapis.org/oas/3.1/dialect/base',
    servers: [{ url: config.origin }],
    tags: [
      { name: 'sign-in', description: 'Challenge, signature, refresh.' },
      { name: 'sessions', description: 'Bearer-protected session management.' },
      {
        name: 'mfa',
        description: 'Second factor (TOTP and backup codes); 404 when not configured.',
      },
      ...(config.apiKeys?.routes === true
        ? [{ name: 'api-keys', description: 'API-key management (PROTOCOL.md §13).' }]
        : []),
    ],
    paths,
    components: {
      schemas,
      securitySchemes: {
        bearerAuth: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description: 'The access token (typ at+jwt); valid only with the fingerprint cookie.',
        },
        dpopAuth: {
          type: 'http',
          scheme: 'DPoP',
          description:
            'A DPoP-bound access token (RFC 9449: `tokenType` DPoP, claim cnf.jkt) as `Authorization: DPoP <token>`, with a `DPoP` proof header for this method and URL whose `ath` is the token’s SHA-256, made with the bound key; valid only with the fingerprint cookie.',
        },
        fingerprintCookie: {
          type: 'apiKey',
          in: 'cookie',
          name: config.cookies.fingerprintName,
          description:
            'HttpOnly fingerprint cookie set at sign-in; its SHA-256 is the token’s fgp claim.',
        },
        refreshCookie: {
          type: 'apiKey',
          in: 'cookie',
          name: config.cookies.refreshName,
          description: 'HttpOnly refresh token, rotated on every use.',
        },
        ...(config.apiKeys?.routes === true
          ? {
              apiKeyAuth: {
                type: 'apiKey',
                in: 'header',
                name: 'Authorization',
                description:
                  'An API key (PROTOCOL.md §13) as `Authorization: ApiKey evak_<id>_<secret>` (or `Bearer evak_…`): the owner with the key’s permissions; no cookie needed.',
              },
            }
          : {}),
        ...(config.sessionCookie === null
          ? {}
          : {
              sessionCookie: {
                type: 'apiKey',
                in: 'cookie',
                name: config.sessionCookie.name,
                description:
                  'Cookie mode (PROTOCOL.md §10): the access token in an HttpOnly; SameSite=Lax; Path=/ cookie, used when there is no Authorization header; valid only with the fingerprint cookie; an unsafe method needs an allowed Origin (else 403 csrf_rejected).',
              },
            }),
      },
      headers: {
        SetCookie: {
          description: config.sessionCookie
            ? `The refresh, fingerprint and session-hint cookies and the session cookie \`${config.sessionCookie.name}\` (the access token; HttpOnly; SameSite=Lax; Path=/; Max-Age the token's lifetime), set or cleared.`
            : 'The refresh, fingerprint and session-hint cookies (set or cleared).',
          schema: { type: 'string' },
        },
        DPoPNonce: {
          description:
            'A server-provided DPoP nonce (RFC 9449 §8), sent when `dpop.nonce` is configured: the next proof carries it as its `nonce` claim.',
          schema: { type: 'string' },
        },
        RetryAfter: {
          description: 'Seconds until a retry may succeed.',
          required: true,
          schema: { type: 'string', pattern: '^[0-9]+$' },
        },
      },
    },
  };
}
