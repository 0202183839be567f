// eslint-disable-next-line @typescript-eslint/triple-slash-reference -- an ambient declaration (no module to import): programs that compile this file through an import (bench, tests) need it too
/// <reference path="./rate-limiter-flexible-files.d.ts" />
// rate-limiter-flexible's classes by deep path, one file each. The package's index requires every
// backend it supports (Mongo, MySQL, DynamoDB, Prisma, Etcd, cluster, ...), so importing from it
// puts all of them in a Worker or browser bundle (about 71 KB of a 221 KB minified Worker) and
// loads them on Node. The files are CommonJS (`module.exports = Class`, no `exports` map); their
// types are the package's own (types.d.ts), applied here. The other stores import their
// limiter the same way, in their own files (each subpath carries only its backend).
import type * as Rlf from 'rate-limiter-flexible';
import Memory from 'rate-limiter-flexible/lib/RateLimiterMemory.js';
import Res from 'rate-limiter-flexible/lib/RateLimiterRes.js';

/** rate-limiter-flexible's in-process limiter. */
export const RateLimiterMemory = Memory as typeof Rlf.RateLimiterMemory;
export type RateLimiterMemory = Rlf.RateLimiterMemory;
/** The result a limiter resolves (or rejects, when points are spent) with. */
export const RateLimiterRes = Res as typeof Rlf.RateLimiterRes;
export type RateLimiterRes = Rlf.RateLimiterRes;
