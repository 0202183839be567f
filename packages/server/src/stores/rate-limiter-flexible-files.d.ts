// rate-limiter-flexible's per-class files (see rate-limiter-flexible.ts): CommonJS modules whose
// `module.exports` is the class. Typed where they are imported, from the package's types.d.ts.
declare module 'rate-limiter-flexible/lib/*.js' {
  const value: unknown;
  export default value;
}
