// The site's root layout (a server component): the session the server sees is handed to the
// client provider, so the first paint already shows who is signed in.
import type { ReactNode } from 'react';
import { auth } from '../../lib/auth';
import { Providers } from './providers';
import '../globals.css';

export const metadata = { title: 'evrmore-auth × Next.js' };

export default async function SiteLayout({ children }: { children: ReactNode }) {
  const user = await auth();
  return (
    <html lang="en">
      <body>
        <Providers initialSession={user ? { address: user.address } : null}>
          <header>
            <a href="/">evrmore-auth × Next.js</a>
            <nav>
              <a href="/">Home</a>
              <a href="/dashboard">Dashboard (protected)</a>
            </nav>
          </header>
          <main>{children}</main>
        </Providers>
      </body>
    </html>
  );
}
