// The server's errors keep their code's title as message (core's class no longer carries titles).
import { ERROR_TITLES, EvrmoreAuthError, toProblem } from '@evrmore-auth/core';
import { describe, expect, it } from 'vitest';
import { authError } from './errors.js';
import { ORIGIN, createHarness } from '../test/harness.js';

describe('authError', () => {
  it('is an EvrmoreAuthError whose message is the detail, else the title of its code', () => {
    const e = authError('token_expired');
    expect(e).toBeInstanceOf(EvrmoreAuthError);
    expect([e.code, e.status, e.message, e.detail]).toEqual([
      'token_expired',
      401,
      'Access token expired',
      undefined,
    ]);
    expect(authError('invalid_request', { detail: 'address: required' }).message).toBe(
      'address: required',
    );
    expect(toProblem(authError('rate_limited', { retryAfter: 3 }))).toEqual(
      toProblem(new EvrmoreAuthError('rate_limited')),
    );
  });

  it("is what authenticate() rejects with: the message an app logs is the code's title", async () => {
    const h = await createHarness();
    const err = await h.auth.authenticate(new Request(`${ORIGIN}/api`)).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'token_missing', message: ERROR_TITLES.token_missing });
  });
});
