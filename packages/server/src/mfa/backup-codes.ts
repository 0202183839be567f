// Backup codes: 80 random bits each, shown once, stored only as salted SHA-256 hashes.
import { sha256Base64Url, timingSafeEqualString, type RandomBytes } from '../crypto.js';

/** Crockford-style alphabet without I, L, O, U (no look-alikes). */
const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';

/**
 * Characters per backup code, without dashes (16 × 5 bits = 80 bits).
 *
 * @example
 * ```ts
 * normalizeBackupCode(code)?.length === BACKUP_CODE_LENGTH; // true for a valid code
 * ```
 */
export const BACKUP_CODE_LENGTH = 16;

/**
 * Generate `count` backup codes, formatted `xxxx-xxxx-xxxx-xxxx`.
 *
 * @example
 * ```ts
 * generateBackupCodes(webRandomBytes, 10); // ['k3m9-…', …]
 * ```
 */
export function generateBackupCodes(randomBytes: RandomBytes, count: number): string[] {
  const codes = new Set<string>();
  while (codes.size < count) {
    const raw = randomBytes(BACKUP_CODE_LENGTH);
    if (!(raw instanceof Uint8Array) || raw.length !== BACKUP_CODE_LENGTH)
      throw new TypeError(
        `randomBytes(${BACKUP_CODE_LENGTH}) must return ${BACKUP_CODE_LENGTH} bytes`,
      );
    // 256 is a multiple of 32: taking the low 5 bits is unbiased.
    let s = '';
    for (const b of raw) s += ALPHABET[b & 31];
    codes.add(s.match(/.{4}/g)!.join('-'));
  }
  return [...codes];
}

/**
 * The canonical form of what a user typed: lower case, without spaces and dashes; `null` when it
 * cannot be a backup code (wrong length or characters).
 *
 * @example
 * ```ts
 * normalizeBackupCode(' K3M9-ab12 cd34-ef56 '); // 'k3m9ab12cd34ef56'
 * ```
 */
export function normalizeBackupCode(input: string): string | null {
  const s = input.toLowerCase().replace(/[\s-]/g, '');
  if (s.length !== BACKUP_CODE_LENGTH) return null;
  for (const c of s) if (!ALPHABET.includes(c)) return null;
  return s;
}

/**
 * The stored form of a backup code: SHA-256 over a domain-separation tag, the address and the
 * normalized code (a hash copied to another address does not match there).
 *
 * @example
 * ```ts
 * const hash = await hashBackupCode(address, 'k3m9-ab12-cd34-ef56');
 * ```
 */
export async function hashBackupCode(address: string, code: string): Promise<string | null> {
  const normalized = normalizeBackupCode(code);
  if (normalized === null) return null;
  return sha256Base64Url(`evrmore-auth backup-code v1\n${address}\n${normalized}`);
}

/**
 * Whether `hash` is among `hashes`, comparing every entry in constant time (no early exit).
 *
 * @example
 * ```ts
 * if (containsHash(record.backupCodeHashes, hash)) await store.consumeBackupCode(address, hash);
 * ```
 */
export function containsHash(hashes: readonly string[], hash: string): boolean {
  let found = false;
  for (const h of hashes) found = timingSafeEqualString(h, hash) || found;
  return found;
}
