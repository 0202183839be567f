export { AuthProvider, useEvrmoreAuth } from './auth-provider.js';
export type { AuthProviderProps, InitialSession, UseEvrmoreAuthResult } from './auth-provider.js';
