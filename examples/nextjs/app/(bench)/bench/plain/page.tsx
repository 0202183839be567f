// The bench's baseline: the same page as ../guarded, without the auth() call.
import { headers } from 'next/headers';

export default async function Plain() {
  const h = await headers(); // dynamic, like the guarded page
  const user = h.get('x-bench') === 'never' ? { address: '-' } : null;
  return <p>{user ? `Signed in as ${user.address}` : 'Hello'}</p>;
}
