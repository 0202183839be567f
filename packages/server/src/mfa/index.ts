// Second factor: TOTP with backup codes (see the "MFA" section of the package README). The public
// part is the configuration; the rest is internal.
export type { MfaConfig } from './config.js';
export type { MfaEncryptionKey } from './secret-box.js';
