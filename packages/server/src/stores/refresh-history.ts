// Limits shared by the stores' refresh-token families (internal: not exported from the package).

/**
 * Rotated refresh hashes a store keeps per session for reuse detection, newest first; older ones
 * are forgotten (with their lookup and grace blob). 32 covers 8 hours of continuous use at the
 * default 15-minute access-token lifetime, or a month of daily refreshes, at a few KB per session
 * at most. A token older than that answers `invalid` instead of `reused`: still refused, but it no
 * longer revokes the session.
 */
export const REFRESH_HISTORY_LIMIT = 32;
