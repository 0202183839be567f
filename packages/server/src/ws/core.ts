// Authenticated WebSockets, transport-neutral: the upgrade check, the socket's state machine
// (auth message, renewal, per-message re-validation), connection limits, heartbeats and the
// revocation watch (this instance's revocations at once, Redis pub/sub, polling). The Node `ws`
// and Hono bindings (index.ts) only move bytes and events. PROTOCOL.md "WebSockets".
import { EvrmoreAuthError } from '@evrmore-auth/core';
import * as v from 'valibot';
import { authenticateRequest, enforceIpLists, type AuthIdentity } from '../authenticate.js';
import type { ExtraClaims } from '../config.js';
import { boolean, integer, parseOptions } from '../config/validate.js';
import { internalsOf, type EvrmoreAuth } from '../create-auth.js';
import { authError } from '../errors.js';
import type { HeaderReader } from '../http/request.js';
import { clientIp } from '../proxy.js';
import type { AuthRuntime } from '../runtime.js';
import { isLive, StoreUnavailableError, type AuthStore } from '../store.js';
import { recordActivity } from '../session-policy.js';
import { getSessionForAuth } from '../token-cache.js';
import type { RevocationNotice } from '../revocations.js';

/** The subprotocol the server selects for an authenticated socket. */
export const WS_PROTOCOL = 'evrmore-auth';
/** Prefix of the subprotocol that carries the access token: `evrmore-auth.token.<jwt>`. */
export const WS_TOKEN_PROTOCOL_PREFIX = 'evrmore-auth.token.';
/**
 * Prefix of the subprotocol that carries a DPoP proof for a DPoP-bound token:
 * `evrmore-auth.dpop.<proof>` (RFC 9449: `htm` GET, `htu` the socket's URL as http(s), `ath`).
 */
export const WS_DPOP_PROTOCOL_PREFIX = 'evrmore-auth.dpop.';

/**
 * The close codes of an authenticated socket (PROTOCOL.md "WebSockets").
 *
 * @example
 * ```ts
 * ws.addEventListener('close', (e) => { if (e.code === WS_CLOSE.tokenExpired) reconnect(); });
 * ```
 */
export const WS_CLOSE = {
  /** The access token expired without renewal, or the token sent is not valid. */
  tokenExpired: 4401,
  /** The session was revoked (or ended), or a renewal named another session. */
  forbidden: 4403,
  /** The heartbeat was lost, or no auth message came in time. */
  timeout: 4408,
  /** A connection limit (per session, address or IP) was reached (auth-message path). */
  limit: 4429,
  /** The store could not be reached to re-validate (fail closed). */
  unavailable: 1011,
} as const;

/**
 * Options of {@link createWebSocketAuth}.
 *
 * @example
 * ```ts
 * const options: WebSocketAuthOptions = { heartbeatIntervalMs: 15_000, maxPerSession: 5 };
 * ```
 */
export interface WebSocketAuthOptions {
  /**
   * How long an upgrade without a token (in `Sec-WebSocket-Protocol` or, in cookie mode, the
   * session cookie) waits for the first message `{"type":"auth","token":"…"}`, ms; then it is
   * closed with 4408. `0`: no auth message, such an upgrade is refused with 401.
   * @default 5000
   */
  authTimeoutMs?: number;
  /**
   * Interval of the server's pings, ms: a socket that did not answer the previous ping is closed
   * with 4408. `0`: no heartbeat.
   * @default 30000
   */
  heartbeatIntervalMs?: number;
  /**
   * How often the sessions of open sockets are read again from the store, ms: the bound on how
   * late a revocation made on another instance closes an idle socket when the store has no
   * pub/sub (memory, Postgres). With the Redis store, revocations arrive at once by pub/sub and
   * polling is the safety net. `0`: no polling.
   * @default 5000
   */
  revocationPollMs?: number;
  /**
   * Open sockets per session on this instance; one more is refused (429 before the upgrade,
   * 4429 after an auth message).
   * @default 3
   */
  maxPerSession?: number;
  /**
   * Open sockets per signed-in address (user) on this instance.
   * @default 3
   */
  maxPerAddress?: number;
  /**
   * Open sockets per client IP on this instance (the IP as `trustedProxies` resolves it).
   * @default 30
   */
  maxPerIp?: number;
  /**
   * Refuse an upgrade without an `Origin` header (browsers always send one; other clients may
   * not). An `Origin` that is sent must be one of `allowedOrigins` either way.
   * @default false
   */
  requireOrigin?: boolean;
}

const OPTIONS = v.object({
  authTimeoutMs: v.optional(integer(0, 600_000), 5000),
  heartbeatIntervalMs: v.optional(integer(0, 3_600_000), 30_000),
  revocationPollMs: v.optional(integer(0, 3_600_000), 5000),
  maxPerSession: v.optional(integer(1, 1_000_000), 3),
  maxPerAddress: v.optional(integer(1, 1_000_000), 3),
  maxPerIp: v.optional(integer(1, 1_000_000), 30),
  requireOrigin: v.optional(boolean, false),
});
type ResolvedOptions = v.InferOutput<typeof OPTIONS>;

/**
 * An authenticated socket as the application sees it.
 *
 * @example
 * ```ts
 * onMessage: (socket, data) => socket.send(`${socket.identity.address}: ${String(data)}`),
 * ```
 */
export interface AuthSocket<Claims extends ExtraClaims = ExtraClaims> {
  /** The verified caller (the latest token's claims after a renewal; the session never changes). */
  readonly identity: AuthIdentity<Claims>;
  /** The client IP (after `trustedProxies`), or `null`. */
  readonly ip: string | null;
  /** Send a text or binary message. */
  send(data: string | Uint8Array | ArrayBuffer): void;
  /** Close the socket. @default code 1000 */
  close(code?: number, reason?: string): void;
  /** The underlying socket: the `ws` WebSocket, or Hono's `WSContext`. */
  readonly raw: unknown;
}

/**
 * What a binding tells the core about its socket.
 * @internal
 */
export interface SocketTransport {
  send(data: string | Uint8Array | ArrayBuffer): void;
  close(code: number, reason: string): void;
  /** Drop the connection without a close handshake. */
  terminate?(): void;
  /** Send a ping; `undefined` when the transport has no ping (no heartbeat then). */
  ping?: (() => void) | undefined;
  raw: unknown;
}

/** What the upgrade check found. */
interface UpgradeGrant {
  identity: AuthIdentity | null;
  ip: string | null;
  headers: HeaderReader;
  /** The upgrade's absolute URL (a DPoP proof's `htu`) and TCP peer, for renewals. */
  url: string;
  peer: string | null;
}

/** JWT-shaped text (three base64url parts, the first a JSON object's). */
const JWT_LIKE = /eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*/;
const URL_TOKEN_PARAMS = new Set([
  'access_token',
  'token',
  'jwt',
  'auth',
  'authorization',
  'bearer',
  'id_token',
]);

/** Messages the helper reads itself begin with this exact text. */
export const AUTH_MESSAGE_PREFIX = '{"type":"auth"';

/**
 * One socket's state: pending (waiting for an auth message), open, closed.
 * @internal
 */
export class SocketState<Claims extends ExtraClaims = ExtraClaims> implements AuthSocket<Claims> {
  identity!: AuthIdentity<Claims>;
  status: 'pending' | 'open' | 'closed' = 'pending';
  /** Token expiry, epoch ms (with the clock tolerance). */
  expiresAt = 0;
  alive = true;
  /** The last message check in flight (later ones run after it: arrival order). */
  private tail: Promise<void> = Promise.resolve();
  /** Messages and auth messages still being checked. */
  private waiting = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  /** A no-op until the binding has the socket (a close before then is replayed on it). */
  transport: SocketTransport = { send: () => {}, close: () => {}, raw: null };
  /** The code and reason the helper closed the socket with. */
  closedWith: { code: number; reason: string } = { code: 1000, reason: '' };
  /** Called once the socket is authenticated by an auth message (the binding's `onOpen`). */
  opened: (() => void) | undefined;
  constructor(
    readonly core: SocketCore<Claims>,
    readonly ip: string | null,
    readonly headers: HeaderReader,
    /** The upgrade's absolute URL and TCP peer (a renewal's DPoP proof is checked against them). */
    readonly upgrade: { url: string; peer: string | null },
  ) {}

  /** Whether the socket is closed (a method: the status changes across awaits). */
  isClosed(): boolean {
    return this.status === 'closed';
  }

  get raw(): unknown {
    return this.transport.raw;
  }

  send(data: string | Uint8Array | ArrayBuffer): void {
    if (this.status !== 'closed') this.transport.send(data);
  }

  close(code = 1000, reason = ''): void {
    this.end(code, reason);
  }

  /** Close with `code`; the application is told by the binding's close event. */
  end(code: number, reason: string): void {
    if (this.status === 'closed') return;
    this.status = 'closed';
    this.closedWith = { code, reason };
    clearTimeout(this.timer);
    this.core.unregister(this);
    try {
      this.transport.close(code, reason);
    } catch {
      this.transport.terminate?.();
    }
    // A peer that never answers the close frame (heartbeat lost) is dropped.
    const t = setTimeout(() => this.transport.terminate?.(), 5000);
    t.unref?.();
  }

  /** The binding saw the connection end. */
  closed(): void {
    if (this.status === 'closed') return;
    this.status = 'closed';
    clearTimeout(this.timer);
    this.core.unregister(this);
  }

  /** Open with `identity` (from the upgrade or the auth message). */
  admit(identity: AuthIdentity<Claims>): void {
    this.setIdentity(identity);
    this.status = 'open';
  }

  setIdentity(identity: AuthIdentity<Claims>): void {
    this.identity = identity;
    const exp = typeof identity.claims.exp === 'number' ? identity.claims.exp : 0;
    this.expiresAt = (exp + this.core.rt.config.clockToleranceSeconds) * 1000;
    clearTimeout(this.timer);
    // Expiry closes the socket even when no message comes (real time; `now` is checked too).
    const wait = Math.min(this.expiresAt - this.core.rt.config.now(), 2_147_000_000);
    this.timer = setTimeout(() => this.checkExpiry(), Math.max(wait, 0) + 5);
    this.timer.unref?.();
  }

  waitForAuth(ms: number): void {
    this.timer = setTimeout(() => this.end(WS_CLOSE.timeout, 'auth timeout'), ms);
    this.timer.unref?.();
  }

  checkExpiry(): void {
    if (this.status === 'open' && this.core.rt.config.now() >= this.expiresAt)
      this.end(WS_CLOSE.tokenExpired, 'token expired');
  }

  /**
   * A message from the peer: the auth message is the helper's, anything else reaches `deliver`
   * only after the token and the session are checked, in arrival order.
   */
  receive(text: string | null, deliver: () => void): void {
    if (this.status === 'closed') return;
    if (text !== null) {
      this.after(() => this.core.onAuthMessage(this, text));
      return;
    }
    if (this.status === 'pending') {
      this.end(WS_CLOSE.tokenExpired, 'authenticate first');
      return;
    }
    if (this.waiting === 0) {
      // Nothing in flight: this check is the new tail.
      const done = this.checkThenDeliver(deliver);
      if (done !== undefined) this.tail = done;
    } else this.after(() => (this.status === 'open' ? this.checkThenDeliver(deliver) : undefined));
  }

  /**
   * The per-message check, then `deliver`: at once when the verdict is synchronous (a cached
   * session), else after the session read, one promise turn (later messages wait behind it).
   */
  private checkThenDeliver(deliver: () => void): Promise<void> | undefined {
    const core = this.core;
    const now = core.rt.config.now();
    if (now >= this.expiresAt) {
      this.end(WS_CLOSE.tokenExpired, 'token expired');
      return undefined;
    }
    const session = getSessionForAuth(core.rt, this.identity.sessionId, now);
    if (!(session instanceof Promise)) {
      if (core.judge(this, session, now)) deliver();
      return undefined;
    }
    this.waiting++;
    const done = session.then(
      (value) => {
        this.waiting--;
        if (this.status === 'open' && core.judge(this, value, now)) deliverSafely(deliver);
      },
      (err: unknown) => {
        this.waiting--;
        this.end(WS_CLOSE.unavailable, 'unavailable');
        if (!(err instanceof StoreUnavailableError))
          console.error('evrmore-auth ws: session check failed', err);
      },
    );
    return done;
  }

  /** Run `step` after the messages still being checked (in order); its own promise, if any,
   *  is waited for before the next step. */
  private after(step: () => Promise<void> | undefined | void): void {
    this.waiting++;
    const run = (): Promise<void> | undefined | void => {
      this.waiting--;
      return step();
    };
    const done = this.tail.then(run).catch(() => this.end(WS_CLOSE.unavailable, 'unavailable'));
    this.tail = done;
  }
}

/** The application's handler, outside the check's promise: a throw is reported, not swallowed. */
function deliverSafely(deliver: () => void): void {
  try {
    deliver();
  } catch (err) {
    console.error('evrmore-auth ws: the onMessage handler threw', err);
  }
}

/** A store's Redis pub/sub, when it has one (the Redis store, also under the caches' wrapper). */
interface RedisPubSub {
  revocationChannel: string;
  client: {
    duplicate(): {
      status: string;
      once(event: string, listener: () => void): unknown;
      subscribe(channel: string): Promise<unknown>;
      on(event: string, listener: (...args: never[]) => void): unknown;
      quit(): Promise<unknown>;
      disconnect(): void;
    };
  };
}

function redisOf(store: AuthStore): RedisPubSub | null {
  const s = store as unknown as Partial<RedisPubSub>;
  return typeof s.revocationChannel === 'string' && typeof s.client?.duplicate === 'function'
    ? (s as RedisPubSub)
    : null;
}

function inc(map: Map<string, Set<SocketState<never>>>, key: string, s: SocketState<never>): void {
  let set = map.get(key);
  if (set === undefined) map.set(key, (set = new Set()));
  set.add(s);
}
function dec(map: Map<string, Set<SocketState<never>>>, key: string, s: SocketState<never>): void {
  const set = map.get(key);
  if (set === undefined) return;
  set.delete(s);
  if (set.size === 0) map.delete(key);
}

/**
 * The shared machinery behind the bindings.
 * @internal
 */
export class SocketCore<Claims extends ExtraClaims = ExtraClaims> {
  readonly options: ResolvedOptions;
  readonly bySession = new Map<string, Set<SocketState<never>>>();
  private readonly byAddress = new Map<string, Set<SocketState<never>>>();
  private readonly byIp = new Map<string, Set<SocketState<never>>>();
  /** Sockets not yet counted under a session (pending an auth message). */
  private readonly pending = new Set<SocketState<never>>();
  private heartbeat: ReturnType<typeof setInterval> | undefined;
  private poll: ReturnType<typeof setInterval> | undefined;
  private subscriber: ReturnType<RedisPubSub['client']['duplicate']> | null = null;
  private readonly stopLocal: () => void;
  /** Resolves once the Redis revocation subscription is in place (or failed, or after 5 s
   *  without a connection), at once without Redis. */
  subscribed: Promise<void> = Promise.resolve();

  constructor(
    readonly rt: AuthRuntime,
    options: WebSocketAuthOptions,
  ) {
    this.options = parseOptions('createWebSocketAuth', OPTIONS, options);
    this.stopLocal = rt.revocations.listen((n) => this.revoked(n));
    const redis = redisOf(rt.store);
    if (redis !== null) {
      const sub = redis.client.duplicate();
      this.subscriber = sub;
      sub.on('error', () => {}); // reconnects by itself; polling covers the gap
      sub.on('message', ((channel: string, sid: string) => {
        if (channel === redis.revocationChannel) this.revoked({ sid });
      }) as (...args: never[]) => void);
      // The duplicate has no offline queue (the store's defaults): subscribe once it is ready;
      // ioredis subscribes again by itself after a reconnect.
      this.subscribed = new Promise<void>((resolve) => {
        const subscribe = (): void =>
          void sub.subscribe(redis.revocationChannel).then(
            () => resolve(),
            () => resolve(),
          );
        if (sub.status === 'ready') subscribe();
        else sub.once('ready', subscribe);
        // Redis unreachable at start-up: ready() does not hang (polling covers the gap; the
        // subscription is made when the connection comes up).
        setTimeout(resolve, 5000).unref?.();
      });
    }
  }

  get size(): number {
    let n = 0;
    for (const set of this.bySession.values()) n += set.size;
    return n;
  }

  /**
   * Check an upgrade request before the upgrade: the URL carries no token, the Origin is
   * allowed, and the token (subprotocol, or the session cookie in cookie mode) is valid with its
   * fingerprint cookie. Without a token: `identity: null` when the auth message is allowed.
   */
  async authorize(request: {
    /** The absolute URL of the upgrade request (http: or https:). */
    url: string;
    headers: HeaderReader;
    peer: string | null | undefined;
  }): Promise<UpgradeGrant> {
    const { config } = this.rt;
    // A deny-listed client IP (ipLists): 403 ip_denied before any other work.
    const gate = enforceIpLists(this.rt, request, { ip: request.peer ?? null });
    if (gate !== undefined) await gate;
    refuseUrlToken(request.url);
    const origin = request.headers.get('origin');
    if (origin === null ? this.options.requireOrigin : !config.allowedOrigins.includes(origin))
      throw authError('origin_forbidden', {
        detail: 'the WebSocket comes from an origin that is not allowed',
      });
    const ip = clientIp(request, request.peer, config.trustedProxies);
    const offered = fromProtocols(request.headers.get('sec-websocket-protocol'));
    const grant = {
      ip,
      headers: request.headers,
      url: request.url,
      peer: request.peer ?? null,
    };
    if (offered.token !== null)
      return { ...grant, identity: await this.verify(grant, offered.token, offered.proof) };
    if (config.sessionCookie !== null && hasCookie(request.headers, config.sessionCookie.name))
      return { ...grant, identity: await this.verify(grant, null, null) };
    if (this.options.authTimeoutMs === 0) throw authError('token_missing');
    // The auth message will need the fingerprint cookie: refuse now without one.
    if (!hasCookie(request.headers, config.cookies.fingerprintName))
      throw authError('token_missing');
    return { ...grant, identity: null };
  }

  /**
   * `authenticate` on the upgrade's headers with `token` as the bearer (`DPoP` with `proof` as
   * its proof for a bound token), or the session cookie when `token` is `null`.
   */
  async verify(
    upgrade: { headers: HeaderReader; url: string; peer: string | null },
    token: string | null,
    proof: string | null,
  ): Promise<AuthIdentity<Claims>> {
    const { headers } = upgrade;
    const authorization =
      token === null ? null : proof === null ? `Bearer ${token}` : `DPoP ${token}`;
    const view: HeaderReader = {
      get: (name) => {
        const n = name.toLowerCase();
        if (n === 'authorization') return authorization;
        if (n === 'dpop') return proof;
        return headers.get(name);
      },
    };
    return (await authenticateRequest(
      this.rt,
      { headers: view, method: 'GET', url: upgrade.url },
      { ip: upgrade.peer },
    )) as AuthIdentity<Claims>;
  }

  /** Count a socket in; `false` (nothing counted) when a limit is reached. */
  register(s: SocketState<Claims>, identity: AuthIdentity<Claims>): boolean {
    const o = this.options;
    const t = s as unknown as SocketState<never>;
    if (
      (this.bySession.get(identity.sessionId)?.size ?? 0) >= o.maxPerSession ||
      (this.byAddress.get(identity.address)?.size ?? 0) >= o.maxPerAddress ||
      (s.ip !== null && (this.byIp.get(s.ip)?.size ?? 0) >= o.maxPerIp)
    )
      return false;
    this.pending.delete(t);
    inc(this.bySession, identity.sessionId, t);
    inc(this.byAddress, identity.address, t);
    if (s.ip !== null) inc(this.byIp, s.ip, t);
    s.admit(identity);
    this.startTimers();
    return true;
  }

  /** Count a socket waiting for its auth message (the IP limit applies to it). */
  registerPending(s: SocketState<Claims>): boolean {
    const t = s as unknown as SocketState<never>;
    if (s.ip !== null && (this.byIp.get(s.ip)?.size ?? 0) >= this.options.maxPerIp) return false;
    this.pending.add(t);
    if (s.ip !== null) inc(this.byIp, s.ip, t);
    s.waitForAuth(this.options.authTimeoutMs);
    this.startTimers();
    return true;
  }

  unregister(s: SocketState<Claims>): void {
    const t = s as unknown as SocketState<never>;
    this.pending.delete(t);
    if (s.ip !== null) dec(this.byIp, s.ip, t);
    if (s.identity !== undefined) {
      dec(this.bySession, s.identity.sessionId, t);
      dec(this.byAddress, s.identity.address, t);
    }
    if (this.bySession.size === 0 && this.pending.size === 0) this.stopTimers();
  }

  judge(
    s: SocketState<Claims>,
    session: Awaited<ReturnType<typeof getSessionForAuth>>,
    now: number,
    activity = true,
  ): boolean {
    if (
      isLive(session, now) &&
      session.address === s.identity.address &&
      session.fingerprintHash === s.identity.claims.fgp
    ) {
      // A message is activity (sessionPolicy.idleTimeoutSeconds), written at most once per
      // interval as for requests; a failed write is the next check's business.
      if (activity) recordActivity(this.rt, session, now)?.catch(() => {});
      return true;
    }
    s.end(WS_CLOSE.forbidden, 'session revoked');
    return false;
  }

  /** `{"type":"auth","token":"…"}`: first authentication of a pending socket, or renewal. */
  async onAuthMessage(s: SocketState<Claims>, text: string): Promise<void> {
    if (s.status === 'closed') return;
    let token: unknown;
    let proof: unknown;
    try {
      ({ token, proof } = JSON.parse(text) as { token?: unknown; proof?: unknown });
    } catch {
      token = undefined;
    }
    if (
      typeof token !== 'string' ||
      token.length === 0 ||
      token.length > 8192 ||
      (proof !== undefined && (typeof proof !== 'string' || proof.length > 8192))
    ) {
      s.end(WS_CLOSE.tokenExpired, 'invalid auth message');
      return;
    }
    let identity: AuthIdentity<Claims>;
    try {
      identity = await this.verify(
        { headers: s.headers, ...s.upgrade },
        token,
        typeof proof === 'string' ? proof : null,
      );
    } catch (err) {
      if (s.isClosed()) return;
      if (err instanceof EvrmoreAuthError && err.code === 'unavailable')
        s.end(WS_CLOSE.unavailable, 'unavailable');
      else if (err instanceof EvrmoreAuthError && err.code === 'token_revoked')
        s.end(WS_CLOSE.forbidden, 'session revoked');
      else s.end(WS_CLOSE.tokenExpired, 'token refused');
      return;
    }
    if (s.isClosed()) return;
    if (s.status === 'pending') {
      if (!this.register(s, identity)) {
        s.end(WS_CLOSE.limit, 'connection limit');
        return;
      }
      s.send(JSON.stringify({ type: 'auth.ok', exp: identity.claims.exp }));
      s.opened?.();
      return;
    } else if (identity.sessionId !== s.identity.sessionId) {
      s.end(WS_CLOSE.forbidden, 'another session');
      return;
    } else s.setIdentity(identity);
    s.send(JSON.stringify({ type: 'auth.ok', exp: identity.claims.exp }));
  }

  /** A revocation seen (this instance, pub/sub): close the sockets it ends. */
  revoked(n: RevocationNotice): void {
    const targets: SocketState<never>[] = [];
    if ('sid' in n) targets.push(...(this.bySession.get(n.sid) ?? []));
    else
      for (const s of this.byAddress.get(n.address) ?? [])
        if (s.identity.sessionId !== n.exceptId) targets.push(s);
    for (const s of targets) s.end(WS_CLOSE.forbidden, 'session revoked');
  }

  private startTimers(): void {
    const { heartbeatIntervalMs, revocationPollMs } = this.options;
    if (this.heartbeat === undefined && heartbeatIntervalMs > 0) {
      this.heartbeat = setInterval(() => this.beat(), heartbeatIntervalMs);
      this.heartbeat.unref?.();
    }
    if (this.poll === undefined && revocationPollMs > 0) {
      this.poll = setInterval(() => void this.pollSessions(), revocationPollMs);
      this.poll.unref?.();
    }
  }

  private stopTimers(): void {
    clearInterval(this.heartbeat);
    clearInterval(this.poll);
    this.heartbeat = this.poll = undefined;
  }

  private beat(): void {
    for (const set of [...this.bySession.values(), this.pending])
      for (const s of [...set]) {
        if (s.transport.ping === undefined) continue;
        if (!s.alive) {
          s.end(WS_CLOSE.timeout, 'heartbeat lost');
          continue;
        }
        s.alive = false;
        try {
          s.transport.ping();
        } catch {
          s.end(WS_CLOSE.timeout, 'heartbeat lost');
        }
      }
  }

  /** Read each open session once; close the sockets of those no longer live, and expired tokens. */
  async pollSessions(): Promise<void> {
    const now = this.rt.config.now();
    await Promise.all(
      [...this.bySession.keys()].map(async (sid) => {
        let session;
        try {
          session = await this.rt.store.getSession(sid);
        } catch {
          return; // an outage: the next message fails closed; the next poll tries again
        }
        for (const s of [...(this.bySession.get(sid) ?? [])]) {
          if (now >= s.expiresAt) s.end(WS_CLOSE.tokenExpired, 'token expired');
          else this.judge(s as unknown as SocketState<Claims>, session, now, false);
        }
      }),
    );
  }

  async close(): Promise<void> {
    for (const set of [...this.bySession.values(), this.pending])
      for (const s of [...set]) s.end(1001, 'going away');
    this.stopTimers();
    this.stopLocal();
    const sub = this.subscriber;
    this.subscriber = null;
    if (sub !== null) await sub.quit().catch(() => sub.disconnect());
  }
}

/** Refuse an access token in the URL (it ends up in logs): `?access_token=`, a JWT anywhere. */
function refuseUrlToken(url: string): void {
  const q = url.indexOf('?');
  if (q < 0) return;
  const query = url.slice(q + 1);
  let bad = JWT_LIKE.test(query);
  if (!bad)
    for (const key of new URLSearchParams(query).keys())
      if (URL_TOKEN_PARAMS.has(key.toLowerCase())) bad = true;
  if (bad)
    throw authError('token_invalid', {
      detail: 'an access token in the URL is refused: send it in Sec-WebSocket-Protocol',
    });
}

/** The token (`evrmore-auth.token.<jwt>`) and DPoP proof (`evrmore-auth.dpop.<jwt>`) offered. */
function fromProtocols(header: string | null): { token: string | null; proof: string | null } {
  let token: string | null = null;
  let proof: string | null = null;
  if (header === null) return { token, proof };
  for (const p of header.split(',')) {
    const name = p.trim();
    if (name.startsWith(WS_TOKEN_PROTOCOL_PREFIX))
      token = name.slice(WS_TOKEN_PROTOCOL_PREFIX.length) || null;
    else if (name.startsWith(WS_DPOP_PROTOCOL_PREFIX))
      proof = name.slice(WS_DPOP_PROTOCOL_PREFIX.length) || null;
  }
  return { token, proof };
}

function hasCookie(headers: HeaderReader, name: string): boolean {
  const cookie = headers.get('cookie');
  if (cookie === null) return false;
  for (const part of cookie.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name && part.slice(eq + 1).trim() !== '')
      return true;
  }
  return false;
}

/**
 * The runtime behind an auth instance (bindings use it).
 * @internal
 */
export function runtimeOf(auth: EvrmoreAuth): AuthRuntime {
  return internalsOf(auth).runtime;
}
