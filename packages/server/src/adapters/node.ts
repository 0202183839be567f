// Node plumbing shared by the Express, Fastify and (under @hono/node-server) Hono adapters:
// IncomingMessage → AuthRequest (no fetch Request, no web body stream), Reply → ServerResponse.
// Not a public entry point.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { EvrmoreAuthError } from '@evrmore-auth/core';
import { internalsOf, type EvrmoreAuth } from '../create-auth.js';
import { authError } from '../errors.js';
import { MAX_BODY_BYTES, unreadableBody } from '../http/body.js';
import type { Reply } from '../http/reply.js';
import type { AuthRequest, HeaderReader } from '../http/request.js';
import type { AuthenticateRequest } from '../authenticate.js';

/**
 * Fetch `Headers.get` semantics over `rawHeaders`: case-insensitive, repeats joined with ", ",
 * pseudo and hop-by-hop headers left out. A scan per lookup (no map is built: a request is asked
 * for a handful of headers).
 */
export function nodeHeaders(req: IncomingMessage): HeaderReader {
  return {
    get(name) {
      const wanted = name.toLowerCase();
      if (wanted.startsWith(':') || wanted === 'connection' || wanted === 'keep-alive') return null;
      const raw = req.rawHeaders;
      const sep = wanted === 'cookie' ? '; ' : ', ';
      let value: string | null = null;
      for (let i = 0; i + 1 < raw.length; i += 2) {
        const key = raw[i]!;
        if (key.length !== wanted.length || key.toLowerCase() !== wanted) continue;
        // Repeated headers join with ', ', except cookie ('; '), as fetch's Headers does.
        value = value === null ? raw[i + 1]! : `${value}${sep}${raw[i + 1]!}`;
      }
      return value;
    },
  };
}

/** Whether a body parser already read the request body stream. */
function bodyTaken(req: IncomingMessage): boolean {
  return req.readableEnded || (req as { _body?: unknown })._body === true;
}

function parsedBytes(parsed: unknown): Uint8Array {
  if (parsed === undefined || parsed === null) return new Uint8Array(0);
  if (parsed instanceof Uint8Array) return new Uint8Array(parsed);
  return Buffer.from(typeof parsed === 'string' ? parsed : JSON.stringify(parsed), 'utf8');
}

const ignore = (): void => undefined;

/**
 * Read the unread body stream, counting bytes: more than MAX_BODY_BYTES → payload_too_large. A
 * body that cannot be read (client aborted or reset, stream error, closed before the end, or
 * already destroyed when the read starts) → invalid_request: it settles on whichever of 'end',
 * 'error' and 'close' comes first, so a client that goes away never leaves it pending.
 */
function readStream(req: IncomingMessage): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    if (req.destroyed) {
      // 'close' has been emitted already (or is about to be, with nothing more to read).
      reject(unreadableBody(req.errored ?? undefined));
      return;
    }
    const chunks: Buffer[] = [];
    let total = 0;
    const done = (err: EvrmoreAuthError | null): void => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('close', onClose);
      if (err) {
        // Abandoned: a later stream error must find a listener (no 'error' event crashes the
        // process); the rest is left unread, Node discards it (or closes the connection).
        req.on('error', ignore);
        req.resume();
        reject(err);
      } else resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, total));
    };
    const onData = (chunk: Buffer): void => {
      total += chunk.byteLength;
      if (total > MAX_BODY_BYTES) done(authError('payload_too_large'));
      else chunks.push(chunk);
    };
    const onEnd = (): void => done(null);
    const onError = (err: Error): void => done(unreadableBody(err));
    const onClose = (): void => done(unreadableBody(req.errored ?? undefined));
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('close', onClose);
  });
}

/**
 * The {@link AuthRequest} of a Node request.
 *
 * @param url absolute URL (protocol + host + original path and query)
 * @param parsed what a body parser that ran first made of the body (re-serialised as JSON)
 */
export function fromNodeRequest(
  req: IncomingMessage,
  url: string,
  options: { parsed?: unknown } = {},
): AuthRequest {
  const method = (req.method ?? 'GET').toUpperCase();
  let body: Promise<Uint8Array> | undefined;
  return {
    method,
    url,
    headers: nodeHeaders(req),
    readBody() {
      if (body) return body;
      if (method === 'GET' || method === 'HEAD') body = Promise.resolve(new Uint8Array(0));
      else if (options.parsed !== undefined || bodyTaken(req)) {
        const bytes = parsedBytes(options.parsed);
        body =
          bytes.byteLength > MAX_BODY_BYTES
            ? Promise.reject(authError('payload_too_large'))
            : Promise.resolve(bytes);
      } else body = readStream(req);
      return body;
    },
  };
}

/**
 * The router's reply to a Node request: `toRequest` makes its {@link AuthRequest} (a request it
 * cannot make sense of gets that error's problem reply), `ip` is the TCP peer's address.
 */
export async function replyToNode(
  auth: EvrmoreAuth,
  toRequest: () => AuthRequest,
  ip: string | null | undefined,
): Promise<Reply> {
  const { handle, errorReply } = internalsOf(auth);
  let request: AuthRequest;
  try {
    request = toRequest();
  } catch (err) {
    return errorReply(err);
  }
  return handle(request, { ip: ip ?? null });
}

/** Write a {@link Reply} to a Node `ServerResponse`. */
export function writeReply(res: ServerResponse, reply: Reply): void {
  res.statusCode = reply.status;
  // Frameworks' fingerprinting headers (Express's `x-powered-by`) do not belong on auth responses.
  res.removeHeader('x-powered-by');
  for (const name in reply.headers) res.setHeader(name, reply.headers[name]!);
  if (reply.cookies.length > 0) res.setHeader('set-cookie', reply.cookies);
  res.end(reply.body ?? undefined);
}

/** An absolute URL for a Node request. */
export function requestUrl(protocol: string, host: string | undefined, path: string): string {
  const safeHost =
    host !== undefined && /^[A-Za-z0-9.\-:[\]]{1,255}$/.test(host) ? host : 'localhost';
  const safePath = path.startsWith('/') ? path : `/${path}`;
  return `${protocol === 'https' ? 'https' : 'http'}://${safeHost}${safePath}`;
}

/**
 * What a Node framework's `requireAuth` hands `authenticate`: the headers (read in place), the
 * method, and the absolute URL, made only when read (a DPoP proof names it). A class, so that
 * every request has one shape: an object literal with a getter gets a hidden class of its own per
 * request (its accessor is a new closure each time), which cost Express about 20 µs per request
 * (`pnpm bench auth-route`, bench/README.md).
 *
 * @example
 * ```ts
 * const request = new NodeAuthRequest(req, req.method, () => requestUrl(req.protocol, req.get('host'), req.originalUrl));
 * ```
 */
export class NodeAuthRequest implements AuthenticateRequest {
  readonly headers: HeaderReader;
  readonly method: string;
  #url: string | (() => string);

  constructor(req: IncomingMessage, method: string, url: () => string) {
    this.headers = nodeHeaders(req);
    this.method = method;
    this.#url = url;
  }

  get url(): string {
    if (typeof this.#url === 'function') this.#url = this.#url();
    return this.#url;
  }
}
