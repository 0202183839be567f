// Audit events: one `onEvent` hook, an optional pino-compatible logger, and anomaly detection for
// bursts of failed sign-ins. An event never carries a token, signature, cookie value or secret:
// `AuthEvent` has no field for one, and `detail` keys that look like one are dropped.
import type { ErrorCode } from '@evrmore-auth/core';
import { LRUCache } from 'lru-cache';
import * as v from 'valibot';
import { factoryOptions, fn, integer, parseOptions, withMethods } from './config/validate.js';

/**
 * The kinds of audit event.
 *
 * @example
 * ```ts
 * const type: AuthEventType = 'signin.failed';
 * ```
 */
export type AuthEventType =
  | 'challenge.issued'
  | 'signin.succeeded'
  | 'signin.failed'
  | 'refresh.succeeded'
  | 'refresh.reused'
  | 'session.revoked'
  | 'rate_limited'
  | 'anomaly.failed_signins'
  | 'mfa.enrolled'
  | 'mfa.disabled'
  | 'mfa.succeeded'
  | 'mfa.failed'
  | 'mfa.backup_code_used'
  | 'mfa.backup_codes_low'
  | 'dpop.key_mismatch'
  | 'dpop.proof_replayed'
  | 'api_key.created'
  | 'api_key.revoked'
  | 'api_key.used'
  | 'api_key.refused';

/**
 * One audit event. Carries who and what, never a credential.
 *
 * @example
 * ```ts
 * const event: AuthEvent = {
 *   type: 'signin.failed', at: '2026-01-01T00:00:00.000Z', requestId: 'r1',
 *   ip: '203.0.113.7', userAgent: null, address: 'E…', code: 'invalid_signature',
 * };
 * ```
 */
export interface AuthEvent {
  /** What happened. */
  type: AuthEventType;
  /** RFC 3339, from the injected clock. */
  at: string;
  /** The request's id (also its `x-request-id` response header); `null` outside a request. */
  requestId: string | null;
  /** The client IP, or `null` when unknown. */
  ip: string | null;
  /** The request's User-Agent, or `null`. */
  userAgent: string | null;
  /** The address concerned, when known. */
  address?: string;
  /** The session concerned, when there is one. */
  sessionId?: string;
  /** The API key concerned (its id, never the key), for `api_key.*` events. */
  keyId?: string;
  /** Reason code for failures. */
  code?: ErrorCode;
  /** Extra facts; never tokens, signatures, cookies or secrets (keys naming one are dropped). */
  detail?: Record<string, string | number | boolean>;
}

/**
 * The subset of a pino logger the server uses (pino, or anything with the same three methods).
 *
 * @example
 * ```ts
 * import pino from 'pino';
 * const logger: PinoLikeLogger = pino();
 * ```
 */
export interface PinoLikeLogger {
  /** Audit events (the event is `obj`) and start-up notes. */
  info(obj: object, msg?: string): void;
  /**
   * Security-relevant events (failed sign-ins, reuse, rate limits, anomalies; the event is `obj`)
   * and configuration warnings.
   */
  warn(obj: object, msg?: string): void;
  /** Internal errors (`obj.err`) and failing `onEvent` hooks. */
  error(obj: object, msg?: string): void;
}

/**
 * Options of the audit event sink: the `onEvent`, `logger` and `anomaly` options of
 * `createEvrmoreAuth`.
 *
 * @example
 * ```ts
 * const options: EventSinkOptions = { onEvent: (e) => audit.write(e), anomaly: { threshold: 5 } };
 * ```
 */
export interface EventSinkOptions {
  /**
   * Called with every event; a throw or rejection is logged (to `logger`, else `console.error`)
   * and otherwise ignored; never awaited.
   */
  onEvent?: (event: AuthEvent) => void | Promise<void>;
  /** Every event is also logged here (warn for failures, reuse, rate limits, anomalies; info otherwise). */
  logger?: PinoLikeLogger;
  /**
   * Failed sign-ins (`signin.failed`) or wrong second-factor codes (`mfa.failed`) per address or
   * per IP within `windowMs` that raise one `anomaly.failed_signins` event (once per key and stage
   * per window).
   */
  anomaly?: {
    /** @default 10 */
    threshold?: number;
    /** @default 60_000 */
    windowMs?: number;
    /** Most keys (addresses + IPs) tracked at once; the least recently counted is forgotten first. @default 10_000 */
    maxKeys?: number;
  };
  /** @default Date.now */
  now?: () => number;
}

/**
 * Where the server sends audit events.
 *
 * @example
 * ```ts
 * sink.emit({ type: 'challenge.issued', requestId: 'r1', ip: null, userAgent: null, address });
 * ```
 */
export interface EventSink {
  /** Never throws, never blocks the request; hook errors are caught and logged. */
  emit(event: Omit<AuthEvent, 'at'>): void;
}

const WARN_TYPES = new Set<AuthEventType>([
  'signin.failed',
  'refresh.reused',
  'rate_limited',
  'anomaly.failed_signins',
  'mfa.failed',
  'mfa.backup_codes_low',
  'dpop.key_mismatch',
  'dpop.proof_replayed',
  'api_key.refused',
]);

/** `detail` keys that could name a credential; such entries never leave the sink. */
const SECRET_KEY =
  /token|signature|cookie|secret|password|fingerprint|otp|bearer|authorization|apikey|api_key/i;
/** A value that holds an API key (`evak_…`) is dropped too, whatever its key. */
const API_KEY_VALUE = /evak_[0-9a-f]{24}_/;

/** The options of {@link createEventSink}, with their defaults. */
const EVENT_SINK_OPTIONS = factoryOptions({
  onEvent: v.optional(fn<NonNullable<EventSinkOptions['onEvent']>>()),
  logger: v.optional(
    withMethods<PinoLikeLogger>(
      ['info', 'warn', 'error'],
      'must have info, warn and error methods',
    ),
  ),
  now: v.optional(fn<() => number>(), () => Date.now),
  anomaly: v.optional(
    v.object(
      {
        threshold: v.optional(integer(1, undefined, 'must be a positive integer'), 10),
        windowMs: v.optional(integer(1, undefined, 'must be a positive integer'), 60_000),
        maxKeys: v.optional(integer(1, undefined, 'must be a positive integer'), 10_000),
      },
      'must be an object',
    ),
    {},
  ),
});

/** Copy only the fields an event may have, so nothing unexpected rides along. */
function sanitize(event: Omit<AuthEvent, 'at'>, at: string): AuthEvent {
  const out: AuthEvent = {
    type: event.type,
    at,
    requestId: event.requestId ?? null,
    ip: event.ip ?? null,
    userAgent: event.userAgent ?? null,
  };
  if (typeof event.address === 'string') out.address = event.address;
  if (typeof event.sessionId === 'string') out.sessionId = event.sessionId;
  if (typeof event.keyId === 'string') out.keyId = event.keyId;
  if (typeof event.code === 'string') out.code = event.code;
  if (event.detail !== undefined && event.detail !== null && typeof event.detail === 'object') {
    const detail: Record<string, string | number | boolean> = {};
    let any = false;
    for (const [key, value] of Object.entries(event.detail)) {
      if (SECRET_KEY.test(key)) continue;
      if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean')
        continue;
      if (typeof value === 'string' && API_KEY_VALUE.test(value)) continue;
      detail[key] = value;
      any = true;
    }
    if (any) out.detail = detail;
  }
  return out;
}

interface Counter {
  start: number;
  count: number;
  alerted: boolean;
}

/**
 * Create the event sink `createEvrmoreAuth` uses (`onEvent`, `logger`, `anomaly`, `now` of its
 * config). Validates its options up front (TypeError).
 *
 * Anomaly detection counts `signin.failed` events (stage `signature`) and `mfa.failed` events
 * (stage `mfa`) per address and per IP, each stage apart, in a fixed window that starts at the
 * first failure; the failure that reaches `threshold` emits one `anomaly.failed_signins`
 * (`detail: { key: 'address' | 'ip', count, windowMs, stage }`), and no more for that key until
 * its window ends. At most `maxKeys` keys are tracked; the oldest is evicted.
 *
 * @example
 * ```ts
 * import pino from 'pino';
 * const sink = createEventSink({
 *   logger: pino(),
 *   onEvent: async (event) => { await db.insert('audit', event); },
 *   anomaly: { threshold: 10, windowMs: 60_000 },
 * });
 * sink.emit({ type: 'signin.failed', requestId: 'r1', ip: '203.0.113.7', userAgent: null, code: 'invalid_signature' });
 * ```
 */
export function createEventSink(options: EventSinkOptions = {}): EventSink {
  const parsed = parseOptions('createEventSink', EVENT_SINK_OPTIONS, options);
  const { logger, onEvent, now } = parsed;
  const { threshold, windowMs, maxKeys } = parsed.anomaly;
  // Failure counts per key; at most maxKeys, the least recently counted forgotten first.
  const counters = new LRUCache<string, Counter>({ max: maxKeys });

  const logHookError = (err: unknown): void => {
    try {
      const e = err instanceof Error ? { name: err.name, message: err.message } : {};
      if (logger) logger.error({ err: e }, 'evrmore-auth: onEvent hook failed');
      else console.error('evrmore-auth: onEvent hook failed', e);
    } catch {
      // a logger that throws is ignored too
    }
  };

  const deliver = (event: AuthEvent): void => {
    try {
      if (WARN_TYPES.has(event.type)) logger?.warn(event, `evrmore-auth ${event.type}`);
      else logger?.info(event, `evrmore-auth ${event.type}`);
    } catch {
      // never let logging break a request
    }
    if (!onEvent) return;
    try {
      const result = onEvent(event);
      if (result !== undefined && result !== null && typeof result.then === 'function')
        result.then(undefined, logHookError);
    } catch (err) {
      logHookError(err);
    }
  };

  const countFailure = (kind: 'address' | 'ip', value: string, t: number): number | null => {
    const key = `${kind}:${value}`;
    let c = counters.get(key);
    if (c !== undefined && t - c.start >= windowMs) {
      counters.delete(key);
      c = undefined;
    }
    if (c === undefined) {
      c = { start: t, count: 0, alerted: false };
      counters.set(key, c);
    }
    c.count += 1;
    if (!c.alerted && c.count >= threshold) {
      c.alerted = true;
      return c.count;
    }
    return null;
  };

  return {
    emit(raw) {
      try {
        const t = now();
        const at = new Date(t).toISOString();
        const event = sanitize(raw, at);
        deliver(event);
        if (event.type !== 'signin.failed' && event.type !== 'mfa.failed') return;
        // Wrong second-factor codes are counted apart from failed signatures.
        const stage = event.type === 'mfa.failed' ? 'mfa' : 'signature';
        for (const kind of ['address', 'ip'] as const) {
          const value = kind === 'address' ? event.address : event.ip;
          if (value === undefined || value === null) continue;
          const count = countFailure(kind, `${stage}:${value}`, t);
          if (count === null) continue;
          const alert: AuthEvent = {
            type: 'anomaly.failed_signins',
            at,
            requestId: event.requestId,
            ip: event.ip,
            userAgent: event.userAgent,
            detail: { key: kind, count, windowMs, stage },
          };
          if (kind === 'address' && event.address !== undefined) alert.address = event.address;
          deliver(alert);
        }
      } catch (err) {
        logHookError(err);
      }
    },
  };
}
