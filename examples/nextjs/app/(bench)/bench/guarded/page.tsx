// The bench's guarded page: the same as ../plain, with the identity from auth().
import { headers } from 'next/headers';
import { auth } from '../../../../lib/auth';

export default async function Guarded() {
  await headers();
  const user = await auth();
  return <p>{user ? `Signed in as ${user.address}` : 'Hello'}</p>;
}
