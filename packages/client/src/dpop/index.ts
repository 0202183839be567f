// @evrmore-auth/client/dpop: DPoP keys (RFC 9449) for `createAuthClient({ dpop })`. Its own entry so
// that the core bundle carries no DPoP code.
export { browserDpopKey } from './browser-key.js';
export type { BrowserDpopKeyOptions } from './browser-key.js';
export { memoryDpopKey, dpopKeyFromPair } from './memory-key.js';
export type { DpopKey, DpopProofOptions } from './dpop-key.js';
export type { DpopKeySource, DpopSendOptions } from '../dpop-key-source.js';
