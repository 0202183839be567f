// The wire between durableObjectStore (in any isolate) and EvrmoreAuthStoreObject: a POST to
// `https://evrmore-auth-store/<operation>` whose body is the JSON array of the operation's
// arguments, answered 200 with the JSON result. The object checks every body against these
// schemas and answers 400 to anything else, so a malformed request can neither crash it nor be
// stored. Internal: not exported from the package.
import * as v from 'valibot';

const str = v.string();
const num = v.pipe(v.number(), v.finite());
const nullableStr = v.nullable(str);
/** JSON turns an `undefined` argument into `null`. */
const optionalStr = v.optional(v.nullable(str));

const challenge = v.object({
  nonce: str,
  message: str,
  address: str,
  domain: str,
  uri: str,
  chainId: str,
  issuedAt: num,
  expiresAt: num,
});

const session = v.object({
  id: str,
  address: str,
  createdAt: num,
  lastSeenAt: num,
  expiresAt: num,
  idleExpiresAt: num,
  userAgent: nullableStr,
  ip: nullableStr,
  fingerprintHash: str,
  revokedAt: v.nullable(num),
  revokedReason: nullableStr,
});

const mfa = v.object({
  address: str,
  totpSecretEnc: nullableStr,
  pendingSecretEnc: nullableStr,
  enabled: v.boolean(),
  backupCodeHashes: v.array(str),
  lastTotpStep: num,
  updatedAt: num,
});

const rotate = v.object({
  presentedHash: str,
  newHash: str,
  now: num,
  graceMs: num,
  retryMs: v.optional(v.nullable(num)),
  idleExpiresAt: num,
  graceBlob: str,
});

/** Each operation's argument list. */
export const OPERATIONS = {
  putChallenge: v.tuple([challenge]),
  consumeChallenge: v.tuple([str]),
  createSession: v.tuple([session, str]),
  getSession: v.tuple([str]),
  listSessions: v.tuple([str, num]),
  touchSession: v.tuple([str, num]),
  revokeSession: v.tuple([str, num, str]),
  revokeSessions: v.tuple([str, num, str, optionalStr]),
  rotateRefresh: v.tuple([rotate]),
  getMfa: v.tuple([str]),
  putMfa: v.tuple([mfa]),
  deleteMfa: v.tuple([str]),
  useTotpStep: v.tuple([str, num]),
  consumeBackupCode: v.tuple([str, str]),
  putOnce: v.tuple([str, str, num]),
  takeOnce: v.tuple([str]),
  /** A rate-limit counter: `[points, msLeft]` or `null`. */
  limiterGet: v.tuple([str]),
  /** Add `points` (or set them, `force`) to a counter whose window lasts `ms` (0: forever). */
  limiterUpsert: v.tuple([str, num, num, v.boolean()]),
  limiterDelete: v.tuple([str]),
} satisfies Record<string, v.GenericSchema<unknown, unknown[]>>;

/** An operation's name. */
export type Operation = keyof typeof OPERATIONS;

/** An operation's parsed arguments. */
export type OperationArgs<O extends Operation> = v.InferOutput<(typeof OPERATIONS)[O]>;

/** The origin of the object's URLs (never resolved: a stub's fetch goes to the object). */
export const ORIGIN = 'https://evrmore-auth-store';

/** A rate-limit counter as the object answers it: consumed points and ms left (-1: no expiry). */
export type LimiterCounter = [points: number, msLeft: number];
