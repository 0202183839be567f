import { error, json } from '@sveltejs/kit';
import { addNote, notesOf } from '$lib/server/notes';
import type { RequestHandler } from './$types';

// The same notes as an endpoint (guarded by the hook: 401 signed out, 403 from another origin).
export const GET: RequestHandler = ({ locals }) => {
  if (!locals.auth) error(401, 'sign in first');
  return json({ notes: notesOf(locals.auth.address) });
};

export const POST: RequestHandler = async ({ locals, request }) => {
  if (!locals.auth) error(401, 'sign in first');
  const text = (await request.text()).trim();
  if (text === '' || text.length > 200) error(400, 'a note is 1 to 200 characters');
  addNote(locals.auth.address, text);
  return json({ notes: notesOf(locals.auth.address) }, { status: 201 });
};
