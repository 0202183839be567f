// Test harness (not part of the published API): a frozen clock, deterministic-enough keys, a
// wallet that signs with core's signer, and request helpers for the fetch handler.
import {
  evrmore,
  privateKeyToAddress,
  signMessage,
  type Network,
  type TokenResponse,
} from '@evrmore-auth/core';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import { createEvrmoreAuth, type EvrmoreAuth } from '../src/create-auth.js';
import type { EvrmoreAuthConfig } from '../src/config.js';
import type { AuthEvent } from '../src/events.js';
import { buildOpenApiDocument } from '../src/openapi/document.js';
import { createMemoryStore, type MemoryStore } from '../src/stores/memory.js';
import { createResponseValidator, type ResponseValidator } from './openapi-validator.js';

export const ORIGIN = 'https://app.example.com';
export const T0 = Date.parse('2026-01-01T00:00:00.000Z');

let cachedJwk: JWK | undefined;
export async function edJwk(): Promise<JWK> {
  if (!cachedJwk) {
    const { privateKey } = await generateKeyPair('EdDSA', { extractable: true });
    cachedJwk = await exportJWK(privateKey);
  }
  return cachedJwk;
}

export interface Wallet {
  privateKey: string;
  address: string;
  network: Network;
  sign(message: string): string;
}
export function wallet(seed = '42', network: Network = evrmore): Wallet {
  const privateKey = seed.padStart(2, '0').repeat(32).slice(0, 64);
  return {
    privateKey,
    network,
    address: privateKeyToAddress(privateKey, { network }),
    sign: (message) => signMessage({ privateKey, message, network }),
  };
}

export interface Harness {
  auth: EvrmoreAuth;
  store: MemoryStore;
  clock: { t: number };
  events: AuthEvent[];
  tick(ms: number): void;
  request(
    method: string,
    path: string,
    init?: { body?: unknown; headers?: Record<string, string>; raw?: BodyInit },
  ): Promise<Response>;
  challenge(w?: Wallet): Promise<{ message: string; nonce: string }>;
  signIn(w?: Wallet): Promise<SignedIn>;
}
export interface SignedIn {
  tokens: TokenResponse;
  fingerprint: string;
  refreshToken: string;
  /** authorization + cookie headers for authenticated calls. */
  authHeaders: Record<string, string>;
}

export function cookieValue(res: Response, name: string): string | null {
  for (const c of res.headers.getSetCookie()) {
    const [pair] = c.split(';');
    const eq = pair!.indexOf('=');
    if (pair!.slice(0, eq) === name) return pair!.slice(eq + 1);
  }
  return null;
}

export async function createHarness(overrides: Partial<EvrmoreAuthConfig> = {}): Promise<Harness> {
  const clock = { t: T0 };
  const now = (): number => clock.t;
  const events: AuthEvent[] = [];
  const store = (overrides.store as MemoryStore | undefined) ?? createMemoryStore({ now });
  const auth = createEvrmoreAuth({
    domain: 'app.example.com',
    uri: ORIGIN,
    production: false,
    keys: [{ kid: 'k1', alg: 'EdDSA', privateKey: await edJwk() }],
    now,
    store,
    onEvent: (e) => {
      events.push(e);
    },
    // Route tests sign in many times from one IP; rate-limit wiring has its own test.
    rateLimits: { enabled: false },
    ...overrides,
  });
  await auth.ready();
  validateResponses(auth);
  const request: Harness['request'] = async (method, path, init = {}) => {
    const headers: Record<string, string> = { ...(init.headers ?? {}) };
    let body: BodyInit | undefined = init.raw;
    if (init.body !== undefined) {
      body = JSON.stringify(init.body);
      headers['content-type'] ??= 'application/json';
    }
    return auth.handler(
      new Request(`${ORIGIN}${path}`, { method, headers, ...(body === undefined ? {} : { body }) }),
      { ip: '203.0.113.7' },
    );
  };
  const h: Harness = {
    auth,
    store,
    clock,
    events,
    tick: (ms) => {
      clock.t += ms;
    },
    request,
    async challenge(w = wallet()) {
      const res = await request('POST', '/auth/challenge', { body: { address: w.address } });
      if (res.status !== 201)
        throw new Error(`challenge failed: ${res.status} ${await res.text()}`);
      return (await res.json()) as { message: string; nonce: string };
    },
    async signIn(w = wallet()) {
      const { message } = await h.challenge(w);
      const res = await request('POST', '/auth/verify', {
        body: { message, signature: w.sign(message) },
      });
      if (res.status !== 200) throw new Error(`verify failed: ${res.status} ${await res.text()}`);
      const tokens = (await res.json()) as TokenResponse;
      const fingerprint = cookieValue(res, auth.config.cookies.fingerprintName)!;
      const refreshToken = cookieValue(res, auth.config.cookies.refreshName)!;
      return {
        tokens,
        fingerprint,
        refreshToken,
        authHeaders: {
          authorization: `Bearer ${tokens.accessToken}`,
          cookie: `${auth.config.cookies.fingerprintName}=${fingerprint}`,
        },
      };
    },
  };
  return h;
}

/**
 * Make `auth.handler` check every response it gives against the instance's OpenAPI document
 * (built from `auth.config`, as `GET {basePath}/openapi.json` serves it) and throw on a
 * difference: every response a harness test receives from the handler goes through this.
 */
export function validateResponses<A extends EvrmoreAuth>(auth: A): A {
  const validator = createResponseValidator(buildOpenApiDocument(auth.config));
  const handler = auth.handler.bind(auth);
  auth.handler = async (request, context) => {
    const { method, url } = request;
    const res = await handler(request, context);
    await expectDocumented(validator, method, url, res);
    return res;
  };
  return auth;
}

/** Throw when `res` is not a response the OpenAPI document describes for `method url`. */
export async function expectDocumented(
  validator: ResponseValidator,
  method: string,
  url: string,
  res: Response,
): Promise<void> {
  const errors = validator.check(method, url, {
    status: res.status,
    headers: res.headers,
    body: await res.clone().text(),
  });
  if (errors.length > 0)
    throw new Error(`the response differs from the OpenAPI document:\n  ${errors.join('\n  ')}`);
}

export async function problem(
  res: Response,
): Promise<{ status: number; code: string; type: string; title: string; detail?: string }> {
  const body = (await res.json()) as {
    status: number;
    code: string;
    type: string;
    title: string;
    detail?: string;
  };
  return body;
}

/**
 * An auth instance on the harness's domain, origin and key (real clock, memory store), ready:
 * what the adapter tests mount.
 */
export async function createTestAuth(
  overrides: Partial<EvrmoreAuthConfig> = {},
): Promise<EvrmoreAuth> {
  const auth = createEvrmoreAuth({
    domain: 'app.example.com',
    uri: ORIGIN,
    production: false,
    keys: [{ kid: 'k1', alg: 'EdDSA', privateKey: await edJwk() }],
    ...overrides,
  });
  await auth.ready();
  return validateResponses(auth);
}
