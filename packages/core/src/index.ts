export * from './errors.js';
export * from './problem.js';
export * from './networks.js';
export * from './address.js';
export * from './digest.js';
export * from './signature.js';
export * from './backend.js';
export * from './verify.js';
export * from './keys.js';
export * from './sign.js';
export * from './nonce.js';
export * from './sign-in-message.js';
export * from './wire.js';
export {
  base64ToBytes,
  bytesToBase64,
  bytesToBase64Url,
  bytesEqual,
  bytesToHex,
  hexToBytes,
  utf8ToBytes,
} from './encoding.js';
