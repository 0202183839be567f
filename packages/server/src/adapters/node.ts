// Node plumbing shared by the Express and Fastify adapters: IncomingMessage → fetch Request,
// fetch Response → ServerResponse. Not a public entry point.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';

/** Copy the raw header list (keeps repeated headers) into fetch `Headers`. */
export function toHeaders(req: IncomingMessage): Headers {
  const headers = new Headers();
  const raw = req.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!;
    const lower = name.toLowerCase();
    // HTTP/2 pseudo headers and hop-by-hop headers have no place in a fetch Request.
    if (lower.startsWith(':') || lower === 'connection' || lower === 'keep-alive') continue;
    try {
      headers.append(name, raw[i + 1]!);
    } catch {
      // a header value fetch refuses is dropped, never a 500
    }
  }
  return headers;
}

/**
 * The request body for fetch: the unread stream (preferred: byte-exact and size-limited by the
 * handler while reading), or, when a body parser already consumed it, the parsed value
 * re-serialised (a Buffer or string as is, anything else as JSON).
 */
export function toBody(req: IncomingMessage, parsed: unknown): BodyInit | undefined {
  const method = (req.method ?? 'GET').toUpperCase();
  if (method === 'GET' || method === 'HEAD') return undefined;
  const consumed = req.readableEnded || (req as { _body?: unknown })._body === true;
  if (!consumed && parsed === undefined)
    return Readable.toWeb(req) as unknown as ReadableStream<Uint8Array>;
  if (parsed === undefined || parsed === null) return undefined;
  if (parsed instanceof Uint8Array) return new Uint8Array(parsed);
  if (typeof parsed === 'string') return parsed;
  return JSON.stringify(parsed);
}

/**
 * Build a fetch `Request` from a Node request.
 *
 * @param url absolute URL (protocol + host + original path and query)
 * @param withBody false for `requireAuth` (headers only; the body stays for the app)
 */
export function toWebRequest(
  req: IncomingMessage,
  url: string,
  options: { withBody: boolean; parsed?: unknown },
): Request {
  const method = (req.method ?? 'GET').toUpperCase();
  const body = options.withBody ? toBody(req, options.parsed) : undefined;
  const init: RequestInit & { duplex?: 'half' } = { method, headers: toHeaders(req) };
  if (body !== undefined) {
    init.body = body;
    init.duplex = 'half';
  } else if (method !== 'GET' && method !== 'HEAD') {
    // The headers still describe the body the app will read; the handler never sees it.
    init.headers = new Headers(init.headers);
    init.headers.delete('content-length');
    init.headers.delete('transfer-encoding');
  }
  return new Request(url, init);
}

/** An absolute URL for a Node request. */
export function requestUrl(protocol: string, host: string | undefined, path: string): string {
  const safeHost =
    host !== undefined && /^[A-Za-z0-9.\-:[\]]{1,255}$/.test(host) ? host : 'localhost';
  const safePath = path.startsWith('/') ? path : `/${path}`;
  return `${protocol === 'https' ? 'https' : 'http'}://${safeHost}${safePath}`;
}

/** The status, headers (each `set-cookie` separately) and body of `response`. */
export async function responseParts(
  response: Response,
): Promise<{ status: number; headers: Array<[string, string | string[]]>; body: Buffer | null }> {
  const headers: Array<[string, string | string[]]> = [];
  response.headers.forEach((value, name) => {
    if (name !== 'set-cookie') headers.push([name, value]);
  });
  const cookies = response.headers.getSetCookie();
  if (cookies.length > 0) headers.push(['set-cookie', cookies]);
  const body = response.body === null ? null : Buffer.from(await response.arrayBuffer());
  return { status: response.status, headers, body };
}

/** Write a fetch `Response` to a Node `ServerResponse`. */
export async function writeResponse(res: ServerResponse, response: Response): Promise<void> {
  const { status, headers, body } = await responseParts(response);
  res.statusCode = status;
  // Frameworks' fingerprinting headers (Express's `x-powered-by`) do not belong on auth responses.
  res.removeHeader('x-powered-by');
  for (const [name, value] of headers) res.setHeader(name, value);
  res.end(body ?? undefined);
}
