import type { Handle } from '@sveltejs/kit';
import { sequence } from '@sveltejs/kit/hooks';
import { evrmoreAuthHandle } from '@evrmore-auth/server/sveltekit';
import { auth } from '$lib/server/auth';

// The auth first: /auth/* routes, event.locals.auth, cookie refresh, CSRF, guarded paths.
const authHandle = evrmoreAuthHandle(auth, {
  protect: ['/account', '/api/notes'],
  signInPath: '/signin',
});

// Any later hook sees event.locals.auth.
const securityHeaders: Handle = async ({ event, resolve }) => {
  const response = await resolve(event);
  response.headers.set('x-frame-options', 'DENY');
  response.headers.set('referrer-policy', 'same-origin');
  return response;
};

export const handle = sequence(authHandle, securityHeaders);
