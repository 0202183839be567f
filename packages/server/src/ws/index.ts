// `@evrmore-auth/server/ws`: authenticated WebSockets for Node's `ws` (any Node HTTP server:
// Express, Fastify, Hono on Node, node:http) and for Hono's WebSocket helper (`upgradeWebSocket`
// of @hono/node-ws, Bun, Deno, Workers). `ws` and `hono` are optional peer dependencies: this
// module imports neither at run time (their objects are passed in).
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { EvrmoreAuthError } from '@evrmore-auth/core';
import type { Context, MiddlewareHandler } from 'hono';
import type { WSContext, WSEvents } from 'hono/ws';
import type { ExtraClaims } from '../config.js';
import type { EvrmoreAuth } from '../create-auth.js';
import { authError } from '../errors.js';
import type { HeaderReader } from '../http/request.js';
import { nodeHeaders, requestUrl } from '../adapters/node.js';
import {
  AUTH_MESSAGE_PREFIX,
  runtimeOf,
  SocketCore,
  SocketState,
  WS_PROTOCOL,
  type AuthSocket,
  type SocketTransport,
  type WebSocketAuthOptions,
} from './core.js';

export {
  WS_CLOSE,
  WS_DPOP_PROTOCOL_PREFIX,
  WS_PROTOCOL,
  WS_TOKEN_PROTOCOL_PREFIX,
  type AuthSocket,
  type WebSocketAuthOptions,
} from './core.js';

/**
 * The parts of a `ws` `WebSocket` the helper uses (a structural type: `ws` stays optional).
 *
 * @example
 * ```ts
 * import type { WebSocket } from 'ws';
 * const socket: WsSocketLike = new WebSocket('ws://127.0.0.1:3000/feed');
 * ```
 */
export interface WsSocketLike {
  /** Send a message. */
  send(data: string | Uint8Array | ArrayBuffer): void;
  /** Start the close handshake. */
  close(code?: number, reason?: string): void;
  /** Drop the connection. */
  terminate(): void;
  /** Send a ping frame. */
  ping(): void;
  /** Listen to `message`, `pong` and `close`. */
  on(event: string, listener: (...args: never[]) => void): unknown;
}

/**
 * The part of a `ws` `WebSocketServer` (made with `{ noServer: true }`) the helper uses.
 *
 * @example
 * ```ts
 * import { WebSocketServer } from 'ws';
 * const wss: WsServerLike = new WebSocketServer({ noServer: true, handleProtocols: selectProtocol });
 * ```
 */
export interface WsServerLike {
  /** Complete the upgrade (ws's `handleUpgrade`). */
  handleUpgrade(
    request: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    callback: (ws: WsSocketLike, request: IncomingMessage) => void,
  ): void;
}

/** A `ws` message: a `Buffer`, an `ArrayBuffer` or fragments, as `ws` delivers it. */
export type WsData = Buffer | ArrayBuffer | Buffer[];

/**
 * The application's handlers of authenticated sockets. `onMessage` is called only for messages
 * that passed the token and session check, in order; the auth messages
 * (`{"type":"auth",…}`) are the helper's and never reach it.
 *
 * @example
 * ```ts
 * const handlers: SocketHandlers<WsData> = {
 *   onOpen: (socket) => socket.send('hello ' + socket.identity.address),
 *   onMessage: (socket, data) => socket.send(String(data)),
 * };
 * ```
 */
export interface SocketHandlers<Data, Claims extends ExtraClaims = ExtraClaims> {
  /** The socket is authenticated (at the upgrade, or after its auth message). */
  onOpen?(socket: AuthSocket<Claims>): void;
  /** A message that passed the check. */
  onMessage(socket: AuthSocket<Claims>, data: Data, isBinary: boolean): void;
  /** The socket closed (by either side, or by the helper with a `WS_CLOSE` code). */
  onClose?(socket: AuthSocket<Claims>, code: number, reason: string): void;
}

/**
 * Options of {@link WebSocketAuth.upgrade}.
 *
 * @example
 * ```ts
 * server.on('upgrade', sockets.upgrade(wss, handlers, { path: '/feed' }));
 * ```
 */
export interface WsUpgradeOptions {
  /**
   * Only upgrades to this path (the URL without its query) are handled; others are left to the
   * server's other `upgrade` listeners.
   * @default every path
   */
  path?: string;
}

/**
 * Options of {@link WebSocketAuth.hono}.
 *
 * @example
 * ```ts
 * app.get('/feed', sockets.hono(upgradeWebSocket, handlers, { getIp: (c) => c.req.header('cf-connecting-ip') ?? null }));
 * ```
 */
export interface HonoSocketOptions {
  /**
   * The TCP peer address (the auth's `trustedProxies` apply to it).
   * @default `c.env.incoming.socket.remoteAddress` under `@hono/node-server`, else `null`
   */
  getIp?: (c: Context) => string | null | undefined;
}

/**
 * Hono's `upgradeWebSocket` (from `@hono/node-ws`'s `createNodeWebSocket`, `hono/bun`,
 * `hono/deno`, `hono/cloudflare-workers`).
 *
 * @example
 * ```ts
 * const { upgradeWebSocket, injectWebSocket } = createNodeWebSocket({ app });
 * const upgrade: HonoUpgradeWebSocket = upgradeWebSocket;
 * ```
 */
export type HonoUpgradeWebSocket = (
  createEvents: (c: Context) => WSEvents | Promise<WSEvents>,
) => MiddlewareHandler;

/**
 * Authenticated WebSockets of one auth instance (see {@link createWebSocketAuth}).
 *
 * @example
 * ```ts
 * const sockets = createWebSocketAuth(auth);
 * sockets.size; // authenticated sockets open on this instance
 * ```
 */
export interface WebSocketAuth<Claims extends ExtraClaims = ExtraClaims> {
  /**
   * A Node `upgrade` listener for a `ws` `WebSocketServer({ noServer: true })`: the upgrade is
   * checked first (refused with an HTTP problem reply: 401 without or with a bad token or
   * fingerprint cookie, or a token in the URL; 403 for an Origin not in `allowedOrigins`; 429
   * over a connection limit; 503 when the store is down), then completed.
   */
  upgrade(
    wss: WsServerLike,
    handlers: SocketHandlers<WsData, Claims>,
    options?: WsUpgradeOptions,
  ): (request: IncomingMessage, socket: Duplex, head: Buffer) => void;
  /**
   * Hono middleware for a WebSocket route: the same checks (a refused upgrade gets the problem
   * reply), then Hono's `upgradeWebSocket` with the checked handlers. The heartbeat needs the
   * runtime's socket to have `ping` (`@hono/node-ws`: the `ws` socket); elsewhere it is skipped.
   */
  hono(
    upgradeWebSocket: HonoUpgradeWebSocket,
    handlers: SocketHandlers<string | ArrayBuffer | Blob, Claims>,
    options?: HonoSocketOptions,
  ): MiddlewareHandler;
  /** Authenticated sockets open on this instance. */
  readonly size: number;
  /**
   * Resolves once the revocation subscription is in place (Redis store: pub/sub on its
   * `revocationChannel`; at most 5 s while Redis cannot be reached, the subscription then follows
   * the connection); at once for other stores. Await it at start-up.
   */
  ready(): Promise<void>;
  /** Close every socket (1001), stop the timers and the Redis subscription. */
  close(): Promise<void>;
}

/**
 * For a `ws` `WebSocketServer`'s `handleProtocols`: select `evrmore-auth` (never echo the token
 * or proof subprotocols), else the first other protocol offered.
 *
 * @example
 * ```ts
 * const wss = new WebSocketServer({ noServer: true, handleProtocols: selectProtocol });
 * ```
 */
export function selectProtocol(protocols: Set<string>): string | false {
  if (protocols.has(WS_PROTOCOL)) return WS_PROTOCOL;
  for (const p of protocols) if (!p.startsWith(`${WS_PROTOCOL}.`)) return p;
  return false;
}

/**
 * Authenticated WebSockets for `auth`: the upgrade carries the fingerprint cookie and the access
 * token, in the `Sec-WebSocket-Protocol` header (`["evrmore-auth", "evrmore-auth.token.<jwt>"]`;
 * the server selects `evrmore-auth`) or as the first message `{"type":"auth","token":"…"}`, or
 * (cookie mode) the session cookie; never in the URL. Every message is re-checked (token expiry,
 * session live) before it reaches the application; the socket is closed with a documented code
 * on expiry (4401), revocation on any instance (4403), heartbeat loss or auth timeout (4408).
 * A new token for the same session is accepted as `{"type":"auth","token":"…"}` (renewal).
 *
 * @example
 * ```ts
 * import { WebSocketServer } from 'ws';
 * import { createWebSocketAuth, selectProtocol } from '@evrmore-auth/server/ws';
 *
 * const sockets = createWebSocketAuth(auth);
 * const wss = new WebSocketServer({ noServer: true, handleProtocols: selectProtocol });
 * server.on('upgrade', sockets.upgrade(wss, {
 *   onMessage: (socket, data) => socket.send(`${socket.identity.address} said ${String(data)}`),
 * }, { path: '/feed' }));
 * ```
 */
export function createWebSocketAuth<Claims extends ExtraClaims = ExtraClaims>(
  auth: EvrmoreAuth<Claims>,
  options: WebSocketAuthOptions = {},
): WebSocketAuth<Claims> {
  const core = new SocketCore<Claims>(runtimeOf(auth as unknown as EvrmoreAuth), options);

  /** Check the upgrade and count the socket in; throws the refusal. */
  async function admit(request: {
    url: string;
    headers: HeaderReader;
    peer: string | null | undefined;
  }): Promise<SocketState<Claims>> {
    const grant = await core.authorize(request);
    const state = new SocketState<Claims>(core, grant.ip, grant.headers, {
      url: grant.url,
      peer: grant.peer,
    });
    const ok =
      grant.identity === null
        ? core.registerPending(state)
        : core.register(state, grant.identity as never);
    if (!ok) throw authError('rate_limited', { detail: 'too many WebSockets', retryAfter: 60 });
    return state;
  }

  return {
    upgrade(wss, handlers, upgradeOptions = {}) {
      return (request, socket, head) => {
        const url = request.url ?? '/';
        if (upgradeOptions.path !== undefined && url.split('?')[0] !== upgradeOptions.path) return;
        void (async () => {
          let state: SocketState<Claims>;
          try {
            const headers = nodeHeaders(request);
            const tls = (request.socket as { encrypted?: boolean }).encrypted === true;
            state = await admit({
              url: requestUrl(tls ? 'https' : 'http', headers.get('host') ?? undefined, url),
              headers,
              peer: request.socket.remoteAddress,
            });
          } catch (err) {
            refuseUpgrade(auth, socket, err);
            return;
          }
          let bound = false;
          socket.once('close', () => {
            if (!bound) state.closed();
          });
          wss.handleUpgrade(request, socket, head, (ws) => {
            bound = true;
            state.transport = {
              send: (d) => ws.send(d),
              close: (c, r) => ws.close(c, r),
              terminate: () => ws.terminate(),
              ping: () => ws.ping(),
              raw: ws,
            };
            ws.on('pong', () => {
              state.alive = true;
            });
            ws.on('message', ((data: WsData, isBinary: boolean) => {
              state.receive(isBinary ? null : authText(data), () =>
                handlers.onMessage(state, data, isBinary),
              );
            }) as (...args: never[]) => void);
            ws.on('close', ((code: number, reason: Buffer) => {
              state.closed();
              handlers.onClose?.(state, code, reason.toString());
            }) as (...args: never[]) => void);
            if (state.status === 'closed') ws.close(state.closedWith.code, state.closedWith.reason);
            else if (state.status === 'open') handlers.onOpen?.(state);
            else state.opened = () => handlers.onOpen?.(state);
          });
        })();
      };
    },

    hono(upgradeWebSocket, handlers, honoOptions = {}) {
      return async (c, next) => {
        if (c.req.header('upgrade')?.toLowerCase() !== 'websocket') return next();
        let state: SocketState<Claims>;
        try {
          // The URL as the client addressed it (its Host), not the runtime's base URL.
          const url = new URL(c.req.url);
          const host = c.req.header('host');
          state = await admit({
            url:
              host === undefined
                ? url.href
                : requestUrl(url.protocol.slice(0, -1), host, url.pathname + url.search),
            headers: c.req.raw.headers,
            peer: honoOptions.getIp ? honoOptions.getIp(c) : nodeSocketIp(c),
          });
        } catch (err) {
          return auth.errorResponse(err);
        }
        // An upgrade answered but never opened (the client went away): give its slot back.
        const unopened = setTimeout(() => {
          if (!opened) state.closed();
        }, 10_000);
        unopened.unref?.();
        let opened = false;
        const events: WSEvents = {
          onOpen(_event, ws: WSContext) {
            opened = true;
            clearTimeout(unopened);
            const raw = ws.raw as Partial<WsSocketLike> | undefined;
            const canPing = typeof raw?.ping === 'function' && typeof raw.on === 'function';
            const transport: SocketTransport = {
              send: (d) => ws.send(d as string | ArrayBuffer | Uint8Array<ArrayBuffer>),
              close: (code, reason) => ws.close(code, reason),
              terminate: typeof raw?.terminate === 'function' ? () => raw.terminate!() : undefined,
              ping: canPing ? () => raw.ping!() : undefined,
              raw: ws,
            };
            state.transport = transport;
            if (canPing)
              raw.on!('pong', () => {
                state.alive = true;
              });
            if (state.status === 'closed') ws.close(state.closedWith.code, state.closedWith.reason);
            else if (state.status === 'open') handlers.onOpen?.(state);
            else state.opened = () => handlers.onOpen?.(state);
          },
          onMessage(event) {
            const data = event.data as string | ArrayBuffer | Blob;
            const text =
              typeof data === 'string' && data.startsWith(AUTH_MESSAGE_PREFIX) ? data : null;
            state.receive(text, () => handlers.onMessage(state, data, typeof data !== 'string'));
          },
          onClose(event) {
            state.closed();
            handlers.onClose?.(state, event.code, event.reason);
          },
        };
        return upgradeWebSocket(() => events)(c, next);
      };
    },

    get size() {
      return core.size;
    },
    ready: () => core.subscribed,
    close: () => core.close(),
  };
}

/** The text of a text frame that begins like an auth message, else `null` (no copy otherwise). */
function authText(data: WsData): string | null {
  const first = Array.isArray(data) ? data[0] : data;
  if (first === undefined) return null;
  const bytes = first instanceof ArrayBuffer ? new Uint8Array(first) : first;
  if (bytes.length < AUTH_MESSAGE_PREFIX.length || bytes[0] !== 0x7b) return null;
  const text = Array.isArray(data)
    ? Buffer.concat(data).toString('utf8')
    : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
  return text.startsWith(AUTH_MESSAGE_PREFIX) ? text : null;
}

function nodeSocketIp(c: Context): string | null {
  const env = c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined;
  return env?.incoming?.socket?.remoteAddress ?? null;
}

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

/** The refusal as an HTTP problem reply on the raw socket (before any upgrade). */
function refuseUpgrade(auth: EvrmoreAuth, socket: Duplex, err: unknown): void {
  if (!(err instanceof EvrmoreAuthError)) console.error('evrmore-auth ws: upgrade failed', err);
  const response = auth.errorResponse(err);
  void response.text().then((body) => {
    const lines = [`HTTP/1.1 ${response.status} ${STATUS_TEXT[response.status] ?? 'Refused'}`];
    response.headers.forEach((value, name) => {
      if (name !== 'set-cookie') lines.push(`${name}: ${value}`);
    });
    lines.push(`content-length: ${Buffer.byteLength(body)}`, 'connection: close', '', '');
    if (socket.writable) socket.end(lines.join('\r\n') + body);
    else socket.destroy();
  });
}
