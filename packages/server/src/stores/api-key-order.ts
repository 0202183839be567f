// The order every store lists API keys in.
import type { ApiKeyRecord } from '../store.js';

/** Newest first, ties by id. */
export const byNewestKey = (a: ApiKeyRecord, b: ApiKeyRecord): number =>
  b.createdAt - a.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
