import { error, fail, redirect } from '@sveltejs/kit';
import { addNote, notesOf } from '$lib/server/notes';
import type { Actions, PageServerLoad } from './$types';

// The hook already guards /account (protect); the checks here keep the page safe if that list
// changes.
export const load: PageServerLoad = ({ locals, url }) => {
  if (!locals.auth) redirect(303, `/signin?redirectTo=${encodeURIComponent(url.pathname)}`);
  return {
    address: locals.auth.address,
    sessionId: locals.auth.sessionId,
    notes: notesOf(locals.auth.address),
  };
};

export const actions: Actions = {
  // A form post guarded by the session: the hook refused it already if it came from another
  // origin (403) or without a session (401).
  note: async ({ locals, request }) => {
    if (!locals.auth) error(401, 'sign in first');
    const text = (await request.formData()).get('note');
    if (typeof text !== 'string' || text.trim() === '' || text.length > 200)
      return fail(400, { message: 'a note is 1 to 200 characters' });
    addNote(locals.auth.address, text.trim());
    return { added: text.trim() };
  },
};
