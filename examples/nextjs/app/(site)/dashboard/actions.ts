'use server';
// Server actions are POSTs: auth() checks the session cookie and the request's Origin (CSRF).
import { revalidatePath } from 'next/cache';
import { auth } from '../../../lib/auth';
import { addNote } from '../../../lib/notes';

export async function addNoteAction(form: FormData): Promise<void> {
  const user = await auth(); // throws csrf_rejected (403) for a post from another origin
  if (!user) return;
  addNote(user.address, String(form.get('text') ?? ''));
  revalidatePath('/dashboard');
}
