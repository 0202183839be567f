'use client';
// The signed-in address's sessions (GET /auth/sessions), each revocable.
import type { SessionInfo } from '@evrmore-auth/client';
import { useEvrmoreAuth } from '@evrmore-auth/client/react';
import { useRouter } from 'next/navigation';
import { useCallback, useEffect, useState } from 'react';

export function SessionList() {
  const { client, isSignedIn } = useEvrmoreAuth();
  const router = useRouter();
  const [sessions, setSessions] = useState<SessionInfo[] | null>(null);
  const [error, setError] = useState<string | null>(null);

  const load = useCallback(async () => {
    try {
      setSessions(await client.listSessions());
      setError(null);
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    }
  }, [client]);

  useEffect(() => {
    if (isSignedIn) void load();
  }, [isSignedIn, load]);

  async function revoke(session: SessionInfo) {
    await client.revokeSession(session.id);
    if (session.current) router.refresh();
    else await load();
  }

  return (
    <section className="card" id="sessions">
      <h2>Sessions</h2>
      {error ? <p className="error">{error}</p> : null}
      {sessions === null ? (
        <p>Loading…</p>
      ) : (
        <ul>
          {sessions.map((s) => (
            <li key={s.id} data-session={s.id} data-current={s.current ? 'yes' : 'no'}>
              <code>{s.id.slice(0, 8)}…</code> {s.current ? '(this browser)' : ''} since{' '}
              {new Date(s.createdAt).toLocaleTimeString()}{' '}
              <button onClick={() => revoke(s)}>Revoke</button>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
