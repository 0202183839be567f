// The identity the auth's handle hook puts on every request (null when signed out).
import type { AuthIdentity } from '@evrmore-auth/server';

declare global {
  namespace App {
    interface Locals {
      auth: AuthIdentity | null;
    }
  }
}

export {};
