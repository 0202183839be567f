// Next 16's proxy (middleware.ts before): refreshes an expired session cookie before the page
// renders, guards /dashboard (redirect) and /api/notes (401), refuses cross-site posts (403).
export { proxy } from './lib/auth';

export const config = {
  matcher: ['/((?!_next/static|_next/image|favicon.ico).*)'],
};
