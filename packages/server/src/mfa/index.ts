// Second factor: TOTP with backup codes (see the "MFA" section of the package README).
export {
  installMfa,
  mfaConfigOf,
  resolveMfaConfig,
  type MfaConfig,
  type ResolvedMfaConfig,
} from './config.js';
export {
  createSecretBox,
  decodeEncryptionKeys,
  SecretBoxError,
  type MfaEncryptionKey,
  type SecretBox,
  type SecretBoxOptions,
} from './secret-box.js';
export {
  generateTotpCode,
  generateTotpSecret,
  matchTotpCode,
  totpSecretBase32,
  totpStep,
  totpUri,
  TOTP_DIGITS,
  TOTP_PERIOD,
  type TotpUriOptions,
} from './totp.js';
export {
  BACKUP_CODE_LENGTH,
  containsHash,
  generateBackupCodes,
  hashBackupCode,
  normalizeBackupCode,
} from './backup-codes.js';
export { startMfaSignIn, type MfaPendingResult, type MfaTokenState } from './mfa-token.js';
export {
  checkSecondFactor,
  disableTotp,
  enableTotp,
  isMfaEnabled,
  reencryptMfaSecrets,
  setupTotp,
  verifyMfaSignIn,
  type MfaOperationOptions,
} from './service.js';
export {
  mfaRoutes,
  MfaCodeBodySchema,
  MfaVerifyBodySchema,
  type MfaRoute,
  type Respond,
} from './routes.js';
