// Friendly text for every error a user can cause, keyed by the stable codes of the server
// (PROTOCOL.md section 6) and the client (EvrmoreAuthClientError).
import { EvrmoreAuthClientError, EvrmoreAuthError } from '@evrmore-auth/client';

const MESSAGES: Record<string, string> = {
  // wallet and browser side
  user_rejected: 'You cancelled the signature. Nothing was sent.',
  not_connected: 'Satori GO is locked or not connected to this site. Unlock it and try again.',
  wallet_not_found: 'No Evrmore wallet extension was found in this browser.',
  wallet_error: 'The wallet could not sign the message. Try again, or use another wallet.',
  wrong_network:
    'That address belongs to another network. Use an Evrmore mainnet address (it starts with E); ' +
    'a Ravencoin-mode wallet gives R-addresses.',
  invalid_address: 'That is not a valid Evrmore address. Mainnet addresses start with E.',
  phishing_suspected:
    'The sign-in request names a different site than the one you are on, so nothing was signed. ' +
    'Open the demo at the exact address the server printed.',
  invalid_challenge: 'The server sent a sign-in request this page cannot check. Please try again.',
  invalid_signature_encoding:
    'The pasted signature is incomplete or mangled: it is 88 characters of base64, ending in "=".',
  network_error:
    'The server cannot be reached. Check your connection and that the demo is still running.',
  invalid_response: 'The server answered something unexpected. Please try again.',
  not_signed_in: 'You are signed out. Please sign in again.',
  mfa_not_pending: 'The two-factor step has ended. Please sign in again.',
  // server side
  invalid_signature:
    'The signature does not match this address and message. Sign the exact message shown, with ' +
    'the same address.',
  challenge_expired: 'The sign-in request expired (it is valid for 5 minutes). Please start again.',
  challenge_unknown: 'This sign-in request was already used. Please start again.',
  message_mismatch: 'The message was changed before it was signed. Please start again.',
  invalid_message: 'The signed message is not the one this server issued. Please start again.',
  invalid_request: 'The request was not understood. Please try again.',
  rate_limited: 'Too many attempts. Please wait a moment before trying again.',
  unavailable: 'The service is temporarily unavailable (its storage is down). Try again shortly.',
  mfa_invalid: 'That code is not valid. Check the time on your phone, or use a backup code.',
  origin_forbidden: 'This page is not allowed to talk to the server (wrong origin).',
  csrf_rejected: 'The request came from another site and was refused.',
  insufficient_scope: 'Your account is not allowed to do that.',
  ip_denied: 'Requests from your network are refused by this server.',
  payload_too_large: 'That input is too long.',
};

/** Why the client signed out, when it was not the user's own click. */
const SIGNED_OUT: Record<string, string> = {
  user: 'You are signed out.',
  'other-tab': 'You signed out in another tab.',
  token_revoked: 'This session was ended from another device.',
  refresh_invalid:
    'This session has ended (signed out here or from another device, or expired). Please sign in again.',
  refresh_reused:
    'Your session was ended for your safety: an old refresh token was used again. Please sign in again.',
  token_expired: 'Your session has expired. Please sign in again.',
  token_invalid: 'Your session is no longer valid. Please sign in again.',
  fingerprint_mismatch: 'Your session is no longer valid in this browser. Please sign in again.',
};

function codeOf(err: unknown): string | undefined {
  if (err instanceof EvrmoreAuthClientError || err instanceof EvrmoreAuthError) return err.code;
  return undefined;
}

/** The sentence to show for an error thrown by the client. */
export function friendlyError(err: unknown): string {
  const code = codeOf(err);
  if (code === 'rate_limited' && err instanceof EvrmoreAuthError && err.retryAfter) {
    const s = err.retryAfter === 1 ? '' : 's';
    return `Too many attempts. Please wait ${err.retryAfter} second${s} before trying again.`;
  }
  if (code !== undefined && MESSAGES[code]) return MESSAGES[code];
  if (code !== undefined) return `Something went wrong (${code}). Please try again.`;
  return 'Something went wrong. Please try again.';
}

/** The sentence for a signed-out reason, or `null` when there is nothing to say. */
export function signedOutMessage(reason: string | null): string | null {
  if (reason === null || reason === 'no-session') return null;
  return SIGNED_OUT[reason] ?? MESSAGES[reason] ?? null;
}

/** The stable code behind an error, for `data-code` (tests and support). */
export function errorCode(err: unknown): string {
  return codeOf(err) ?? 'unknown';
}
