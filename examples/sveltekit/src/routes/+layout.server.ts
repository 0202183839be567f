import type { LayoutServerLoad } from './$types';

// The server's view of the session, for the first render (no flash of signed-out content).
export const load: LayoutServerLoad = ({ locals, depends }) => {
  depends('app:auth');
  return {
    auth: locals.auth ? { address: locals.auth.address, sessionId: locals.auth.sessionId } : null,
  };
};
