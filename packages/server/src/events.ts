// PLACEHOLDER by server-core (interface of notes/INTERFACES.md); the server-edges helper owns this
// file and replaces the body (anomaly detection included).
import type { ErrorCode } from '@evrmore-auth/core';

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
  | 'mfa.backup_codes_low';
export interface AuthEvent {
  type: AuthEventType;
  at: string;
  requestId: string | null;
  ip: string | null;
  userAgent: string | null;
  address?: string;
  sessionId?: string;
  code?: ErrorCode;
  detail?: Record<string, string | number | boolean>;
}
export interface PinoLikeLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}
export interface EventSinkOptions {
  onEvent?: (event: AuthEvent) => void | Promise<void>;
  logger?: PinoLikeLogger;
  anomaly?: { threshold?: number; windowMs?: number };
  now?: () => number;
}
export interface EventSink {
  emit(event: Omit<AuthEvent, 'at'>): void;
}
export function createEventSink(options: EventSinkOptions = {}): EventSink {
  const now = options.now ?? Date.now;
  return {
    emit(event) {
      const full: AuthEvent = { ...event, at: new Date(now()).toISOString() };
      try {
        options.logger?.info({ event: full }, full.type);
        const r = options.onEvent?.(full);
        if (r && typeof (r as Promise<void>).catch === 'function')
          (r as Promise<void>).catch((err: unknown) =>
            options.logger?.error({ err }, 'onEvent failed'),
          );
      } catch (err) {
        options.logger?.error({ err }, 'onEvent failed');
      }
    },
  };
}
