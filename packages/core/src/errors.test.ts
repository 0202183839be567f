import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ERROR_STATUS, EvrmoreAuthError, isErrorCode, type ErrorCode } from './errors.js';
import { ERROR_TITLES, problemType, toProblem } from './problem.js';
import { isMfaRequired, type MfaRequiredResponse, type TokenResponse } from './wire.js';

/** The status → codes table of PROTOCOL.md section 6, as written there. */
const PROTOCOL_TABLE: [number, string[]][] = [
  [
    400,
    [
      'invalid_request',
      'invalid_address',
      'wrong_network',
      'invalid_message',
      'invalid_signature_encoding',
      'dpop_proof_invalid',
      'use_dpop_nonce',
      'dpop_required',
    ],
  ],
  [
    401,
    [
      'invalid_signature',
      'challenge_unknown',
      'challenge_expired',
      'message_mismatch',
      'token_missing',
      'token_invalid',
      'token_expired',
      'token_revoked',
      'fingerprint_mismatch',
      'refresh_invalid',
      'refresh_reused',
      'mfa_invalid',
      'dpop_key_mismatch',
      'api_key_invalid',
      'api_key_expired',
      'api_key_revoked',
    ],
  ],
  [
    403,
    [
      'origin_forbidden',
      'csrf_rejected',
      'insufficient_scope',
      'api_key_ip_forbidden',
      'ip_denied',
    ],
  ],
  [404, ['not_found']],
  [405, ['method_not_allowed']],
  [409, ['session_limit_reached']],
  [413, ['payload_too_large']],
  [415, ['unsupported_media_type']],
  [429, ['rate_limited']],
  [503, ['unavailable']],
];

describe('error codes', () => {
  it('are exactly the codes of PROTOCOL.md section 6, each with its status', () => {
    const expected = Object.fromEntries(
      PROTOCOL_TABLE.flatMap(([status, codes]) => codes.map((c) => [c, status])),
    );
    expect(ERROR_STATUS).toEqual(expected);
    for (const code of Object.keys(ERROR_STATUS) as ErrorCode[])
      expect(ERROR_TITLES[code].length).toBeGreaterThan(0);
  });

  it('match the table of the shared PROTOCOL.md (beside the clone, as in CI)', () => {
    const url = new URL('../../../../shared/PROTOCOL.md', import.meta.url);
    if (!existsSync(url)) return; // the hard-coded table above still checks every code
    const protocol = readFileSync(url, 'utf8');
    const section = protocol.slice(protocol.indexOf('## 6.'), protocol.indexOf('## 7.'));
    const rows = section.split('\n').filter((l) => /^\| \d/.test(l));
    const fromProtocol: Record<string, number> = {};
    for (const row of rows) {
      const [statusCell = '', codesCell = ''] = row.split('|').slice(1);
      const statuses = statusCell.split(',').map((x) => Number(x.trim()));
      const codes = [...codesCell.matchAll(/`([a-z_]+)`/g)].map((m) => m[1]!);
      // A row with several statuses lists one code per status, in order.
      codes.forEach((code, i) => (fromProtocol[code] = statuses[statuses.length > 1 ? i : 0]!));
    }
    expect(fromProtocol).toEqual(ERROR_STATUS);
  });

  it('isErrorCode accepts codes only', () => {
    expect(isErrorCode('rate_limited')).toBe(true);
    for (const v of ['RATE_LIMITED', 'toString', '__proto__', 42, null, undefined])
      expect(isErrorCode(v)).toBe(false);
  });
});

describe('EvrmoreAuthError', () => {
  it('carries code, status, detail and retryAfter, and serialises to problem+json without the cause', () => {
    const cause = new Error('connection refused to redis://:secret@host');
    const e = new EvrmoreAuthError('rate_limited', { detail: 'slow down', retryAfter: 30, cause });
    expect(e).toBeInstanceOf(Error);
    expect(e).toMatchObject({
      code: 'rate_limited',
      status: 429,
      detail: 'slow down',
      retryAfter: 30,
    });
    expect(e.cause).toBe(cause);
    const problem = toProblem(e);
    expect(problem).toEqual({
      type: problemType('rate_limited'),
      title: ERROR_TITLES.rate_limited,
      status: 429,
      code: 'rate_limited',
      detail: 'slow down',
    });
    expect(JSON.stringify(problem)).not.toContain('secret');
  });

  it('omits detail when none is given', () => {
    expect(toProblem(new EvrmoreAuthError('unavailable'))).not.toHaveProperty('detail');
  });
});

describe('EvrmoreAuthError message', () => {
  it('is the detail, else the title given, else the code', () => {
    const title = ERROR_TITLES.token_expired;
    expect(new EvrmoreAuthError('token_expired', { detail: 'd', title }).message).toBe('d');
    expect(new EvrmoreAuthError('token_expired', { title }).message).toBe('Access token expired');
    expect(new EvrmoreAuthError('token_expired').message).toBe('token_expired');
  });

  it("does not change the problem document: its title is always the code's", () => {
    const e = new EvrmoreAuthError('token_expired', { title: 'something else' });
    expect(toProblem(e).title).toBe(ERROR_TITLES.token_expired);
  });
});

describe('isMfaRequired', () => {
  it('tells the MFA step from a token response', () => {
    const mfa: MfaRequiredResponse = { mfaRequired: true, mfaToken: 't', methods: ['totp'] };
    expect(isMfaRequired(mfa)).toBe(true);
    expect(isMfaRequired({ accessToken: 'a', tokenType: 'Bearer' } as TokenResponse)).toBe(false);
  });
});
