// Every evrmore-auth route (/auth/challenge, /auth/verify, /auth/refresh, /auth/sessions, …).
import { handlers } from '../../../lib/auth';

export const { GET, POST, DELETE, OPTIONS } = handlers;
