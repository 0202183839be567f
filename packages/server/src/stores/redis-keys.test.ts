import { describe, expect, it } from 'vitest';
import { hashTag, redisKeys } from './redis-keys.js';

describe('redis key layout', () => {
  const k = redisKeys('app:auth:');

  it('keys one rotation script touches share the session hash tag (one cluster slot)', () => {
    const sid = 'sess-123';
    expect(hashTag(k.session(sid))).toBe(sid);
    expect(hashTag(k.history(sid))).toBe(sid);
    expect(hashTag(k.graceBlobs(sid))).toBe(sid);
  });

  it('MFA hash and backup-code set share the address hash tag', () => {
    expect(hashTag(k.mfa('EAddr'))).toBe('EAddr');
    expect(hashTag(k.mfaCodes('EAddr'))).toBe('EAddr');
  });

  it('different sessions and addresses hash on their own ids', () => {
    expect(hashTag(k.session('a'))).not.toBe(hashTag(k.session('b')));
    expect(hashTag(k.refresh('h1'))).toBe('h1');
    expect(k.challenge('n1')).toBe('app:auth:ch:{n1}');
  });

  it('hashTag follows the Redis Cluster rule (first {…}, non-empty)', () => {
    expect(hashTag('plain')).toBe('plain');
    expect(hashTag('a{}b{c}')).toBe('a{}b{c}');
    expect(hashTag('a{b}{c}')).toBe('b');
  });
});
