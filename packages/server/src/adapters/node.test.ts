// The Node plumbing of the Express, Fastify and Hono adapters, on real IncomingMessages from a
// loopback server: header lookup semantics and the bounded, byte-exact body read.
import { createServer, request as httpRequest, type IncomingMessage } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { EvrmoreAuthError, toProblem } from '@evrmore-auth/core';
import { afterEach, describe, expect, it } from 'vitest';
import { MAX_BODY_BYTES } from '../http/body.js';
import { fromNodeRequest, nodeHeaders } from './node.js';

type Probe = (req: IncomingMessage) => Promise<unknown>;
const servers: Array<ReturnType<typeof createServer>> = [];

afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise<void>((r) => s.close(() => r()));
  }
});

/** Send one raw HTTP/1.1 request; resolve with what `probe` made of the server's IncomingMessage. */
async function probeWith(
  probe: Probe,
  send: (port: number) => void,
): Promise<{ value?: unknown; error?: unknown }> {
  let settle!: (v: { value?: unknown; error?: unknown }) => void;
  const result = new Promise<{ value?: unknown; error?: unknown }>((r) => (settle = r));
  const server = createServer((req, res) => {
    res.on('error', () => undefined);
    // As in the adapters: the reply is written once the body was read (or refused).
    probe(req)
      .then(
        (value) => settle({ value }),
        (error: unknown) => settle({ error }),
      )
      .finally(() => res.end());
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  send((server.address() as AddressInfo).port);
  return result;
}

function post(port: number, headers: Record<string, string | string[]>, body: string | Buffer) {
  const req = httpRequest({ port, host: '127.0.0.1', method: 'POST', path: '/auth/x', headers });
  req.on('error', () => undefined);
  req.end(body);
}

describe('nodeHeaders', () => {
  it('looks up case-insensitively, joins repeats like fetch Headers, hides hop-by-hop headers', async () => {
    const { value } = await probeWith(
      async (req) => {
        const h = nodeHeaders(req);
        return {
          auth: h.get('Authorization'),
          accept: h.get('accept'),
          missing: h.get('x-missing'),
          connection: h.get('connection'),
        };
      },
      (port) =>
        post(
          port,
          {
            AUTHORIZATION: 'Bearer a',
            Accept: ['text/plain', 'application/json'],
            connection: 'keep-alive',
          },
          '',
        ),
    );
    expect(value).toEqual({
      auth: 'Bearer a',
      accept: 'text/plain, application/json',
      missing: null,
      connection: null,
    });
  });

  it('joins a repeated authorization header (so a bearer check refuses it), as fetch does', async () => {
    const { value } = await probeWith(
      async (req) => nodeHeaders(req).get('authorization'),
      (port) => post(port, { authorization: ['Bearer a', 'Bearer b'] }, ''),
    );
    expect(value).toBe('Bearer a, Bearer b');
  });

  it('joins repeated cookie headers with "; " (as fetch Headers does), so every cookie is found', async () => {
    const { value } = await probeWith(
      async (req) => nodeHeaders(req).get('cookie'),
      // Two cookie lines on the wire (Node's own client would join them before sending).
      (port) => {
        const socket = connect(port, '127.0.0.1', () =>
          socket.end(
            'GET /auth/x HTTP/1.1\r\nHost: a\r\nCookie: a=1\r\nCookie: __Host-evrmore-fgp=f\r\n\r\n',
          ),
        );
        socket.on('error', () => undefined);
      },
    );
    expect(value).toBe('a=1; __Host-evrmore-fgp=f');
    expect(
      new Headers([
        ['cookie', 'a=1'],
        ['cookie', '__Host-evrmore-fgp=f'],
      ]).get('cookie'),
    ).toBe(value);
  });
});

describe('fromNodeRequest', () => {
  const read: Probe = (req) =>
    fromNodeRequest(req, 'http://127.0.0.1/auth/x')
      .readBody()
      .then((b) => Buffer.from(b).toString('utf8'));

  it('reads the body byte for byte, once', async () => {
    const body = JSON.stringify({ message: 'é\n'.repeat(100) });
    const { value } = await probeWith(
      async (req) => {
        const r = fromNodeRequest(req, 'http://127.0.0.1/auth/x');
        const [a, b] = await Promise.all([r.readBody(), r.readBody()]);
        return [Buffer.from(a).toString('utf8'), a === b];
      },
      (port) => post(port, { 'content-type': 'application/json' }, body),
    );
    expect(value).toEqual([body, true]);
  });

  it('refuses more than MAX_BODY_BYTES counted while reading, whatever content-length says', async () => {
    const big = Buffer.alloc(MAX_BODY_BYTES + 1, 0x61);
    const { error } = await probeWith(read, (port) => {
      // Chunked: no content-length to trust.
      const req = httpRequest({ port, host: '127.0.0.1', method: 'POST', path: '/' });
      req.on('error', () => undefined);
      req.write(big.subarray(0, 10_000));
      req.end(big.subarray(10_000));
    });
    expect(error).toBeInstanceOf(EvrmoreAuthError);
    expect((error as EvrmoreAuthError).code).toBe('payload_too_large');
  });

  it('accepts exactly MAX_BODY_BYTES', async () => {
    const { value } = await probeWith(read, (port) =>
      post(port, {}, Buffer.alloc(MAX_BODY_BYTES, 0x62)),
    );
    expect((value as string).length).toBe(MAX_BODY_BYTES);
  });

  /** A client that announces 1000 bytes and sends 10. */
  function startBody(port: number): ReturnType<typeof httpRequest> {
    const req = httpRequest({
      port,
      host: '127.0.0.1',
      method: 'POST',
      path: '/',
      headers: { 'content-length': '1000' },
    });
    req.on('error', () => undefined);
    req.write('x'.repeat(10));
    return req;
  }

  /** …and then goes away (FIN, or RST with `reset`). */
  const goAwayMidBody =
    (how: 'close' | 'reset' = 'close') =>
    (port: number): void => {
      const req = startBody(port);
      setTimeout(() => {
        if (how === 'reset') req.socket?.resetAndDestroy();
        else req.destroy();
      }, 20);
    };

  function expectUnreadable(error: unknown): void {
    expect(error).toBeInstanceOf(EvrmoreAuthError);
    expect((error as EvrmoreAuthError).code).toBe('invalid_request');
    expect((error as EvrmoreAuthError).detail).toBe('the request body could not be read');
  }

  it.each(['close', 'reset'] as const)(
    'rejects with invalid_request (never hangs) when the client goes away mid-body (%s)',
    async (how) => {
      const { error } = await probeWith(read, goAwayMidBody(how));
      expectUnreadable(error);
    },
  );

  it('rejects at once (never hangs) when the client went away before the read began', async () => {
    const { error } = await probeWith(async (req) => {
      if (!req.destroyed) await new Promise((r) => req.once('close', r));
      return read(req);
    }, goAwayMidBody());
    expectUnreadable(error);
  });

  it('maps a stream error to invalid_request, keeping the error only as the cause', async () => {
    const boom = new Error('boom');
    const { error } = await probeWith(
      (req) => {
        const reading = read(req);
        req.destroy(boom);
        return reading;
      },
      (port) => void startBody(port),
    );
    expectUnreadable(error);
    expect((error as EvrmoreAuthError).cause).toBe(boom);
    expect(toProblem(error as EvrmoreAuthError)).not.toHaveProperty('cause');
  });

  it('uses what a body parser already made of the body (re-serialised), and nothing for GET', async () => {
    const { value } = await probeWith(
      async (req) => {
        await new Promise((r) => req.resume().on('end', r)); // a parser read the stream
        const parsed = { address: 'E1' };
        const a = await fromNodeRequest(req, 'http://x/', { parsed }).readBody();
        return Buffer.from(a).toString('utf8');
      },
      (port) => post(port, { 'content-type': 'application/json' }, '{"address":"E1"}'),
    );
    expect(JSON.parse(value as string)).toEqual({ address: 'E1' });
    const get = await probeWith(
      async (req) => (await fromNodeRequest(req, 'http://x/').readBody()).length,
      (port) =>
        httpRequest({ port, host: '127.0.0.1', path: '/' })
          .on('error', () => undefined)
          .end(),
    );
    expect(get.value).toBe(0);
  });
});
