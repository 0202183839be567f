// HTTP to the auth routes: one request builder, one way to read an answer, one way to turn a
// problem+json answer into an error.
import { EvrmoreAuthError, isErrorCode, type TokenResponse } from '@evrmore-auth/core';
import type { DpopKeySource, DpopSendOptions } from './dpop-key-source.js';
import { EvrmoreAuthClientError } from './errors.js';

/** Whether `err` is a `fetch` (or `AbortSignal`) abort. */
export function isAbort(err: unknown): boolean {
  return (
    typeof err === 'object' && err !== null && (err as { name?: unknown }).name === 'AbortError'
  );
}

/** Whether `body` is the protocol's token answer (`/verify`, `/mfa/verify`, `/refresh`). */
function isTokenResponse(body: unknown): body is TokenResponse {
  const b = body as TokenResponse | null;
  return (
    typeof b === 'object' &&
    b !== null &&
    typeof b.accessToken === 'string' &&
    b.accessToken.length > 0 &&
    typeof b.expiresIn === 'number' &&
    Number.isFinite(b.expiresIn) &&
    typeof b.session === 'object' &&
    b.session !== null &&
    typeof b.session.id === 'string'
  );
}

/** `body` as a token answer, else `invalid_response` naming the `route` that gave it. */
export function asTokenResponse(body: unknown, route: 'verify' | 'MFA' | 'refresh'): TokenResponse {
  if (!isTokenResponse(body))
    throw new EvrmoreAuthClientError(
      'invalid_response',
      `the ${route} answer is not a token response`,
    );
  return body;
}

/**
 * Turn a non-2xx response into an error: an {@link EvrmoreAuthError} carrying the server's `code`
 * when the body is the protocol's problem+json, an {@link EvrmoreAuthClientError}
 * (`invalid_response`) otherwise.
 */
async function errorFromResponse(
  response: Response,
): Promise<EvrmoreAuthError | EvrmoreAuthClientError> {
  let body: unknown;
  try {
    body = await response.json();
  } catch {
    body = undefined;
  }
  const code = (body as { code?: unknown } | undefined)?.code;
  if (isErrorCode(code)) {
    const { detail, title } = body as { detail?: unknown; title?: unknown };
    const retryAfterHeader = Number(response.headers.get('retry-after'));
    // The title comes from the problem document, so the client bundle carries no titles table.
    return new EvrmoreAuthError(code, {
      ...(typeof detail === 'string' ? { detail } : {}),
      ...(typeof title === 'string' ? { title } : {}),
      ...(Number.isFinite(retryAfterHeader) && retryAfterHeader > 0
        ? { retryAfter: retryAfterHeader }
        : {}),
    });
  }
  return new EvrmoreAuthClientError(
    'invalid_response',
    `unexpected HTTP ${response.status} response without a problem document`,
    { status: response.status },
  );
}

/** The auth routes of one server. */
export interface Transport {
  /** The absolute URL of an auth route (`path` starts with `/`). */
  endpoint(path: string): string;
  /** Send a request; a failed `fetch` becomes `network_error`, an abort is rethrown as is. */
  send(request: Request): Promise<Response>;
  /**
   * `send` with a DPoP proof when the client has a DPoP key (`ath` of `accessToken` when given),
   * else plain `send`.
   */
  sendProved(
    request: Request,
    accessToken?: string | null,
    options?: DpopSendOptions,
  ): Promise<Response>;
  /** A JSON request to an auth route, with `credentials: 'include'` (the refresh cookie). */
  jsonRequest(
    method: string,
    path: string,
    body?: unknown,
    headers?: HeadersInit,
    signal?: AbortSignal,
  ): Request;
  /** The JSON body of a 2xx answer; a non-2xx answer or invalid JSON throws. */
  readJson<T>(response: Response): Promise<T>;
}

/** Create the transport to `baseUrl` (no trailing slash) through `fetch`, with DPoP proofs from `dpop`. */
export function createTransport(
  baseUrl: string,
  fetch: typeof globalThis.fetch,
  dpop: DpopKeySource | null = null,
): Transport {
  const endpoint = (path: string): string => `${baseUrl}${path}`;
  const send = async (request: Request): Promise<Response> => {
    try {
      return await fetch(request);
    } catch (err) {
      if (isAbort(err)) throw err;
      throw new EvrmoreAuthClientError('network_error', 'the request could not be sent', {
        cause: err,
      });
    }
  };
  return {
    endpoint,
    send,
    sendProved: (request, accessToken = null, options) =>
      dpop ? dpop.send(request, accessToken, send, options) : send(request),
    jsonRequest(method, path, body, headers, signal) {
      const h = new Headers(headers);
      h.set('accept', 'application/json');
      if (body !== undefined) h.set('content-type', 'application/json');
      return new Request(endpoint(path), {
        method,
        headers: h,
        credentials: 'include',
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        ...(signal ? { signal } : {}),
      });
    },
    async readJson<T>(response: Response): Promise<T> {
      if (!response.ok) throw await errorFromResponse(response);
      try {
        return (await response.json()) as T;
      } catch (err) {
        throw new EvrmoreAuthClientError('invalid_response', 'the server answered invalid JSON', {
          cause: err,
          status: response.status,
        });
      }
    },
  };
}
