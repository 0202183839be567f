import { describe, expect, it } from 'vitest';
import { expectedHtu, normaliseHtu } from './htu.js';

describe('htu (RFC 9449 §4.3, RFC 3986 §6)', () => {
  it('normalises scheme and host case, the default port, dot segments and percent-encoding', () => {
    const same = [
      'https://api.example.com/auth/verify',
      'HTTPS://API.Example.COM/auth/verify',
      'https://api.example.com:443/auth/verify',
      'https://api.example.com/auth/./x/../verify',
      'https://api.example.com/auth/verify?x=1#frag',
    ];
    for (const u of same) expect(normaliseHtu(u)).toBe('https://api.example.com/auth/verify');
    expect(normaliseHtu('https://api.example.com/a%2fb')).toBe('https://api.example.com/a%2Fb');
    expect(normaliseHtu('http://api.example.com:80/x')).toBe('http://api.example.com/x');
    expect(normaliseHtu('https://api.example.com:8443/x')).toBe('https://api.example.com:8443/x');
  });

  it('refuses what is not an absolute http(s) URL without credentials', () => {
    for (const u of ['/auth/verify', 'ftp://a/b', 'https://u:p@a/b', 'not a url', 'x'.repeat(3000)])
      expect(normaliseHtu(u)).toBeNull();
  });

  it('behind a TLS-terminating proxy the expected htu is the https URL', () => {
    expect(expectedHtu('http://api.example.com/auth/refresh', true)).toBe(
      'https://api.example.com/auth/refresh',
    );
    expect(expectedHtu('http://api.example.com:443/auth/refresh', true)).toBe(
      'https://api.example.com/auth/refresh',
    );
    expect(expectedHtu('http://api.example.com/auth/refresh', false)).toBe(
      'http://api.example.com/auth/refresh',
    );
  });
});
