// A protected page: the proxy redirects signed-out visitors before it renders, and
// requireAuth() checks again here (a revoked session is caught even if its cookie looks fresh).
import { listNotes } from '../../../lib/notes';
import { requireAuth } from '../../../lib/auth';
import { addNoteAction } from './actions';

export default async function Dashboard() {
  const user = await requireAuth('/dashboard');
  const notes = listNotes(user.address);
  return (
    <section className="card">
      <h1>Dashboard</h1>
      <p id="dashboard-address">
        Only for <code>{user.address}</code>.
      </p>
      <h2>Notes</h2>
      <ul id="notes">
        {notes.map((n, i) => (
          <li key={i}>{n}</li>
        ))}
      </ul>
      {/* A server action: a POST that auth() holds to the session and the CSRF rule. */}
      <form action={addNoteAction} className="row">
        <input name="text" placeholder="A note" required maxLength={200} />
        <button id="add-note">Add note (server action)</button>
      </form>
      {/* The same with a plain form post to a route handler. */}
      <form action="/api/notes" method="post" className="row">
        <input name="text" placeholder="Another note" required maxLength={200} />
        <button id="post-note">Add note (form post)</button>
      </form>
    </section>
  );
}
