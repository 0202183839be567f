// Audit events of a protected resource's DPoP refusals (`authenticate`, every `requireAuth`, the
// resource server): a replayed proof and a proof made with another key than the token is bound to
// are security signals; other refusals (an expired token, a stale proof) are not events. Only the
// refusal path does any of this work.
import type { EventSink } from '../events.js';
import { incomingRequestId, pathOf } from '../http/request-context.js';
import type { HeaderReader } from '../http/request.js';
import { DPoPError } from './errors.js';

/** What a resource's refusal event says about the request and its (verified) token. */
export interface ResourceRefusalFacts {
  /** The request (method and absolute URL: a bound token's check has both). */
  request: { method: string; url: string; headers: HeaderReader };
  /** The token's `sub`. */
  address: string;
  /** The token's `sid`. */
  sessionId: string;
  /** The client IP (through `trustedProxies`), computed only when there is an event. */
  ip: () => string | null;
  /** The request's id, when an auth route gave it one (else the client's `x-request-id`). */
  requestId?: string;
}

/**
 * Emit the audit event of a protected resource's DPoP refusal `error`, when it is one:
 * `dpop.proof_replayed` (a proof already used: copied and sent again) or `dpop.key_mismatch`
 * (a proof made with another key than the token's `cnf.jkt`), both with the token's address and
 * session, the client IP and User-Agent, the request id and `detail: { route:
 * 'resource', method, path }` (no query); never the token or the proof. Any other error: nothing.
 *
 * @example
 * ```ts
 * try {
 *   await checkBoundProof(dpop, proofRequest, clock, token, jkt);
 * } catch (err) {
 *   reportResourceRefusal(rt.events, err, { request, address: claims.sub, sessionId: claims.sid, ip });
 *   throw err;
 * }
 * ```
 */
export function reportResourceRefusal(
  events: EventSink,
  error: unknown,
  facts: ResourceRefusalFacts,
): void {
  if (!(error instanceof DPoPError) || !error.resource) return;
  const type = error.replayed
    ? 'dpop.proof_replayed'
    : error.code === 'dpop_key_mismatch'
      ? 'dpop.key_mismatch'
      : null;
  if (type === null) return;
  const { request } = facts;
  const ua = request.headers.get('user-agent');
  events.emit({
    type,
    requestId: facts.requestId ?? incomingRequestId(request.headers),
    ip: facts.ip(),
    userAgent: ua === null ? null : ua.slice(0, 512),
    address: facts.address,
    sessionId: facts.sessionId,
    code: error.code,
    detail: {
      route: 'resource',
      method: request.method.toUpperCase(),
      path: pathOf(request.url).slice(0, 512),
    },
  });
}
