// The one way options are validated (as request bodies are): a valibot schema, run once at
// start-up. A failure throws a TypeError naming the factory, the option's path and the problem:
// `createRateLimits: rateLimits.challenge.perIp.points must be an integer ≥ 1`.
//
// Messages in option schemas say what is wrong *without* the option's name (`must be a
// boolean`); `parseOptions` puts the path in front. An issue without a path (a check over the
// whole options object) carries its whole sentence.
import * as v from 'valibot';

/** Any valibot schema (sync). */
export type OptionsSchema = v.GenericSchema<unknown, unknown>;

/** How `parseOptions` writes an issue's path: `a.b[0].c` by default. */
function dotPath(issue: v.BaseIssue<unknown>): string {
  let out = '';
  for (const item of issue.path ?? []) {
    const key = item.key as unknown;
    out += typeof key === 'number' ? `[${key}]` : out === '' ? String(key) : `.${String(key)}`;
  }
  return out;
}

/**
 * Validate `input` against `schema` and return its output (defaults applied). Throws
 * `TypeError(`${caller}: ${path} ${message}`)` for the first issue; `root` is the option's own
 * name in front of every path (`rateLimits`), `quote` wraps the path (`` `keyPrefix` ``).
 *
 * @example
 * ```ts
 * const schema = options({ maxEntries: v.optional(integer(0, 10_000_000), 10_000) });
 * const { maxEntries } = parseOptions('createEvrmoreAuth', schema, input, { root: 'tokenCache' });
 * // TypeError: createEvrmoreAuth: tokenCache.maxEntries must be an integer from 0 to 10000000
 * ```
 */
export function parseOptions<S extends OptionsSchema>(
  caller: string,
  schema: S,
  input: unknown,
  options: { root?: string; quote?: (path: string) => string } = {},
): v.InferOutput<S> {
  // Not abortEarly: valibot then marks a failed pipe untyped, and a union reports its own
  // message instead of the matching option's (`trustedProxies[1] must be an IP address…`).
  const result = v.safeParse(schema, input);
  if (result.success) return result.output;
  const issue = result.issues[0];
  const relative = dotPath(issue);
  const root = options.root ?? '';
  let path =
    root === ''
      ? relative
      : relative === ''
        ? root
        : `${root}${relative.startsWith('[') ? '' : '.'}${relative}`;
  if (path !== '' && options.quote) path = options.quote(path);
  // a message may go on the path with a colon (`keys[0]: an HS256 key takes only a secret`)
  const gap = path === '' || issue.message.startsWith(':') ? '' : ' ';
  throw new TypeError(`${caller === '' ? '' : `${caller}: `}${path}${gap}${issue.message}`);
}

/** `must be an integer from min to max` (or `≥ min` without a max). */
function integerMessage(min: number, max: number | undefined): string {
  return max === undefined
    ? `must be an integer ≥ ${min}`
    : `must be an integer from ${min} to ${max}`;
}

/**
 * A safe integer from `min` to `max` (inclusive; no `max`: any safe integer ≥ `min`), with the
 * message `must be an integer from min to max` (or `≥ min`), or `message` if given.
 *
 * @example
 * ```ts
 * v.optional(integer(30, 86_400), 900)
 * ```
 */
export function integer(min: number, max?: number, message = integerMessage(min, max)) {
  return v.pipe(
    v.number(message),
    v.safeInteger(message),
    v.minValue(min, message),
    v.maxValue(max ?? Number.MAX_SAFE_INTEGER, message),
  );
}

/**
 * An optional positive integer option (`must be a positive integer`) with its default: the caps
 * and intervals of the stores.
 *
 * @example
 * ```ts
 * factoryOptions({ maxSessions: positiveInteger(100_000) })
 * ```
 */
export function positiveInteger(fallback: number) {
  return v.optional(integer(1, undefined, 'must be a positive integer'), fallback);
}

/**
 * A function of type `F` (`must be a function`, or `message`). As a default, wrap a function in
 * another (`v.optional(fn(), () => Date.now)`): valibot calls a function default to get the value.
 */
export function fn<F extends (...args: never[]) => unknown>(message = 'must be a function') {
  return v.custom<F>((x) => typeof x === 'function', message);
}

/**
 * An object with every one of `methods` (duck-typed: a store, a logger, a secp256k1 backend).
 *
 * @example
 * ```ts
 * const logger = withMethods<PinoLikeLogger>(['info', 'warn', 'error'], 'must have info, warn and error methods');
 * ```
 */
export function withMethods<T>(methods: readonly string[], message: v.ErrorMessage<v.CustomIssue>) {
  return v.custom<T>(
    (x) =>
      typeof x === 'object' &&
      x !== null &&
      methods.every((m) => typeof (x as Record<string, unknown>)[m] === 'function'),
    message,
  );
}

/** A boolean (`must be a boolean`). */
export const boolean = v.boolean('must be a boolean');

/**
 * The message of an object's key issue: an unknown key `is not a known option`; a missing
 * required one gets its own schema's message (`must be an AuthStore`), as if it were `undefined`.
 */
function keyMessage(entries: v.ObjectEntries) {
  return (issue: v.BaseIssue<unknown>): string => {
    if (issue.expected === 'never') return 'is not a known option';
    const key = issue.path?.at(-1)?.key as string;
    const missing = v.safeParse(entries[key] as OptionsSchema, undefined);
    return missing.success ? 'is required' : missing.issues[0].message;
  };
}

/**
 * A plain object (not an array, not null) with exactly these `entries`: any other key is
 * refused (`is not a known option`). `message` is for a value that is not an object.
 *
 * @example
 * ```ts
 * options({ points: integer(1), duration: integer(1) }, 'must be an object { points, duration }')
 * ```
 */
export function options<const E extends v.ObjectEntries>(
  entries: E,
  message = 'must be an object',
) {
  const object = v.strictObject(entries, keyMessage(entries));
  return v.pipe(
    v.custom<v.InferInput<typeof object>>(
      (x) => typeof x === 'object' && x !== null && !Array.isArray(x),
      message,
    ),
    object,
  );
}

/**
 * The options object of a factory: `options must be an object`, then `entries` (other keys are
 * ignored, as TypeScript already flags them). Pipe it into `v.check`s over the whole object.
 *
 * @example
 * ```ts
 * parseOptions('createMemoryStore', factoryOptions({ maxSessions: v.optional(integer(1), 100_000) }), options)
 * ```
 */
export function factoryOptions<const E extends v.ObjectEntries>(entries: E) {
  return v.pipe(
    v.custom<v.InferInput<v.ObjectSchema<E, undefined>>>(
      (x) => typeof x === 'object' && x !== null,
      'options must be an object',
    ),
    v.object(entries, keyMessage(entries)),
  );
}
