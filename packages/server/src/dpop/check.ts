// The DPoP checks of a request: a token request's proof (POST /verify, /mfa/verify, /refresh)
// and a protected resource's (authenticate).
import { timingSafeEqualString } from '../crypto.js';
import type { HeaderReader } from '../http/request.js';
import { expectedHtu } from './htu.js';
import { DPoPError } from './errors.js';
import { ProofError, verifyProof, type VerifiedProof } from './proof.js';
import type { DPoPRuntime } from './runtime.js';
import type { EventSink } from '../events.js';
import { reportResourceRefusal } from './resource-events.js';

/** What a proof check reads of the request. */
export interface ProofRequest {
  method: string;
  /** The absolute request URL as the server received it. */
  url: string;
  headers: HeaderReader;
  /** Whether the client used HTTPS (the URL, or a trusted proxy's `x-forwarded-proto`). */
  tls: boolean;
}

/** Clock settings of a check. */
export interface ProofClock {
  now: number;
  clockToleranceSeconds: number;
}

/** The current nonce to answer with, when nonces are on. */
export async function currentNonce(dpop: DPoPRuntime, now: number): Promise<string | undefined> {
  return dpop.nonces === null ? undefined : dpop.nonces.current(now);
}

/**
 * Verify the request's `DPoP` proof (signature, `htm`, `htu`, `iat`, `ath` for a resource, the
 * nonce when nonces are on). `null` when there is no `DPoP` header. Not the replay check: that is
 * {@link spendProof}, once the request has passed its cheaper checks (so only requests that could
 * succeed leave an entry).
 */
export async function readProof(
  dpop: DPoPRuntime,
  request: ProofRequest,
  clock: ProofClock,
  resource: { accessToken: string } | null,
): Promise<VerifiedProof | null> {
  const header = request.headers.get('dpop');
  if (header === null) return null;
  const isResource = resource !== null;
  const fail = async (detail: string, cause?: unknown): Promise<never> => {
    throw new DPoPError('dpop_proof_invalid', {
      resource: isResource,
      detail,
      nonce: await currentNonce(dpop, clock.now),
      cause,
    });
  };
  const htu = expectedHtu(request.url, request.tls);
  if (htu === null) return fail('the request URL cannot be matched');
  let proof: Awaited<ReturnType<typeof verifyProof>>;
  try {
    proof = await verifyProof(header.trim(), {
      method: request.method.toUpperCase(),
      htu,
      algorithms: dpop.config.algorithms,
      maxAgeSeconds: dpop.config.proofMaxAgeSeconds,
      clockToleranceSeconds: clock.clockToleranceSeconds,
      now: clock.now,
      accessToken: resource?.accessToken,
      keys: dpop.keys,
    });
  } catch (err) {
    if (err instanceof ProofError) return fail(err.reason);
    throw err;
  }
  if (dpop.nonces !== null && !(await dpop.nonces.check(proof.nonce, clock.now)))
    throw new DPoPError('use_dpop_nonce', {
      resource: isResource,
      nonce: await dpop.nonces.current(clock.now),
    });
  return { jkt: proof.jkt, jti: proof.jti };
}

/** Spend the proof's `jti`: a second use within the window is `dpop_proof_invalid`. */
export async function spendProof(
  dpop: DPoPRuntime,
  proof: VerifiedProof,
  resource: boolean,
  now: number,
): Promise<void> {
  if (await dpop.replay.spend(proof.jkt, proof.jti)) return;
  throw new DPoPError('dpop_proof_invalid', {
    resource,
    detail: 'the proof was already used',
    nonce: await currentNonce(dpop, now),
    replayed: true,
  });
}

/**
 * A protected resource's proof for a token bound to `jkt`: present and valid for this request and
 * token, made with the bound key, and spent (its `jti` cannot be used again).
 */
export async function checkBoundProof(
  dpop: DPoPRuntime,
  request: ProofRequest,
  clock: ProofClock,
  token: string,
  jkt: string,
): Promise<void> {
  const proof = await readProof(dpop, request, clock, { accessToken: token });
  if (proof === null)
    throw new DPoPError('dpop_proof_invalid', {
      resource: true,
      detail: 'a DPoP proof is required with a DPoP-bound token',
      nonce: await currentNonce(dpop, clock.now),
    });
  if (!timingSafeEqualString(proof.jkt, jkt))
    throw new DPoPError('dpop_key_mismatch', {
      resource: true,
      detail: 'the proof was made with another key than the token is bound to',
    });
  await spendProof(dpop, proof, true, clock.now);
}

/**
 * A token request's proof: `null` without one (mode `allowed`), `dpop_required` without one in
 * mode `required`, else the verified proof (not yet spent).
 */
export async function readTokenRequestProof(
  dpop: DPoPRuntime | null,
  request: ProofRequest,
  clock: ProofClock,
): Promise<VerifiedProof | null> {
  if (dpop === null) return null;
  const proof = await readProof(dpop, request, clock, null);
  if (proof === null && dpop.config.mode === 'required')
    throw new DPoPError('dpop_required', {
      resource: false,
      nonce: await currentNonce(dpop, clock.now),
    });
  return proof;
}

/** The proof-check view of a route's request context. */
export function proofRequestOf(ctx: {
  request: { method: string; url: string; headers: HeaderReader };
  tls: boolean;
}): ProofRequest {
  return {
    method: ctx.request.method,
    url: ctx.request.url,
    headers: ctx.request.headers,
    tls: ctx.tls,
  };
}

/** Add a fresh `DPoP-Nonce` to a successful token answer, when nonces are on. */
export async function addNonceHeader(
  dpop: DPoPRuntime | null,
  headers: Record<string, string>,
  now: number,
): Promise<void> {
  if (dpop?.nonces) headers['dpop-nonce'] = await dpop.nonces.current(now);
}

/**
 * A protected resource's whole proof step (the auth server's `authenticate` and the resource
 * server's): {@link checkBoundProof} for the token bound to `jkt`, a replayed or wrong-key proof
 * reported as an audit event (when there is a sink), and the fresh `DPoP-Nonce` to answer with
 * (when nonces are on).
 */
export async function checkResourceRequestProof(
  dpop: DPoPRuntime,
  events: EventSink | null,
  check: {
    request: ProofRequest;
    clock: ProofClock;
    token: string;
    jkt: string;
    /** The verified token's `sub` and `sid`, for the event. */
    claims: { sub: string; sid: string };
    /** The client IP, computed only for an event. */
    ip: () => string | null;
    /** The route's request id, inside the auth routes. */
    requestId?: string | undefined;
  },
): Promise<string | undefined> {
  try {
    await checkBoundProof(dpop, check.request, check.clock, check.token, check.jkt);
  } catch (err) {
    if (events !== null)
      reportResourceRefusal(events, err, {
        request: check.request,
        address: check.claims.sub,
        sessionId: check.claims.sid,
        ip: check.ip,
        ...(check.requestId === undefined ? {} : { requestId: check.requestId }),
      });
    throw err;
  }
  return dpop.nonces === null ? undefined : dpop.nonces.current(check.clock.now);
}
