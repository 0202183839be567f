// Root layout of the two bench pages (no auth, no client): `pnpm bench nextjs` compares them.
import type { ReactNode } from 'react';

export default function BenchLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <body>{children}</body>
    </html>
  );
}
