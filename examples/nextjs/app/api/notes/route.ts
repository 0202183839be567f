// A plain form post endpoint guarded by the session cookie (and the CSRF rule: a post from another
// origin is refused with 403 before anything happens).
import { EvrmoreAuthError } from '@evrmore-auth/server';
import { auth, evrmore } from '../../../lib/auth';
import { addNote, listNotes } from '../../../lib/notes';

export async function GET(request: Request): Promise<Response> {
  try {
    const user = await auth(request);
    if (!user) throw new EvrmoreAuthError('token_missing');
    return Response.json({ notes: listNotes(user.address) });
  } catch (err) {
    return evrmore.errorResponse(err, request);
  }
}

export async function POST(request: Request): Promise<Response> {
  try {
    const user = await auth(request);
    if (!user) throw new EvrmoreAuthError('token_missing');
    const form = await request.formData();
    addNote(user.address, String(form.get('text') ?? ''));
    // A relative Location: behind `next start`, request.url names the host Next binds to, which
    // may not be the one the browser used (cookies belong to that one).
    return new Response(null, { status: 303, headers: { location: '/dashboard' } });
  } catch (err) {
    return evrmore.errorResponse(err, request);
  }
}
