// `@evrmore-auth/client/ws`: a WebSocket authenticated with the client's access token (in the
// `Sec-WebSocket-Protocol` header, never the URL) whose token is renewed on the open socket each
// time the client refreshes, and which is closed when the client signs out. Its own entry point:
// the core bundle does not grow. Server side: `@evrmore-auth/server/ws`; PROTOCOL.md §12.
import type { AuthClient } from './client.js';

/** The subprotocol the server selects. */
const PROTOCOL = 'evrmore-auth';
/** The subprotocol that carries the token. */
const TOKEN_PROTOCOL_PREFIX = 'evrmore-auth.token.';
/** The subprotocol that carries the DPoP proof of a bound token. */
const DPOP_PROTOCOL_PREFIX = 'evrmore-auth.dpop.';

/**
 * Options of {@link authWebSocket}.
 *
 * @example
 * ```ts
 * const options: AuthWebSocketOptions = { protocols: ['chat.v1'] };
 * ```
 */
export interface AuthWebSocketOptions {
  /** More subprotocols to offer after `evrmore-auth` (the server selects `evrmore-auth`). */
  protocols?: string[];
  /**
   * The WebSocket constructor (Node before 22: the `ws` package's `WebSocket`).
   * @default globalThis.WebSocket
   */
  WebSocket?: WebSocketConstructor;
  /**
   * The client's DPoP key (the `dpop` passed to `createAuthClient`), needed when its tokens are
   * DPoP-bound: each token is sent with a proof for `GET` and the socket's URL (as http(s)).
   * @default none (a bound token is then refused by the server)
   */
  dpop?: WsDpopKey;
}

/**
 * What {@link authWebSocket} needs of a DPoP key: a `DpopKey` of `@evrmore-auth/client/dpop`.
 *
 * @example
 * ```ts
 * import { browserDpopKey } from '@evrmore-auth/client/dpop';
 * const key: WsDpopKey = browserDpopKey();
 * ```
 */
export interface WsDpopKey {
  /** A DPoP proof for `htm` and `htu`, with `ath` for `accessToken`. */
  proof(htm: string, htu: string, options?: { accessToken?: string }): Promise<string>;
}

/**
 * A WebSocket constructor: the browser's, Node 22's global, or the `ws` package's.
 *
 * @example
 * ```ts
 * import { WebSocket } from 'ws';
 * const Ctor = WebSocket as unknown as WebSocketConstructor;
 * ```
 */
export type WebSocketConstructor = {
  /** Open a socket to `url` offering `protocols`. */
  new (url: string | URL, protocols?: string | string[]): WebSocket;
};

/**
 * Whether a message is the server's own (`{"type":"auth.ok",…}`, the answer to a renewal), which
 * the application can skip.
 *
 * @example
 * ```ts
 * socket.addEventListener('message', (e) => { if (!isAuthControlMessage(e.data)) show(e.data); });
 * ```
 */
export function isAuthControlMessage(data: unknown): boolean {
  return typeof data === 'string' && data.startsWith('{"type":"auth.');
}

/**
 * Open a WebSocket authenticated with `auth`'s access token (a fresh one: the client refreshes
 * first when it is about to expire). While it is open, every new token the client gets (its
 * refreshes, in any tab) is sent on it as `{"type":"auth","token":"…"}`, so the server keeps it
 * open past the first token's expiry; when the client signs out the socket is closed (1000).
 * Rejects with a TypeError when signed out. The server closes it with 4401 (token expired),
 * 4403 (session revoked), 4408 (heartbeat lost) or 4429 (too many sockets).
 *
 * @example
 * ```ts
 * import { authWebSocket, isAuthControlMessage } from '@evrmore-auth/client/ws';
 * const socket = await authWebSocket(auth, 'wss://api.example.com/feed');
 * socket.addEventListener('message', (e) => { if (!isAuthControlMessage(e.data)) render(e.data); });
 * socket.addEventListener('close', (e) => console.log('feed closed', e.code));
 * ```
 */
export async function authWebSocket(
  auth: AuthClient,
  url: string | URL,
  options: AuthWebSocketOptions = {},
): Promise<WebSocket> {
  if (typeof auth?.getAccessToken !== 'function' || typeof auth.subscribe !== 'function')
    throw new TypeError('authWebSocket: auth must be an AuthClient');
  const Ctor = options.WebSocket ?? globalThis.WebSocket;
  if (typeof Ctor !== 'function')
    throw new TypeError('authWebSocket: no WebSocket here: pass options.WebSocket');
  let token = await auth.getAccessToken();
  if (token === null) throw new TypeError('authWebSocket: signed out');
  // A DPoP proof's htu is the HTTP form of the socket's URL (RFC 9449 §4.2: no query).
  const htu = new URL(url);
  htu.protocol =
    htu.protocol === 'wss:' ? 'https:' : htu.protocol === 'ws:' ? 'http:' : htu.protocol;
  htu.search = '';
  htu.hash = '';
  const proofFor = async (accessToken: string): Promise<string | null> =>
    options.dpop !== undefined && auth.getState().tokenType === 'DPoP'
      ? options.dpop.proof('GET', htu.href, { accessToken })
      : null;
  const proof = await proofFor(token);
  const socket = new Ctor(url, [
    PROTOCOL,
    `${TOKEN_PROTOCOL_PREFIX}${token}`,
    ...(proof === null ? [] : [`${DPOP_PROTOCOL_PREFIX}${proof}`]),
    ...(options.protocols ?? []),
  ]);
  /** Send the client's current token when it differs from the socket's. */
  const renew = async (): Promise<void> => {
    const next = await auth.getAccessToken();
    if (next === null || next === token || socket.readyState !== 1) return;
    token = next;
    const nextProof = await proofFor(next);
    socket.send(
      JSON.stringify(
        nextProof === null
          ? { type: 'auth', token: next }
          : { type: 'auth', token: next, proof: nextProof },
      ),
    );
  };
  let expiresAt = auth.getState().expiresAt;
  const unsubscribe = auth.subscribe((state) => {
    if (state.status === 'signed-out') {
      socket.close(1000, 'signed out');
      return;
    }
    if (state.expiresAt === null || state.expiresAt === expiresAt) return;
    expiresAt = state.expiresAt;
    void renew().catch(() => {});
  });
  socket.addEventListener('close', () => unsubscribe());
  // A refresh while the socket was connecting: renew once it is open.
  socket.addEventListener('open', () => void renew().catch(() => {}));
  return socket;
}
