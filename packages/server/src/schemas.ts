// Request body schemas (valibot): strict objects, bounded strings, typed 400s.
import { EvrmoreAuthError, MAX_SIGN_IN_MESSAGE_LENGTH } from '@evrmore-auth/core';
import * as v from 'valibot';

/** Longest address accepted before decoding (real ones are 34 characters). */
const MAX_ADDRESS = 64;

/**
 * `POST /auth/challenge` body.
 *
 * @example
 * ```ts
 * v.parse(ChallengeBodySchema, { address: 'E…' });
 * ```
 */
export const ChallengeBodySchema = v.strictObject({
  address: v.pipe(v.string(), v.minLength(1), v.maxLength(MAX_ADDRESS)),
});

/**
 * `POST /auth/verify` body.
 *
 * @example
 * ```ts
 * v.parse(VerifyBodySchema, { message, signature });
 * ```
 */
export const VerifyBodySchema = v.strictObject({
  message: v.pipe(v.string(), v.minLength(1), v.maxLength(MAX_SIGN_IN_MESSAGE_LENGTH)),
  signature: v.pipe(v.string(), v.minLength(1), v.maxLength(200)),
});

/**
 * The `{}` body of `/auth/refresh` and `/auth/logout`.
 *
 * @example
 * ```ts
 * v.parse(EmptyBodySchema, {});
 * ```
 */
export const EmptyBodySchema = v.strictObject({});

/**
 * Parse `body` with `schema`, or throw `EvrmoreAuthError('invalid_request')` naming the field
 * (never echoing its value).
 *
 * @example
 * ```ts
 * const { address } = parseBody(ChallengeBodySchema, await readJsonBody(request, { allowEmpty: false }));
 * ```
 */
export function parseBody<S extends v.GenericSchema>(schema: S, body: unknown): v.InferOutput<S> {
  const result = v.safeParse(schema, body);
  if (result.success) return result.output;
  const issue = result.issues[0];
  const path = issue.path?.map((p) => String(p.key)).join('.') ?? '';
  const what =
    issue.type === 'strict_object' && issue.path
      ? `unknown field "${path.slice(0, 64)}"`
      : issue.type === 'max_length'
        ? `field "${path}" is too long`
        : path
          ? `field "${path}" is missing or not a valid ${issue.expected ?? 'value'}`
          : 'the body must be a JSON object';
  throw new EvrmoreAuthError('invalid_request', { detail: what });
}
