/**
 * The wallet signing hook: where the address comes from and who signs the sign-in message.
 * Implement it to plug in any wallet; the package ships {@link injectedWalletSigner},
 * {@link manualSigner} and, in `@evrmore-auth/client/local-key`, `localKeySigner`.
 *
 * @example
 * ```ts
 * import type { Signer } from '@evrmore-auth/client';
 * const signer: Signer = {
 *   getAddress: async () => 'EK4BfWWMPTW82ig57MyGk6JCJgT8D9JTr5',
 *   signMessage: async (message) => myWallet.sign(message), // base64, 65 bytes
 * };
 * ```
 */
export interface Signer {
  /** The P2PKH address that will sign (may prompt the user to connect). */
  getAddress(): Promise<string>;
  /** Sign `message` with the address's key; resolves to the base64 65-byte compact signature. */
  signMessage(message: string): Promise<string>;
}
