// What the routes read of a request: headers, the AuthRequest view of a fetch Request, the
// per-request context.
import { readBytes } from './body.js';

/**
 * Header lookup: a fetch `Headers`, or anything with the same case-insensitive `get` (repeated
 * headers joined with `", "`).
 *
 * @example
 * ```ts
 * const headers: HeaderReader = new Headers({ authorization: 'Bearer …' });
 * ```
 */
export interface HeaderReader {
  /** The header's value (case-insensitive name), or `null` when absent. */
  get(name: string): string | null;
}

/**
 * What the routes read of a request. `fromWebRequest` makes one of a fetch `Request`; the Node
 * adapters make one of an `IncomingMessage` directly, without building a `Request` and its body
 * stream (the larger part of an auth request's cost on Node 20, measured in `pnpm bench`).
 *
 * @example
 * ```ts
 * const request: AuthRequest = fromWebRequest(new Request('https://example.com/auth/session'));
 * ```
 */
export interface AuthRequest {
  readonly method: string;
  /** Absolute URL (scheme, host, path and query). */
  readonly url: string;
  readonly headers: HeaderReader;
  /** The body, read once: an empty array when there is none; more than {@link MAX_BODY_BYTES}
   *  rejects with `payload_too_large` (counted while reading); a body that cannot be read
   *  (aborted, reset, stream error, premature close) rejects with `invalid_request`. */
  readBody(): Promise<Uint8Array>;
}

/**
 * The {@link AuthRequest} view of a fetch `Request`.
 *
 * @example
 * ```ts
 * const request = fromWebRequest(incomingFetchRequest);
 * ```
 */
export function fromWebRequest(request: Request): AuthRequest {
  return {
    method: request.method,
    url: request.url,
    headers: request.headers,
    readBody: () => readBytes(request),
  };
}

/**
 * Per-request facts the routes share.
 *
 * @example
 * ```ts
 * const ctx: RequestContext = { request, requestId: 'r1', ip: '203.0.113.7', userAgent: null, https: true, tls: true, origin: null };
 * ```
 */
export interface RequestContext {
  request: AuthRequest;
  requestId: string;
  ip: string | null;
  userAgent: string | null;
  /** Whether HSTS is sent: the client used HTTPS (see `tls`) and `hsts` is `auto`, or `hsts` is
   *  `always`. */
  https: boolean;
  /** Whether the client reached the site over HTTPS: the request URL is `https:`, or a trusted
   *  proxy says so in `x-forwarded-proto` (DPoP proofs name the https URL then). */
  tls: boolean;
  /** The `Origin` header when it is an allowed origin (CORS headers are added then). */
  origin: string | null;
}
