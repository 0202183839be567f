// The JSON bodies of PROTOCOL.md section 3, shared by the server and client packages.

/**
 * `POST /auth/challenge` request body.
 *
 * @example
 * ```ts
 * const body: ChallengeRequest = { address: 'EK4BfWWMPTW82ig57MyGk6JCJgT8D9JTr5' };
 * ```
 */
export interface ChallengeRequest {
  /** The Evrmore P2PKH address that will sign in (base58, the server's network). */
  address: string;
}

/**
 * `POST /auth/challenge` 201 response body.
 *
 * @example
 * ```ts
 * const { message, nonce, expiresAt }: ChallengeResponse = await res.json();
 * ```
 */
export interface ChallengeResponse {
  /** The exact text to sign. */
  message: string;
  /** The challenge's single-use nonce, also inside `message`. */
  nonce: string;
  /** RFC 3339. */
  issuedAt: string;
  /** RFC 3339. */
  expiresAt: string;
}

/**
 * `POST /auth/verify` request body.
 *
 * @example
 * ```ts
 * const body: VerifyRequest = { message, signature: await wallet.signMessage(message) };
 * ```
 */
export interface VerifyRequest {
  /** The challenge message exactly as issued, byte for byte. */
  message: string;
  /**
   * The wallet's signature of `message`: base64 of the 65-byte compact signature (`signmessage`
   * output).
   */
  signature: string;
}

/**
 * A session as the server reports it.
 *
 * @example
 * ```ts
 * const session: SessionInfo = tokens.session;
 * session.address; // 'E…'
 * ```
 */
export interface SessionInfo {
  /** The session's opaque identifier (also the access token's `sid` claim). */
  id: string;
  /** The address that signed in. */
  address: string;
  /** RFC 3339. */
  createdAt: string;
  /** RFC 3339. */
  lastSeenAt: string;
  /** RFC 3339: when the session ends at the latest (absolute lifetime). */
  expiresAt: string;
  /** The User-Agent header at sign-in, if any. */
  userAgent: string | null;
  /** The client IP at sign-in, as the server determined it (null when unknown). */
  ip: string | null;
  /** Present and `true` on the caller's own session in a list. */
  current?: boolean;
}

/**
 * The token response of `/auth/verify`, `/auth/mfa/verify` and `/auth/refresh`.
 *
 * @example
 * ```ts
 * const tokens: TokenResponse = await res.json();
 * fetch(url, { headers: { authorization: `Bearer ${tokens.accessToken}` } });
 * ```
 */
export interface TokenResponse {
  /** The JWT to send as `authorization: Bearer …` (or `authorization: DPoP …` with a proof, when
   *  `tokenType` is `DPoP`). */
  accessToken: string;
  /** `Bearer`, or `DPoP` when the token is bound to the key of the request's DPoP proof
   *  (RFC 9449: it carries `cnf.jkt` and is only accepted with a proof made with that key). */
  tokenType: 'Bearer' | 'DPoP';
  /** Seconds until the access token expires. */
  expiresIn: number;
  /** RFC 3339. */
  expiresAt: string;
  /** The session the token belongs to. */
  session: SessionInfo;
}

/**
 * `POST /auth/verify` answer for an address enrolled in a second factor.
 *
 * @example
 * ```ts
 * const body: MfaRequiredResponse = { mfaRequired: true, mfaToken: 't', methods: ['totp'] };
 * ```
 */
export interface MfaRequiredResponse {
  /** Marks this answer: a second factor is needed before tokens are issued. */
  mfaRequired: true;
  /** Short-lived, single-use token to send back with the code to `POST /auth/mfa/verify`. */
  mfaToken: string;
  /** The second-factor methods the address has enrolled. */
  methods: MfaMethod[];
}

/**
 * Second-factor methods.
 *
 * @example
 * ```ts
 * const methods: MfaMethod[] = ['totp', 'backup_code'];
 * ```
 */
export type MfaMethod = 'totp' | 'backup_code';

/**
 * `POST /auth/mfa/verify` request body.
 *
 * @example
 * ```ts
 * const body: MfaVerifyRequest = { mfaToken, code: '123456' };
 * ```
 */
export interface MfaVerifyRequest {
  /** The `mfaToken` of the `/auth/verify` answer. */
  mfaToken: string;
  /** A 6-digit TOTP code or a backup code. */
  code: string;
}

/**
 * `GET /auth/sessions` response body.
 *
 * @example
 * ```ts
 * const { sessions }: SessionsResponse = await res.json();
 * sessions.find((s) => s.current);
 * ```
 */
export interface SessionsResponse {
  /** The address's live sessions, the caller's own marked `current`. */
  sessions: SessionInfo[];
}

/**
 * `POST /auth/mfa/totp/setup` response body.
 *
 * @example
 * ```ts
 * const { uri }: TotpSetupResponse = await res.json(); // show `uri` as a QR code
 * ```
 */
export interface TotpSetupResponse {
  /** Base32 secret, for manual entry. */
  secret: string;
  /** `otpauth://totp/…` URI, for a QR code. */
  uri: string;
}

/**
 * `POST /auth/mfa/totp/enable` response body.
 *
 * @example
 * ```ts
 * const { backupCodes }: TotpEnableResponse = await res.json(); // show once
 * ```
 */
export interface TotpEnableResponse {
  /** Ten single-use backup codes, shown once. */
  backupCodes: string[];
}

/**
 * Whether a `/auth/verify` answer asks for a second factor.
 *
 * @example
 * ```ts
 * const body = await res.json();
 * if (isMfaRequired(body)) askForCode(body.mfaToken);
 * else useTokens(body);
 * ```
 */
export function isMfaRequired(
  body: TokenResponse | MfaRequiredResponse,
): body is MfaRequiredResponse {
  return (body as MfaRequiredResponse).mfaRequired === true;
}

/**
 * The header a cookie-authenticated call may carry instead of `Origin`.
 *
 * @example
 * ```ts
 * fetch('/auth/refresh', { method: 'POST', headers: { [REQUESTED_WITH_HEADER]: REQUESTED_WITH_VALUE } });
 * ```
 */
export const REQUESTED_WITH_HEADER = 'x-requested-with';
/**
 * Its required value.
 *
 * @example
 * ```ts
 * headers.set(REQUESTED_WITH_HEADER, REQUESTED_WITH_VALUE);
 * ```
 */
export const REQUESTED_WITH_VALUE = 'evrmore-auth';
