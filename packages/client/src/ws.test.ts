// authWebSocket against a scripted AuthClient and socket: the token goes in the subprotocols (never
// the URL), each new token is sent on the open socket, sign-out closes it. The server side over
// real sockets: packages/server/src/ws/ws.test.ts and test/client-server/ws.test.ts.
import { describe, expect, it } from 'vitest';
import type { AuthClient } from './client.js';
import type { AuthListener, AuthState } from './state.js';
import { authWebSocket, isAuthControlMessage } from './ws.js';

class FakeSocket extends EventTarget {
  static last: FakeSocket;
  readyState = 0;
  sent: string[] = [];
  closedWith: number | null = null;
  constructor(
    readonly url: string | URL,
    readonly protocols: string[],
  ) {
    super();
    FakeSocket.last = this;
  }
  send(data: string) {
    this.sent.push(data);
  }
  close(code: number) {
    this.closedWith = code;
    this.readyState = 3;
    this.dispatchEvent(new Event('close'));
  }
  open() {
    this.readyState = 1;
    this.dispatchEvent(new Event('open'));
  }
}

function fakeClient(first: string) {
  let token: string | null = first;
  let state = { status: 'signed-in', expiresAt: 1000 } as unknown as AuthState;
  const listeners = new Set<AuthListener>();
  const client = {
    getAccessToken: async () => token,
    getState: () => state,
    subscribe: (l: AuthListener) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
  } as unknown as AuthClient;
  return {
    client,
    listeners,
    emit(next: string | null, expiresAt: number | null, status = 'signed-in') {
      token = next;
      state = { status, expiresAt } as unknown as AuthState;
      for (const l of listeners) l(state);
    },
  };
}

const flush = () => new Promise((r) => setTimeout(r, 0));

describe('authWebSocket', () => {
  it('offers evrmore-auth and the token subprotocol; the URL stays as given', async () => {
    const c = fakeClient('t1');
    await authWebSocket(c.client, 'wss://api.example.com/feed', {
      protocols: ['chat.v1'],
      WebSocket: FakeSocket as never,
    });
    expect(FakeSocket.last.url).toBe('wss://api.example.com/feed');
    expect(FakeSocket.last.protocols).toEqual(['evrmore-auth', 'evrmore-auth.token.t1', 'chat.v1']);
  });

  it('sends each new token on the open socket once; closes on sign-out and stops listening', async () => {
    const c = fakeClient('t1');
    await authWebSocket(c.client, 'ws://x/feed', { WebSocket: FakeSocket as never });
    const s = FakeSocket.last;
    s.open();
    await flush();
    expect(s.sent).toEqual([]); // still the token it connected with
    c.emit('t2', 2000);
    await flush();
    c.emit('t2', 2000); // no change: nothing sent
    await flush();
    expect(s.sent.map((m) => JSON.parse(m) as unknown)).toEqual([{ type: 'auth', token: 't2' }]);
    c.emit(null, null, 'signed-out');
    expect(s.closedWith).toBe(1000);
    expect(c.listeners.size).toBe(0);
  });

  it('renews on open when the client refreshed while the socket was connecting', async () => {
    const c = fakeClient('t1');
    await authWebSocket(c.client, 'ws://x/feed', { WebSocket: FakeSocket as never });
    const s = FakeSocket.last;
    c.emit('t2', 2000);
    await flush();
    expect(s.sent).toEqual([]); // not open yet
    s.open();
    await flush();
    expect(s.sent).toEqual(['{"type":"auth","token":"t2"}']);
  });

  it('sends a DPoP proof for GET and the http(s) URL with a bound token, on connect and renewal', async () => {
    const c = fakeClient('t1');
    const proofs: string[] = [];
    const dpop = {
      proof: async (htm: string, htu: string, o?: { accessToken?: string }) => {
        proofs.push(`${htm} ${htu} ${o?.accessToken}`);
        return `proof${proofs.length}`;
      },
    };
    (c.client.getState() as { tokenType?: string }).tokenType = 'DPoP';
    await authWebSocket(c.client, 'wss://api.example.com/feed?room=1', {
      WebSocket: FakeSocket as never,
      dpop,
    });
    const s = FakeSocket.last;
    expect(s.protocols).toEqual([
      'evrmore-auth',
      'evrmore-auth.token.t1',
      'evrmore-auth.dpop.proof1',
    ]);
    s.open();
    await flush();
    c.emit('t2', 2000);
    (c.client.getState() as { tokenType?: string }).tokenType = 'DPoP';
    await flush();
    expect(proofs).toEqual([
      'GET https://api.example.com/feed t1',
      'GET https://api.example.com/feed t2',
    ]);
    expect(s.sent).toEqual(['{"type":"auth","token":"t2","proof":"proof2"}']);
  });

  it("refuses when signed out; tells the server's auth.ok apart", async () => {
    const c = fakeClient('t1');
    c.emit(null, null, 'signed-out');
    await expect(
      authWebSocket(c.client, 'ws://x', { WebSocket: FakeSocket as never }),
    ).rejects.toThrow('authWebSocket: signed out');
    expect(isAuthControlMessage('{"type":"auth.ok","exp":1}')).toBe(true);
    expect(isAuthControlMessage('{"type":"tick"}')).toBe(false);
    expect(isAuthControlMessage(new ArrayBuffer(2))).toBe(false);
  });
});
