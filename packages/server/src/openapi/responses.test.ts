// The error answers the OpenAPI document promises, driven on every operation that can give them:
// each response goes through the harness's validation against the document, so a status, code
// or header the document does not list fails here, and so does one it lists but the route never
// gives for that cause.
import { describe, expect, it } from 'vitest';
import {
  createHarness,
  ORIGIN,
  T0,
  wallet,
  type Harness,
  type SignedIn,
} from '../../test/harness.js';
import { buildOpenApiDocument } from './document.js';
import { StoreUnavailableError, type AuthStore } from '../store.js';
import { createMemoryStore } from '../stores/memory.js';

const MFA = {
  encryptionKeys: [
    { id: 'k1', key: btoa(String.fromCharCode(...Array.from({ length: 32 }, (_, i) => i))) },
  ],
};

interface Op {
  method: string;
  path: string;
  body: boolean;
  bearer: boolean;
}

/** The documented operations, from the document itself. */
function documentedOperations(h: Harness): Op[] {
  const doc = buildOpenApiDocument(h.auth.config);
  return Object.entries(doc.paths).flatMap(([path, item]) =>
    Object.entries(item as Record<string, Record<string, unknown>>).map(([method, op]) => ({
      method: method.toUpperCase(),
      path: path.replace('{id}', 'AAAAAAAAAAAAAAAAAAAAAA'),
      body: op.requestBody !== undefined,
      bearer: JSON.stringify(op.security).includes('bearerAuth'),
    })),
  );
}

/** Headers that get a request past authentication and the origin check. */
function headersFor(op: Op, s: SignedIn, h: Harness): Record<string, string> {
  const cookies = [
    `${h.auth.config.cookies.fingerprintName}=${s.fingerprint}`,
    `${h.auth.config.cookies.refreshName}=${s.refreshToken}`,
  ].join('; ');
  return op.bearer ? { ...s.authHeaders, cookie: cookies } : { origin: ORIGIN, cookie: cookies };
}

describe('documented error answers, on every operation', () => {
  it('every operation with a body: 400 invalid_request, 413, 415', async () => {
    const h = await createHarness({ mfa: MFA });
    const s = await h.signIn();
    const ops = documentedOperations(h).filter((op) => op.body);
    expect(ops.map((o) => o.path)).toContain('/auth/mfa/totp/disable');
    for (const op of ops) {
      const headers = headersFor(op, s, h);
      const bad = await h.request(op.method, op.path, { headers, body: { unexpected: 1 } });
      expect(bad.status, `${op.method} ${op.path}`).toBe(400);
      const big = await h.request(op.method, op.path, {
        headers: { ...headers, 'content-type': 'application/json' },
        raw: JSON.stringify({ pad: 'x'.repeat(20_000) }),
      });
      expect(big.status, `${op.method} ${op.path}`).toBe(413);
      const text = await h.request(op.method, op.path, {
        headers: { ...headers, 'content-type': 'text/plain' },
        raw: '{}',
      });
      expect(text.status, `${op.method} ${op.path}`).toBe(415);
    }
  });

  it('every bearer operation: 401 token_missing and invalid_token with WWW-Authenticate', async () => {
    const h = await createHarness({ mfa: MFA });
    for (const op of documentedOperations(h).filter((o) => o.bearer)) {
      const none = await h.request(op.method, op.path, op.body ? { body: {} } : {});
      expect(none.status).toBe(401);
      expect(none.headers.get('www-authenticate')).toBe('Bearer');
      const bad = await h.request(op.method, op.path, {
        headers: { authorization: 'Bearer x.y.z' },
        ...(op.body ? { body: {} } : {}),
      });
      expect(bad.status).toBe(401);
      expect(bad.headers.get('www-authenticate')).toBe('Bearer error="invalid_token"');
    }
  });

  it('every MFA operation without mfa configuration: 404 not_found', async () => {
    const h = await createHarness();
    const s = await h.signIn();
    const ops = documentedOperations(h).filter((op) => op.path.includes('/mfa/'));
    expect(ops).toHaveLength(4);
    for (const op of ops) {
      const res = await h.request(op.method, op.path, {
        headers: headersFor(op, s, h),
        body: op.path.endsWith('/setup')
          ? {}
          : op.path.endsWith('/mfa/verify')
            ? { mfaToken: 'A'.repeat(43), code: '123456' }
            : { code: '123456' },
      });
      expect(res.status, op.path).toBe(404);
    }
  });

  it('every operation that reads the store: 503 unavailable while it is down', async () => {
    let down = false;
    const memory = createMemoryStore({ now: () => T0 });
    const store = new Proxy(memory, {
      get(target, key, receiver) {
        const value: unknown = Reflect.get(target, key, receiver);
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          if (down) throw new StoreUnavailableError('down for the test');
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    }) as AuthStore;
    const logged: string[] = [];
    const logger = {
      info() {},
      warn() {},
      error: (_: object, msg?: string) => logged.push(msg ?? ''),
    };
    const h = await createHarness({ mfa: MFA, store, tokenCache: false, logger });
    const s = await h.signIn();
    const ops = documentedOperations(h).filter((op) => op.path !== '/auth/jwks.json');
    const w = wallet();
    const { message } = await h.challenge(w);
    down = true;
    for (const op of ops) {
      const res = await h.request(
        op.method,
        `${op.path}${op.path.endsWith('/sessions') && op.method === 'DELETE' ? '?scope=others' : ''}`,
        {
          headers: headersFor(op, s, h),
          ...(op.body
            ? {
                body: op.path.endsWith('/mfa/verify')
                  ? { mfaToken: 'A'.repeat(43), code: '123456' }
                  : op.path.match(/enable|disable/)
                    ? { code: '123456' }
                    : op.path.endsWith('/challenge')
                      ? { address: s.tokens.session.address }
                      : op.path.endsWith('/verify')
                        ? { message, signature: w.sign(message) }
                        : {},
              }
            : {}),
        },
      );
      expect(res.status, `${op.method} ${op.path}`).toBe(503);
    }
    expect(logged.length).toBe(ops.length); // each outage is logged (with its cause), once
  });
});
