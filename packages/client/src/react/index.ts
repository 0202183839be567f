export { AuthProvider, useEvrmoreAuth } from './auth-provider.js';
export type { AuthProviderProps, UseEvrmoreAuthResult } from './auth-provider.js';
