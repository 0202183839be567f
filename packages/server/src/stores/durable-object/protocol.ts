// The wire between durableObjectStore (in any isolate) and EvrmoreAuthStoreObject: a POST to
// `https://evrmore-auth-store/<operation>` whose body is the JSON array of the operation's
// arguments, answered 200 with the JSON result. The object checks every body against these
// schemas and answers 400 to anything else, so a malformed request can neither crash it nor be
// stored. Internal: not exported from the package.
import * as v from 'valibot';

const str = v.string();
/** A string that becomes part of a storage key (keys are limited to 2 KiB). */
const key = v.pipe(v.string(), v.maxLength(1024));
const num = v.pipe(v.number(), v.finite());
const nullableStr = v.nullable(str);
// Records are loose objects: their known fields are checked, and a field added to a record later
// is stored and returned as is rather than silently dropped by an object running older code.

/** JSON turns an `undefined` argument into `null`. */
const optionalStr = v.optional(v.nullable(str));

const challenge = v.looseObject({
  nonce: key,
  message: str,
  address: str,
  domain: str,
  uri: str,
  chainId: str,
  issuedAt: num,
  expiresAt: num,
});

const session = v.looseObject({
  id: key,
  address: key,
  createdAt: num,
  lastSeenAt: num,
  expiresAt: num,
  idleExpiresAt: num,
  userAgent: nullableStr,
  ip: nullableStr,
  fingerprintHash: str,
  revokedAt: v.nullable(num),
  revokedReason: nullableStr,
  dpopJkt: v.optional(nullableStr, null),
});

const mfa = v.looseObject({
  address: key,
  totpSecretEnc: nullableStr,
  pendingSecretEnc: nullableStr,
  enabled: v.boolean(),
  backupCodeHashes: v.array(str),
  lastTotpStep: num,
  updatedAt: num,
});

const apiKey = v.looseObject({
  id: key,
  prefix: str,
  hash: str,
  owner: key,
  name: nullableStr,
  permissions: v.array(str),
  createdAt: num,
  expiresAt: v.nullable(num),
  ipAllowList: v.nullable(v.array(str)),
  revokedAt: v.nullable(num),
  lastUsedAt: v.nullable(num),
});

const rotate = v.looseObject({
  presentedHash: key,
  newHash: key,
  now: num,
  graceMs: num,
  retryMs: v.optional(v.nullable(num)),
  idleExpiresAt: num,
  graceBlob: str,
});

const ipList = v.picklist(['allow', 'deny']);
const ipRule = v.looseObject({
  list: ipList,
  cidr: key,
  note: nullableStr,
  createdAt: num,
  expiresAt: v.nullable(num),
});

/** The session cap of `createSession` (`null`: none). */
const limit = v.object({
  max: v.pipe(v.number(), v.integer(), v.minValue(1)),
  onLimit: v.picklist(['evict-oldest', 'refuse']),
});

/** Each operation's argument list. */
export const OPERATIONS = {
  putChallenge: v.tuple([challenge]),
  consumeChallenge: v.tuple([key]),
  createSession: v.tuple([session, key, v.optional(v.nullable(limit))]),
  getSession: v.tuple([key]),
  listSessions: v.tuple([key, num]),
  touchSession: v.tuple([key, num, v.optional(v.nullable(num))]),
  revokeSession: v.tuple([key, num, str]),
  revokeSessions: v.tuple([key, num, str, optionalStr]),
  rotateRefresh: v.tuple([rotate]),
  getMfa: v.tuple([key]),
  putMfa: v.tuple([mfa]),
  deleteMfa: v.tuple([key]),
  useTotpStep: v.tuple([key, num]),
  consumeBackupCode: v.tuple([key, str]),
  putApiKey: v.tuple([apiKey]),
  getApiKey: v.tuple([key]),
  /** JSON turns an absent owner into `null`: every key. */
  listApiKeys: v.tuple([optionalStr]),
  revokeApiKey: v.tuple([key, num]),
  touchApiKey: v.tuple([key, num]),
  putOnce: v.tuple([key, str, num]),
  takeOnce: v.tuple([key]),
  /** A rate-limit counter: `[points, msLeft]` or `null`. */
  limiterGet: v.tuple([key]),
  /** Add `points` (or set them, `force`) to a counter whose window lasts `ms` (0: forever). */
  limiterUpsert: v.tuple([key, num, num, v.boolean()]),
  limiterDelete: v.tuple([key]),
  putIpRule: v.tuple([ipRule]),
  removeIpRule: v.tuple([ipList, key]),
  listIpRules: v.tuple([num]),
} satisfies Record<string, v.GenericSchema<unknown, unknown[]>>;

/** An operation's name. */
export type Operation = keyof typeof OPERATIONS;

/** An operation's parsed arguments. */
export type OperationArgs<O extends Operation> = v.InferOutput<(typeof OPERATIONS)[O]>;

/** The origin of the object's URLs (never resolved: a stub's fetch goes to the object). */
export const ORIGIN = 'https://evrmore-auth-store';

/** A rate-limit counter as the object answers it: consumed points and ms left (-1: no expiry). */
export type LimiterCounter = [points: number, msLeft: number];
