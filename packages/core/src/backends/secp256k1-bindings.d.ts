// `secp256k1/bindings.js` is the libsecp256k1 addon itself; `secp256k1` (index.js) silently falls
// back to a pure-JS elliptic implementation when the addon cannot load.
declare module 'secp256k1/bindings.js' {
  import secp256k1 from 'secp256k1';
  export default secp256k1;
}
