// The storage layout of EvrmoreAuthStoreObject (internal; tests read it to look inside an object).

/** Kinds of expiring entries: challenges, once-values, sessions, rate-limit counters. */
export type Kind = 'c' | 'o' | 's' | 'l';

/** The latest time an index entry can carry (a counter without a window). */
export const NEVER = Number.MAX_SAFE_INTEGER;

/** Each record's key. A variable part that another one could prefix carries its length. */
export const storageKeys = {
  challenge: (nonce: string) => `c:${nonce}`,
  once: (key: string) => `o:${key}`,
  session: (id: string) => `s:${id}`,
  /** Refresh hash (current or remembered) -> session id. */
  refresh: (hash: string) => `r:${hash}`,
  /** The prefix of a session's grace blobs (`+ hash`). */
  blobs: (sid: string) => `g:${sid.length}:${sid}:`,
  blob: (sid: string, hash: string) => `g:${sid.length}:${sid}:${hash}`,
  /** The prefix of an address's session index (`+ session id`). */
  address: (address: string) => `a:${address.length}:${address}:`,
  mfa: (address: string) => `m:${address}`,
  /** An API key's record; `apiKeys` is the prefix of them all. */
  apiKey: (id: string) => `k:${id}`,
  apiKeys: 'k:',
  counter: (key: string) => `l:${key}`,
  /** Every IP allow/deny rule, in one array (operators' lists are small). */
  ipRules: 'i',
  /** Entry counts per kind. */
  counts: 'n',
  /** The prefix of the expiry index of one kind (`+ 16-digit time + ':' + record key`). */
  index: (kind: Kind) => `x${kind}:`,
};

const pad = (at: number) => String(Math.min(NEVER, Math.max(0, Math.floor(at)))).padStart(16, '0');

/** The expiry index entry of record `target` (its value is `target`). */
export const indexKey = (kind: Kind, at: number, target: string) =>
  `${storageKeys.index(kind)}${pad(at)}:${target}`;

/** The due time an index entry's key carries. */
export const indexTime = (indexEntry: string) => Number(indexEntry.slice(3, 19));

/** The index range of every entry of `kind` due at or before `at`. */
export const dueRange = (kind: Kind, at: number) => ({
  start: storageKeys.index(kind),
  end: `${storageKeys.index(kind)}${pad(at)};`,
});
