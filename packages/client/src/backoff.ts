/**
 * Retry backoff of the client (`createAuthClient({ backoff })`): exponential, each delay drawn in
 * `[d/2, d]`.
 *
 * @example
 * ```ts
 * createAuthClient({ baseUrl: '/auth', backoff: { baseMs: 250, maxMs: 5000 } });
 * ```
 */
export interface BackoffOptions {
  /**
   * Delay before the first retry, ms; doubled on each further retry.
   * @default 500
   */
  baseMs?: number;
  /**
   * Upper bound of a single delay, ms.
   * @default 10000
   */
  maxMs?: number;
}

/**
 * Exponential backoff with full jitter: a delay in `[d/2, d]` where `d = min(maxMs, baseMs·2^attempt)`.
 *
 * @example
 * ```ts
 * backoffDelay(0, { baseMs: 500 }, Math.random); // 250..500
 * backoffDelay(3, { baseMs: 500 }, Math.random); // 2000..4000
 * ```
 */
export function backoffDelay(
  attempt: number,
  options: BackoffOptions,
  random: () => number,
): number {
  const base = options.baseMs ?? 500;
  const max = options.maxMs ?? 10_000;
  const d = Math.min(max, base * 2 ** attempt);
  return Math.round(d / 2 + (random() * d) / 2);
}
