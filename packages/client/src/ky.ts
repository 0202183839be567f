import ky, { type KyInstance, type Options } from 'ky';
import type { AuthClient } from './client.js';

/**
 * A `ky` instance whose requests go through `auth.fetch`: the token (and DPoP proof), the
 * origin's credentials mode (see `allowedOrigins`; ky's own `credentials` option is not used),
 * and one refresh + retry on a 401. In its own entry point (`@evrmore-auth/client/ky`) so that ky stays
 * out of the core bundle of apps that do not use it.
 *
 * @example
 * ```ts
 * import { createAuthKy } from '@evrmore-auth/client/ky';
 * const api = createAuthKy(auth, { prefixUrl: 'https://api.example.com' });
 * const profile = await api.get('profile').json();
 * ```
 */
export function createAuthKy(auth: AuthClient, options: Options = {}): KyInstance {
  if (typeof auth?.fetch !== 'function')
    throw new TypeError('createAuthKy: auth must be an AuthClient');
  return ky.create({ ...options, fetch: (input, init) => auth.fetch(input, init) });
}

export type { KyInstance, Options as KyOptions } from 'ky';
