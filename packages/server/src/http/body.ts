// Bounded, strict JSON request bodies (PROTOCOL.md §3).
import { EvrmoreAuthError } from '@evrmore-auth/core';
import { authError } from '../errors.js';
import type { AuthRequest } from './request.js';

/**
 * Largest request body accepted (PROTOCOL.md §3); larger bodies are 413 `payload_too_large`.
 *
 * @example
 * ```ts
 * MAX_BODY_BYTES; // 16384
 * ```
 */
export const MAX_BODY_BYTES = 16 * 1024;

const JSON_TYPE = /^application\/json\s*(?:;\s*charset\s*=\s*"?utf-8"?\s*)?$/i;
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);
const MAYBE_FORBIDDEN = /__proto__|constructor|prototype|\\u/;

/**
 * Read a JSON body: content type must be `application/json`, at most 16 KiB counted while
 * reading (not trusting `content-length`), strict UTF-8, no `__proto__`/`constructor`/`prototype`
 * keys. `allowEmpty`: an absent body reads as `{}`.
 *
 * @example
 * ```ts
 * const body = await readJsonBody(request, { allowEmpty: false });
 * ```
 */
export async function readJsonBody(
  request: Request | AuthRequest,
  options: { allowEmpty: boolean },
): Promise<unknown> {
  // Any failure of the read itself (also from an AuthRequest made elsewhere) is the client's
  // unreadable body, a 400: never an internal error with a stack trace in the server's log.
  const read = (): Promise<Uint8Array> =>
    ('readBody' in request ? request.readBody() : readBytes(request)).catch((err: unknown) => {
      throw err instanceof EvrmoreAuthError ? err : unreadableBody(err);
    });
  const type = request.headers.get('content-type');
  const declared = request.headers.get('content-length');
  if (declared !== null && /^\d+$/.test(declared) && Number(declared) > MAX_BODY_BYTES)
    throw authError('payload_too_large');
  if (type === null && options.allowEmpty) {
    const bytes = await read();
    if (bytes.length === 0) return {};
    throw authError('unsupported_media_type');
  }
  if (type === null || !JSON_TYPE.test(type.trim())) throw authError('unsupported_media_type');
  const bytes = await read();
  if (bytes.length === 0) {
    if (options.allowEmpty) return {};
    throw authError('invalid_request', { detail: 'the request body is empty' });
  }
  let text: string;
  try {
    text = UTF8.decode(bytes);
  } catch {
    throw authError('invalid_request', { detail: 'the body is not valid UTF-8' });
  }
  try {
    // The reviver (a call per value) runs only when a forbidden key could be spelled: literally,
    // or through a \u escape.
    if (!MAYBE_FORBIDDEN.test(text)) return JSON.parse(text) as unknown;
    return JSON.parse(text, (key, value: unknown) => {
      if (FORBIDDEN_KEYS.has(key)) throw new ForbiddenKey();
      return value;
    }) as unknown;
  } catch (err) {
    if (err instanceof ForbiddenKey)
      throw authError('invalid_request', { detail: 'forbidden key in JSON body' });
    throw authError('invalid_request', { detail: 'the body is not valid JSON' });
  }
}

class ForbiddenKey extends Error {}

/** Strict UTF-8 (no `stream`, so each decode stands alone and the decoder can be shared). */
const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

/**
 * The error of a request body that cannot be read (aborted, reset, stream error, premature close):
 * the client's fault or the client's departure, a 400 `invalid_request` that is never logged as an
 * internal error. The underlying error is kept as `cause` (not sent: `toProblem` leaves it out).
 */
export function unreadableBody(cause?: unknown): EvrmoreAuthError {
  return authError('invalid_request', {
    detail: 'the request body could not be read',
    ...(cause === undefined ? {} : { cause }),
  });
}

export async function readBytes(request: Request): Promise<Uint8Array> {
  if (request.body === null) return new Uint8Array(0);
  const reader = request.body.getReader();
  // A runtime that aborts the request when the client goes away (@hono/node-server, Deno, Bun)
  // may leave the body stream pending: the abort cancels the read instead of waiting forever.
  const signal = request.signal as AbortSignal | undefined;
  let aborted = false;
  const onAbort = (): void => {
    aborted = true;
    reader.cancel(signal?.reason).catch(() => undefined);
  };
  if (signal?.aborted) onAbort();
  else signal?.addEventListener('abort', onAbort, { once: true });
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      let step: ReadableStreamReadResult<Uint8Array>;
      try {
        step = await reader.read();
      } catch (err) {
        throw unreadableBody(err);
      }
      // A cancelled read ends as `done`: that is a cut-off body, not a complete one.
      if (aborted) throw unreadableBody(signal?.reason);
      const { done, value } = step;
      if (done) break;
      total += value.byteLength;
      if (total > MAX_BODY_BYTES) {
        await reader.cancel().catch(() => undefined);
        throw authError('payload_too_large');
      }
      chunks.push(value);
    }
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}
