// Home: rendered on the server with the signed-in address (from the session cookie), plus the
// sign-in panel and the session list, which run in the browser.
import { auth } from '../../lib/auth';
import { SessionList } from './session-list';
import { SignInPanel } from './sign-in-panel';

export default async function Home({ searchParams }: { searchParams: Promise<{ next?: string }> }) {
  const user = await auth();
  const { next } = await searchParams;
  return (
    <>
      <section className="card">
        <h1>Server-rendered session</h1>
        {user ? (
          <p id="server-status" data-state="signed-in">
            Signed in as <code id="server-address">{user.address}</code> (rendered on the server)
          </p>
        ) : (
          <p id="server-status" data-state="signed-out">
            Signed out (rendered on the server)
          </p>
        )}
        {next && !user ? (
          <p id="redirected" className="note">
            Sign in to open <code>{next}</code>.
          </p>
        ) : null}
      </section>
      <SignInPanel />
      {user ? <SessionList /> : null}
    </>
  );
}
