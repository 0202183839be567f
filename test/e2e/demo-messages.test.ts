// The demo page's words for the errors a user can cause: each is specific, none is the generic
// fallback, and none echoes the technical detail of the error.
import {
  EvrmoreAuthClientError,
  EvrmoreAuthError,
  type ClientErrorCode,
} from '@evrmore-auth/client';
import { describe, expect, it } from 'vitest';
import { friendlyError, signedOutMessage } from '../../examples/fullstack/web/messages.js';

const SERVER_CODES = [
  'invalid_signature',
  'challenge_expired',
  'challenge_unknown',
  'message_mismatch',
  'wrong_network',
  'invalid_address',
  'rate_limited',
  'unavailable',
  'mfa_invalid',
  'origin_forbidden',
] as const;
const CLIENT_CODES: ClientErrorCode[] = [
  'user_rejected',
  'not_connected',
  'wallet_not_found',
  'wallet_error',
  'wrong_network',
  'invalid_address',
  'phishing_suspected',
  'invalid_challenge',
  'invalid_signature_encoding',
  'network_error',
];

describe('demo page error messages', () => {
  it.each(SERVER_CODES)('server code %s has its own sentence', (code) => {
    const text = friendlyError(new EvrmoreAuthError(code, { detail: 'internal detail XYZ' }));
    expect(text).not.toMatch(/Something went wrong/);
    expect(text).not.toContain('XYZ');
  });

  it.each(CLIENT_CODES)('client code %s has its own sentence', (code) => {
    const text = friendlyError(new EvrmoreAuthClientError(code, 'technical XYZ'));
    expect(text).not.toMatch(/Something went wrong/);
    expect(text).not.toContain('XYZ');
  });

  it('says what to do: expired challenge, rate limit with its wait, unreachable server', () => {
    expect(friendlyError(new EvrmoreAuthError('challenge_expired'))).toMatch(
      /expired.*start again/,
    );
    expect(friendlyError(new EvrmoreAuthError('rate_limited', { retryAfter: 42 }))).toBe(
      'Too many attempts. Please wait 42 seconds before trying again.',
    );
    expect(friendlyError(new EvrmoreAuthError('rate_limited', { retryAfter: 1 }))).toMatch(
      /wait 1 second before/,
    );
    expect(friendlyError(new EvrmoreAuthClientError('network_error', 'x'))).toMatch(
      /cannot be reached/,
    );
  });

  it('falls back to a generic sentence naming the code for anything else', () => {
    expect(friendlyError(new EvrmoreAuthError('method_not_allowed'))).toBe(
      'Something went wrong (method_not_allowed). Please try again.',
    );
    expect(friendlyError(new Error('boom'))).toBe('Something went wrong. Please try again.');
  });

  it('explains why a session ended, and says nothing on a fresh visit', () => {
    expect(signedOutMessage('no-session')).toBeNull();
    expect(signedOutMessage(null)).toBeNull();
    expect(signedOutMessage('user')).toBe('You are signed out.');
    expect(signedOutMessage('token_revoked')).toMatch(/another device/);
    expect(signedOutMessage('refresh_reused')).toMatch(/for your safety/);
  });
});
