import { describe, expect, it } from 'vitest';
import { createHarness } from '../testing/harness.js';

describe('smoke', () => {
  it('signs in, refreshes, reads the session', async () => {
    const h = await createHarness();
    const s = await h.signIn();
    expect(s.tokens.tokenType).toBe('Bearer');
    const me = await h.request('GET', '/auth/session', { headers: s.authHeaders });
    expect(me.status).toBe(200);
    const r = await h.request('POST', '/auth/refresh', {
      headers: {
        'x-requested-with': 'evrmore-auth',
        cookie: `__Secure-evrmore-rt=${s.refreshToken}`,
      },
    });
    expect(r.status, await r.clone().text()).toBe(200);
  });
});
