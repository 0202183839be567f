// @evrmore-auth/client/ws against the real server and @evrmore-auth/server/ws over loopback: the
// socket opens with the client's token, survives the first token's expiry because the client's
// refresh renews it on the socket, and ends when the client signs out.
import type { AddressInfo } from 'node:net';
import { once } from 'node:events';
import type { Server } from 'node:http';
import { serve } from '@hono/node-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket as NodeWebSocket, WebSocketServer } from 'ws';
import { createAuthClient } from '@evrmore-auth/client';
import { localKeySigner } from '@evrmore-auth/client/local-key';
import { authWebSocket, isAuthControlMessage } from '@evrmore-auth/client/ws';
import { createEvrmoreAuth } from '@evrmore-auth/server';
import { createWebSocketAuth, selectProtocol, type WebSocketAuth } from '@evrmore-auth/server/ws';
import { createCookieJar } from './cookie-jar.js';

let origin: string;
let auth: ReturnType<typeof createEvrmoreAuth>;
let skewMs = 0;
let sockets: WebSocketAuth;
let server: Server;
const received: string[] = [];

beforeAll(async () => {
  server = serve({
    hostname: '127.0.0.1',
    port: 0,
    fetch: (r: Request) => auth.handler(r),
  }) as Server;
  if (!server.listening) await once(server, 'listening');
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  auth = createEvrmoreAuth({
    domain: new URL(origin).host,
    uri: origin,
    production: false,
    now: () => Date.now() + skewMs,
    logger: { warn: () => {}, info: () => {}, error: () => {}, debug: () => {} } as never,
  });
  sockets = createWebSocketAuth(auth, { heartbeatIntervalMs: 0, revocationPollMs: 0 });
  const wss = new WebSocketServer({ noServer: true, handleProtocols: selectProtocol });
  server.on(
    'upgrade',
    sockets.upgrade(wss, {
      onOpen: (s) => s.send('hello'),
      onMessage: (s, data) => {
        received.push(String(data));
        s.send(`echo:${String(data)}`);
      },
    }),
  );
});
afterAll(async () => {
  await sockets?.close();
  server?.closeAllConnections();
  await new Promise<void>((r) => server?.close(() => r()));
});

describe('authWebSocket ↔ the server helper', () => {
  it('renews the socket on the client refresh (past the first token expiry); closes on sign-out', async () => {
    const jar = createCookieJar(() => Date.now() + skewMs);
    const client = createAuthClient({
      baseUrl: `${origin}/auth`,
      signer: localKeySigner({ privateKey: '43'.repeat(32) }),
      fetch: jar.fetch,
      restore: false,
      tabSync: false,
    });
    await client.signIn();
    // Node's WebSocket has no cookie store: send the jar's cookies, as a browser would.
    class CookieSocket extends NodeWebSocket {
      constructor(url: string | URL, protocols?: string | string[]) {
        const cookie = jar
          .cookies()
          .map((c) => `${c.name}=${c.value}`)
          .join('; ');
        super(url, protocols, { headers: { cookie } });
      }
    }
    const socket = await authWebSocket(client, origin.replace('http:', 'ws:') + '/feed', {
      WebSocket: CookieSocket as never,
    });
    const messages: string[] = [];
    const waiters: Array<() => void> = [];
    socket.addEventListener('message', (e: MessageEvent) => {
      messages.push(String(e.data));
      waiters.splice(0).forEach((w) => w());
    });
    const waitFor = async (pred: (m: string) => boolean): Promise<string> => {
      for (;;) {
        const hit = messages.find(pred);
        if (hit !== undefined) return hit;
        await new Promise<void>((r) => waiters.push(r));
      }
    };
    await waitFor((m) => m === 'hello');
    expect(socket.protocol).toBe('evrmore-auth');

    skewMs = 600_000; // 10 min later: the client refreshes, the new token goes over the socket
    await client.refresh();
    const ok = await waitFor((m) => m.startsWith('{"type":"auth.ok"'));
    expect(isAuthControlMessage(ok)).toBe(true);
    skewMs = 1_000_000; // past the first token's expiry (900 s + 30 s), within the renewed one's
    socket.send('after renewal');
    await waitFor((m) => m === 'echo:after renewal');
    expect(received).toEqual(['after renewal']);

    const closed = new Promise<number>((r) =>
      socket.addEventListener('close', (e: CloseEvent) => r(e.code)),
    );
    await client.signOut();
    expect([1000, 4403]).toContain(await closed);
    expect(sockets.size).toBe(0);
    client.destroy();
  });
});
