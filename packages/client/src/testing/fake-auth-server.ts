// Test-only: an msw model of the PROTOCOL.md endpoints, plus fake timers, BroadcastChannel and
// Web Locks. Not exported by the package (excluded from `files`).
import { http, HttpResponse, type HttpHandler } from 'msw';
import {
  buildSignInMessage,
  EvrmoreAuthError,
  privateKeyToAddress,
  toProblem,
  verifyMessage,
  type ErrorCode,
  type SessionInfo,
} from '@evrmore-auth/core';
import { base64url, calculateJwkThumbprint, EmbeddedJWK, jwtVerify, type JWTPayload } from 'jose';
import type { BroadcastChannelLike, LockManagerLike } from '../tab-sync.js';

export const ORIGIN = 'https://app.test';
export const BASE = `${ORIGIN}/auth`;
export const API = `${ORIGIN}/api/data`;

export interface FakeServerOptions {
  domain?: string;
  uri?: string;
  chainId?: string;
  /** Challenge for another address than requested. */
  addressOverride?: string;
  expiresIn?: number;
  mfaCode?: string;
}

/** A DPoP proof the fake server received, verified independently of the client (jose). */
export interface ReceivedProof {
  method: string;
  url: string;
  payload: JWTPayload & { htm?: string; htu?: string; ath?: string; nonce?: string };
  /** RFC 7638 thumbprint of the proof's embedded `jwk`. */
  jkt: string;
}

/** A problem+json answer with a DPoP code (not in core's ErrorCode list). */
function dpopProblem(code: string, status: number, headers: Record<string, string> = {}): Response {
  return HttpResponse.json(
    { type: `https://evrmore-auth.dev/errors/${code}`, title: code, status, code },
    { status, headers: { 'content-type': 'application/problem+json', ...headers } },
  );
}

const b64url = (bytes: ArrayBuffer): string => base64url.encode(new Uint8Array(bytes));

function problem(code: ErrorCode, status?: number): Response {
  const p = toProblem(new EvrmoreAuthError(code));
  return HttpResponse.json(p, {
    status: status ?? p.status,
    headers: { 'content-type': 'application/problem+json' },
  });
}

/** A stateful fake of the auth server; counts requests so tests can assert on them. */
export function createFakeServer(options: FakeServerOptions = {}) {
  let tokenCounter = 0;
  const validTokens = new Set<string>();
  const challenges = new Map<string, string>();
  const state = {
    refreshCount: 0,
    verifyCount: 0,
    apiCount: 0,
    logoutCount: 0,
    refreshHeaders: [] as Headers[],
    /** Whether a refresh cookie would be present. */
    hasRefreshCookie: false,
    /** Make the next N refreshes fail with a network error. */
    refreshNetworkFailures: 0,
    /** Make refreshes answer this problem. */
    refreshProblem: null as ErrorCode | null,
    /** Make the API reject every token with 401 token_invalid. */
    apiAlways401: false,
    mfaEnrolled: false,
    deleted: [] as string[],
    apiAuthHeaders: [] as (string | null)[],
    /** Every DPoP proof received (verified with jose's EmbeddedJWK, typ dpop+jwt). */
    proofs: [] as ReceivedProof[],
    /** When set, a proof without this nonce is answered use_dpop_nonce with it. */
    dpopNonce: null as string | null,
    /** A nonce sent in `DPoP-Nonce` on every successful answer (a server rotating its nonce). */
    advertiseNonce: null as string | null,
    /** use_dpop_nonce answers given. */
    nonceRefusals: 0,
    /** A server with DPoP off: proofs are ignored, tokens are Bearer. */
    dpopOff: false,
    /** The key thumbprint the refresh family is bound to (DPoP sign-in), or null. */
    familyJkt: null as string | null,
  };
  /** Access tokens bound to a key: token → jkt. */
  const boundTokens = new Map<string, string>();
  const session: SessionInfo = {
    id: 'sess-1',
    address: privateKeyToAddress('42'.repeat(32)),
    createdAt: '2026-01-01T00:00:00.000Z',
    lastSeenAt: '2026-01-01T00:00:00.000Z',
    expiresAt: '2026-01-31T00:00:00.000Z',
    userAgent: null,
    ip: null,
  };
  const issue = (jkt: string | null = null): Response => {
    const accessToken = `at-${++tokenCounter}`;
    validTokens.add(accessToken);
    if (jkt !== null) boundTokens.set(accessToken, jkt);
    state.hasRefreshCookie = true;
    const expiresIn = options.expiresIn ?? 900;
    return HttpResponse.json({
      accessToken,
      tokenType: jkt !== null ? 'DPoP' : 'Bearer',
      expiresIn,
      expiresAt: new Date(Date.UTC(2026, 0, 1) + expiresIn * 1000).toISOString(),
      session,
    });
  };
  const bearer = (request: Request): string | null => {
    const h = request.headers.get('authorization');
    return h?.startsWith('Bearer ') || h?.startsWith('DPoP ') ? h.slice(h.indexOf(' ') + 1) : null;
  };
  /**
   * Check the request's DPoP proof (none: `null`): signature and typ with jose, htm, htu, the
   * nonce when one is required, `ath` of `accessToken`. A refusal is a Response; `resource`
   * picks the resource-server form of use_dpop_nonce (401 + WWW-Authenticate).
   */
  const checkProof = async (
    request: Request,
    accessToken: string | null,
    resource: boolean,
  ): Promise<{ jkt: string } | Response | null> => {
    const proof = request.headers.get('dpop');
    if (proof === null || state.dpopOff) return null;
    let received: ReceivedProof;
    try {
      const { payload, protectedHeader } = await jwtVerify(proof, EmbeddedJWK, {
        typ: 'dpop+jwt',
        algorithms: ['ES256'],
      });
      received = {
        method: request.method,
        url: request.url,
        payload,
        jkt: await calculateJwkThumbprint(protectedHeader.jwk!),
      };
    } catch {
      return dpopProblem('dpop_proof_invalid', resource ? 401 : 400);
    }
    state.proofs.push(received);
    const url = new URL(request.url);
    const { htm, htu, ath, nonce } = received.payload;
    if (htm !== request.method || htu !== `${url.origin}${url.pathname}`)
      return dpopProblem('dpop_proof_invalid', resource ? 401 : 400);
    if (state.dpopNonce !== null && nonce !== state.dpopNonce) {
      state.nonceRefusals++;
      return dpopProblem('use_dpop_nonce', resource ? 401 : 400, {
        'dpop-nonce': state.dpopNonce,
        ...(resource ? { 'www-authenticate': 'DPoP error="use_dpop_nonce"' } : {}),
      });
    }
    if (accessToken !== null) {
      const hash = b64url(
        await crypto.subtle.digest('SHA-256', new TextEncoder().encode(accessToken)),
      );
      if (ath !== hash) return dpopProblem('dpop_proof_invalid', 401);
    }
    return { jkt: received.jkt };
  };
  const withNonce = (response: Response): Response => {
    if (state.advertiseNonce !== null) response.headers.set('dpop-nonce', state.advertiseNonce);
    return response;
  };
  /** A token endpoint's proof check: the key's thumbprint, null without a proof, or a refusal. */
  const tokenProof = async (request: Request): Promise<string | null | Response> => {
    const checked = await checkProof(request, null, false);
    return checked instanceof Response ? checked : (checked?.jkt ?? null);
  };
  const authed = async (request: Request): Promise<Response | null> => {
    const token = bearer(request);
    if (token === null) return problem('token_missing');
    if (!validTokens.has(token)) return problem('token_expired');
    const jkt = boundTokens.get(token);
    if (jkt === undefined) return null;
    // A DPoP-bound token: the DPoP scheme and a proof by the same key, with its ath.
    if (!request.headers.get('authorization')!.startsWith('DPoP ')) return problem('token_invalid');
    const checked = await checkProof(request, token, true);
    if (checked instanceof Response) return checked;
    if (checked === null) return dpopProblem('dpop_required', 401);
    if (checked.jkt !== jkt) return dpopProblem('dpop_key_mismatch', 401);
    return null;
  };

  const handlers: HttpHandler[] = [
    http.post(`${BASE}/challenge`, async ({ request }) => {
      const body = (await request.json()) as { address?: string };
      if (typeof body.address !== 'string') return problem('invalid_request');
      const nonce = `n${challenges.size + 1}abcdefghijklmnop`;
      const message = buildSignInMessage({
        domain: options.domain ?? 'app.test',
        address: options.addressOverride ?? body.address,
        statement: 'Sign in to the test app.',
        uri: options.uri ?? ORIGIN,
        version: '1',
        chainId: options.chainId ?? 'evrmore:mainnet',
        nonce,
        issuedAt: '2026-01-01T00:00:00Z',
        expirationTime: '2099-01-01T00:05:00Z',
      });
      challenges.set(message, body.address);
      return HttpResponse.json(
        { message, nonce, issuedAt: '2026-01-01T00:00:00Z', expiresAt: '2099-01-01T00:05:00Z' },
        { status: 201 },
      );
    }),
    http.post(`${BASE}/verify`, async ({ request }) => {
      state.verifyCount++;
      const jkt = await tokenProof(request);
      if (jkt instanceof Response) return jkt;
      const body = (await request.json()) as { message: string; signature: string };
      const address = challenges.get(body.message);
      if (address === undefined) return problem('challenge_unknown');
      challenges.delete(body.message);
      const result = verifyMessage({ address, message: body.message, signature: body.signature });
      if (!result.valid) return problem('invalid_signature');
      session.address = address;
      if (state.mfaEnrolled)
        return HttpResponse.json({ mfaRequired: true, mfaToken: 'mfa-1', methods: ['totp'] });
      state.familyJkt = jkt;
      return withNonce(issue(jkt));
    }),
    http.post(`${BASE}/mfa/verify`, async ({ request }) => {
      const jkt = await tokenProof(request);
      if (jkt instanceof Response) return jkt;
      const body = (await request.json()) as { mfaToken: string; code: string };
      if (body.mfaToken !== 'mfa-1' || body.code !== (options.mfaCode ?? '123456'))
        return problem('mfa_invalid');
      state.familyJkt = jkt;
      return withNonce(issue(jkt));
    }),
    http.post(`${BASE}/refresh`, async ({ request }) => {
      state.refreshCount++;
      state.refreshHeaders.push(request.headers);
      if (state.refreshNetworkFailures > 0) {
        state.refreshNetworkFailures--;
        return HttpResponse.error();
      }
      if (state.refreshProblem) return problem(state.refreshProblem);
      if (!state.hasRefreshCookie) return problem('refresh_invalid');
      const jkt = await tokenProof(request);
      if (jkt instanceof Response) return jkt;
      if (state.familyJkt !== null && jkt !== state.familyJkt)
        return dpopProblem('dpop_key_mismatch', 400);
      return withNonce(issue(state.familyJkt));
    }),
    http.post(`${BASE}/logout`, async ({ request }) => {
      state.logoutCount++;
      const denied = await authed(request);
      if (denied) return denied;
      validTokens.clear();
      state.hasRefreshCookie = false;
      return new HttpResponse(null, { status: 204 });
    }),
    http.get(
      `${BASE}/session`,
      async ({ request }) => (await authed(request)) ?? HttpResponse.json(session),
    ),
    http.get(
      `${BASE}/sessions`,
      async ({ request }) =>
        (await authed(request)) ??
        HttpResponse.json({
          sessions: [
            { ...session, current: true },
            { ...session, id: 'sess-2' },
          ],
        }),
    ),
    http.delete(`${BASE}/sessions/:id`, async ({ request, params }) => {
      const denied = await authed(request);
      if (denied) return denied;
      state.deleted.push(String(params.id));
      return new HttpResponse(null, { status: 204 });
    }),
    http.delete(`${BASE}/sessions`, async ({ request }) => {
      const denied = await authed(request);
      if (denied) return denied;
      state.deleted.push(`scope=${new URL(request.url).searchParams.get('scope')}`);
      return new HttpResponse(null, { status: 204 });
    }),
    http.all(API, async ({ request }) => {
      state.apiCount++;
      state.apiAuthHeaders.push(request.headers.get('authorization'));
      if (state.apiAlways401) return problem('token_invalid');
      return (
        (await authed(request)) ??
        withNonce(HttpResponse.json({ ok: true, token: bearer(request) }))
      );
    }),
  ];

  return {
    handlers,
    state,
    /** Invalidate every access token issued so far (as if they expired server-side). */
    expireAccessTokens: () => validTokens.clear(),
    /** The key thumbprint an access token is bound to, if any. */
    boundTo: (token: string) => boundTokens.get(token) ?? null,
  };
}

/** A manual clock and timer queue. */
export function createFakeTime(start = Date.UTC(2026, 0, 1)) {
  let now = start;
  let seq = 0;
  const queue = new Map<number, { at: number; fn: () => void; ms: number }>();
  const delays: number[] = [];
  return {
    now: () => now,
    delays,
    timers: {
      setTimeout: (fn: () => void, ms: number): unknown => {
        const id = ++seq;
        delays.push(ms);
        queue.set(id, { at: now + ms, fn, ms });
        return id;
      },
      clearTimeout: (id: unknown): void => {
        queue.delete(id as number);
      },
    },
    pending: () => queue.size,
    /** Move the clock without firing timers (a sleeping laptop, a throttled background tab). */
    skip(ms: number): void {
      now += ms;
    },
    /** Move the clock forward, firing due timers in order. */
    async advance(ms: number): Promise<void> {
      const target = now + ms;
      for (;;) {
        let next: [number, { at: number; fn: () => void }] | undefined;
        for (const entry of queue)
          if (entry[1].at <= target && (!next || entry[1].at < next[1].at)) next = entry;
        if (!next) break;
        queue.delete(next[0]);
        now = Math.max(now, next[1].at);
        next[1].fn();
        await flush();
      }
      now = target;
      await flush();
    },
  };
}

/** Let pending promises and msw handlers settle. */
export async function flush(rounds = 20): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise((r) => setTimeout(r, 0));
}

/** An in-process BroadcastChannel hub (messages to every other channel of the same name). */
export function createFakeBroadcast() {
  const channels = new Set<{ name: string; listeners: ((e: { data: unknown }) => void)[] }>();
  /** While set, messages it matches are held back (in order) until `release()`: a slow channel. */
  let hold: ((data: unknown) => boolean) | null = null;
  const held: (() => void)[] = [];
  const create = (name: string): BroadcastChannelLike => {
    const me = { name, listeners: [] as ((e: { data: unknown }) => void)[] };
    channels.add(me);
    return {
      postMessage(message) {
        const data = structuredClone(message);
        for (const c of channels)
          if (c !== me && c.name === name) {
            const deliver = (): void => c.listeners.forEach((l) => l({ data }));
            if (hold?.(data)) held.push(deliver);
            else queueMicrotask(deliver);
          }
      },
      addEventListener(_type, listener) {
        me.listeners.push(listener);
      },
      close() {
        channels.delete(me);
      },
    };
  };
  return {
    create,
    holdBack(match: (data: unknown) => boolean): void {
      hold = match;
    },
    release(): void {
      hold = null;
      for (const deliver of held.splice(0)) queueMicrotask(deliver);
    },
  };
}

/** One exclusive lock shared by several tabs, like `navigator.locks`; each tab's facade knows whether it holds it. */
export function createFakeLocks() {
  let tail: Promise<unknown> = Promise.resolve();
  const shared = { requests: 0 };
  const tab = () => {
    const facade = {
      held: false,
      locks: {
        request<T>(
          _name: string,
          options: { signal?: AbortSignal },
          callback: () => Promise<T>,
        ): Promise<T> {
          shared.requests++;
          const run = tail.then(async () => {
            if (options.signal?.aborted) throw new DOMException('aborted', 'AbortError');
            facade.held = true;
            try {
              return await callback();
            } finally {
              facade.held = false;
            }
          });
          tail = run.catch(() => undefined);
          return run;
        },
      } satisfies LockManagerLike,
    };
    return facade;
  };
  return { shared, tab };
}
