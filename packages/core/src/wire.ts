// The JSON bodies of PROTOCOL.md section 3, shared by the server and client packages.

/** `POST /auth/challenge` request body. */
export interface ChallengeRequest {
  address: string;
}

/** `POST /auth/challenge` 201 response body. */
export interface ChallengeResponse {
  /** The exact text to sign. */
  message: string;
  nonce: string;
  /** RFC 3339. */
  issuedAt: string;
  /** RFC 3339. */
  expiresAt: string;
}

/** `POST /auth/verify` request body. */
export interface VerifyRequest {
  message: string;
  signature: string;
}

/** A session as the server reports it. */
export interface SessionInfo {
  id: string;
  address: string;
  /** RFC 3339. */
  createdAt: string;
  /** RFC 3339. */
  lastSeenAt: string;
  /** RFC 3339: when the session ends at the latest (absolute lifetime). */
  expiresAt: string;
  userAgent: string | null;
  ip: string | null;
  /** Present and `true` on the caller's own session in a list. */
  current?: boolean;
}

/** The token response of `/auth/verify`, `/auth/mfa/verify` and `/auth/refresh`. */
export interface TokenResponse {
  accessToken: string;
  tokenType: 'Bearer';
  /** Seconds until the access token expires. */
  expiresIn: number;
  /** RFC 3339. */
  expiresAt: string;
  session: SessionInfo;
}

/** `POST /auth/verify` answer for an address enrolled in a second factor. */
export interface MfaRequiredResponse {
  mfaRequired: true;
  mfaToken: string;
  methods: MfaMethod[];
}

/** Second-factor methods. */
export type MfaMethod = 'totp' | 'backup_code';

/** `POST /auth/mfa/verify` request body. */
export interface MfaVerifyRequest {
  mfaToken: string;
  /** A 6-digit TOTP code or a backup code. */
  code: string;
}

/** `GET /auth/sessions` response body. */
export interface SessionsResponse {
  sessions: SessionInfo[];
}

/** `POST /auth/mfa/totp/setup` response body. */
export interface TotpSetupResponse {
  /** Base32 secret, for manual entry. */
  secret: string;
  /** `otpauth://totp/…` URI, for a QR code. */
  uri: string;
}

/** `POST /auth/mfa/totp/enable` response body. */
export interface TotpEnableResponse {
  /** Ten single-use backup codes, shown once. */
  backupCodes: string[];
}

/** Whether a `/auth/verify` answer asks for a second factor. */
export function isMfaRequired(
  body: TokenResponse | MfaRequiredResponse,
): body is MfaRequiredResponse {
  return (body as MfaRequiredResponse).mfaRequired === true;
}

/** The header a cookie-authenticated call may carry instead of `Origin`. */
export const REQUESTED_WITH_HEADER = 'x-requested-with';
/** Its required value. */
export const REQUESTED_WITH_VALUE = 'evrmore-auth';
