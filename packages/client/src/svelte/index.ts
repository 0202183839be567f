export { authStore } from './auth-store.js';
export type { AuthStoreOptions, EvrmoreAuthStore, InitialSession } from './auth-store.js';
