import { isIPv4, isIPv6 } from 'node:net';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isIPv4address, isIPv6address, isSegment, isUri, parseHostPort } from './rfc3986.js';

// The URI vectors of test/vectors/sign-in-message-grammar.json run through sign-in-message.test.ts;
// these test the productions on their own, and against independent implementations.

describe('IPv4address', () => {
  it('accepts dec-octets 0–255 and refuses everything else', () => {
    for (const ok of ['0.0.0.0', '255.255.255.255', '192.0.2.1', '10.200.249.99'])
      expect(isIPv4address(ok), ok).toBe(true);
    for (const bad of ['256.0.0.0', '1.2.3', '1.2.3.4.5', '01.2.3.4', '1.2.3.04', '1..2.3', ''])
      expect(isIPv4address(bad), bad).toBe(false);
  });

  it('agrees with node:net isIPv4 on every dotted quad of 0–999 octets', () => {
    const octet = fc.oneof(
      fc.integer({ min: 0, max: 999 }).map(String),
      fc.constantFrom('00', '07', '010'),
    );
    fc.assert(
      fc.property(fc.array(octet, { minLength: 4, maxLength: 4 }), (parts) => {
        const s = parts.join('.');
        expect(isIPv4address(s)).toBe(isIPv4(s));
      }),
      { numRuns: 2000 },
    );
  });
});

describe('IPv6address', () => {
  it('accepts each of the nine RFC 3986 forms', () => {
    for (const ok of [
      '1:2:3:4:5:6:7:8',
      '1:2:3:4:5:6:1.2.3.4',
      '::2:3:4:5:6:7:8',
      '::2:3:4:5:6:1.2.3.4',
      '1::3:4:5:6:7:8',
      '1:2::4:5:6:7:8',
      '1:2:3::5:6:7:8',
      '1:2:3:4::6:7:8',
      '1:2:3:4:5::7:8',
      '1:2:3:4:5:6::8',
      '1:2:3:4:5:6:7::',
      '::ffff:192.0.2.1',
      '::',
      '::1',
      'fe80::',
      'FFFF:abcd::',
    ])
      expect(isIPv6address(ok), ok).toBe(true);
  });

  it('refuses malformed addresses', () => {
    for (const bad of [
      '',
      ':',
      ':::',
      '::::::',
      '..',
      '1.2.3.4',
      '1:2:3:4:5:6:7',
      '1:2:3:4:5:6:7:8:9',
      '1::2::3',
      '12345::',
      ':1:2:3:4:5:6:7',
      '1:2:3:4:5:6:7:',
      '1:2:3:4:5:6:7:1.2.3.4',
      '::1.2.3.256',
      '::1.2.3',
      '1.2.3.4::',
      'fe80::1%eth0',
      'g::',
    ])
      expect(isIPv6address(bad), bad).toBe(false);
  });

  it('agrees with node:net isIPv6 on generated candidates (zone identifiers aside)', () => {
    // Mostly well-formed pieces, so that about half the candidates are addresses.
    const h16 = fc.oneof(
      { weight: 9, arbitrary: fc.stringMatching(/^[0-9a-fA-F]{1,4}$/) },
      { weight: 1, arbitrary: fc.stringMatching(/^[0-9a-fA-F]{5}$/) },
    );
    const octet = fc.oneof(
      { weight: 9, arbitrary: fc.integer({ min: 0, max: 255 }) },
      { weight: 1, arbitrary: fc.integer({ min: 256, max: 999 }) },
    );
    const ipv4 = fc
      .oneof(
        { weight: 9, arbitrary: fc.array(octet, { minLength: 4, maxLength: 4 }) },
        { weight: 1, arbitrary: fc.array(octet, { minLength: 3, maxLength: 5 }) },
      )
      .map((o) => o.join('.'));
    const candidate = fc
      .record({
        pieces: fc.array(h16, { maxLength: 9 }),
        at: fc.nat(9),
        compressed: fc.boolean(),
        tail: fc.option(ipv4, { nil: undefined }),
      })
      .map(({ pieces, at, compressed, tail }) => {
        const left = pieces.slice(0, at);
        const right = tail === undefined ? pieces.slice(at) : [...pieces.slice(at), tail];
        return compressed ? `${left.join(':')}::${right.join(':')}` : [...left, ...right].join(':');
      });
    fc.assert(
      fc.property(candidate, (s) => {
        expect(isIPv6address(s), s).toBe(isIPv6(s));
      }),
      { numRuns: 5000 },
    );
  });
});

describe('parseHostPort (host [ ":" port ])', () => {
  it('splits IP-literals, IPv4 addresses and reg-names from the port', () => {
    expect(parseHostPort('example.com:8443')).toEqual({ host: 'example.com', port: '8443' });
    expect(parseHostPort('[::1]:3000')).toEqual({ host: '[::1]', port: '3000' });
    expect(parseHostPort('[v1.x:y]')).toEqual({ host: '[v1.x:y]', port: undefined });
    expect(parseHostPort('192.0.2.1')).toEqual({ host: '192.0.2.1', port: undefined });
    expect(parseHostPort("a_b!$&'()*+,;=%41~")).toEqual({
      host: "a_b!$&'()*+,;=%41~",
      port: undefined,
    });
    // RFC 3986 allows an empty reg-name and an empty port; the sign-in domain refuses both.
    expect(parseHostPort('')).toEqual({ host: '', port: undefined });
    expect(parseHostPort(':')).toEqual({ host: '', port: '' });
  });

  it('refuses userinfo, paths, bad IP-literals and bad percent-encoding', () => {
    for (const bad of [
      'user@example.com',
      'example.com/x',
      'example.com:80:80',
      'example.com:8a',
      '[..]',
      '[1.2.3.4]',
      '[::::::]',
      '[::1',
      '::1',
      'ex%zzample.com',
      'exa mple.com',
      'exämple.com',
    ])
      expect(parseHostPort(bad), bad).toBeUndefined();
  });
});

describe('segment (*pchar)', () => {
  it('is unreserved, pct-encoded, sub-delims, ":" and "@"', () => {
    expect(isSegment('')).toBe(true);
    expect(isSegment("aZ09-._~%2F!$&'()*+,;=:@")).toBe(true);
    for (const bad of ['/', '?', '#', '%', '%2', '%GG', ' ', '"', '[', ']', 'é'])
      expect(isSegment(bad), bad).toBe(false);
  });
});

describe('URI', () => {
  it('accepts the URLs fast-check builds from RFC 3986 (with queries and fragments)', () => {
    fc.assert(
      fc.property(
        fc.webUrl({
          withQueryParameters: true,
          withFragments: true,
          validSchemes: ['https', 'x-y+z.1'],
        }),
        (url) => {
          expect(isUri(url), url).toBe(true);
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('refuses any printable ASCII character outside the URI alphabet, wherever it is', () => {
    for (const c of ' "<>\\^`{|}') {
      for (const uri of [`https://a${c}b/`, `https://a/${c}`, `https://a/?${c}`, `https://a/#${c}`])
        expect(isUri(uri), uri).toBe(false);
    }
  });

  it('runs in linear time on long inputs that fail at the end', () => {
    const start = performance.now();
    for (const body of ['a', '%41', '/a', '@', ':', '1.']) {
      const long = body.repeat(Math.ceil(20_000 / body.length));
      for (const uri of [
        `a://${long}^`,
        `a:${long}^`,
        `a://${long}@${long}^`,
        `a:?${long}#${long}#`,
      ])
        expect(isUri(uri)).toBe(false);
    }
    expect(performance.now() - start).toBeLessThan(1000);
  });
});
