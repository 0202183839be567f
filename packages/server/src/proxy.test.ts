import { describe, expect, it } from 'vitest';
import { canonicalCidr } from './access/ip-lists.js';
import { ipAllowed } from './api-keys/schemas.js';
import {
  clientIp,
  inIpRanges,
  ipRateLimitKey,
  parseIp,
  parseIpRange,
  normaliseIp,
  requestIsHttps,
  resolveTrustedProxies,
} from './proxy.js';
import { createHarness, ORIGIN } from '../test/harness.js';

const headers = (h: Record<string, string>) => new Headers(h);
const trusted = (value: unknown) => resolveTrustedProxies(value, 'trustedProxies');

describe('parseIpRange: the one range parser of trusted proxies, IP lists and API keys', () => {
  it('reads addresses and CIDR ranges; an IPv4-mapped range is the IPv4 range', () => {
    expect(parseIpRange('10.0.0.0/8')?.map(String)).toEqual(['10.0.0.0', '8']);
    expect(parseIpRange('2001:db8::/32')?.map(String)).toEqual(['2001:db8::', '32']);
    expect(parseIpRange('::ffff:10.0.0.0/104')?.map(String)).toEqual(['10.0.0.0', '8']);
    expect(parseIpRange('203.0.113.7')?.map(String)).toEqual(['203.0.113.7', '32']);
    for (const bad of [
      '10.1/8',
      '10.0.0.0/33',
      '1.2.3.4/',
      '::/129',
      '::ffff:10.0.0.0/95',
      'x/8',
      '1.2.3.4:80/104', // a port is not part of a range (nor an IPv4-mapped form)
      '[2001:db8::]junk/32',
      'fe80::1%eth0/64',
    ])
      expect(parseIpRange(bad), bad).toBeNull();
  });

  it('matches the same way in all three places', () => {
    const ten = [parseIpRange('::ffff:10.0.0.0/104')!];
    expect(inIpRanges(parseIp('10.9.8.7')!, ten)).toBe(true);
    expect(inIpRanges(parseIp('::ffff:10.9.8.7')!, ten)).toBe(true);
    expect(inIpRanges(parseIp('11.0.0.1')!, ten)).toBe(false);
    // trusted proxies accept the mapped form, IP lists store it as IPv4, API keys match it
    expect(trusted(['::ffff:10.0.0.0/104'])).toEqual({ kind: 'ranges', ranges: ten });
    expect(canonicalCidr('::ffff:10.0.0.0/104')).toBe('10.0.0.0/8');
    expect(ipAllowed('10.9.8.7', ['::ffff:10.0.0.0/104'])).toBe(true);
    // a zone id means nothing in a rule: refused
    expect(() => canonicalCidr('fe80::1%eth0/64')).toThrow(/not an IP address or CIDR range/);
  });
});

describe('normaliseIp', () => {
  it('canonicalises IPv4, IPv6, mapped, bracketed, ported and zoned forms', () => {
    expect(normaliseIp('::ffff:127.0.0.2')).toBe('127.0.0.2');
    expect(normaliseIp('[2001:DB8:0:0::1]:443')).toBe('2001:db8::1');
    expect(normaliseIp('203.0.113.7:8080')).toBe('203.0.113.7');
    expect(normaliseIp('fe80::1%eth0')).toBe('fe80::1');
    expect(normaliseIp(' 198.51.100.1 ')).toBe('198.51.100.1');
  });

  it('refuses what is not an address, including the loose IPv4 forms', () => {
    for (const bad of ['', 'unknown', '127.1', '0x7f.0.0.1', '1.2.3.256', '::::', '[::1', null])
      expect(normaliseIp(bad)).toBeNull();
  });
});

describe('ipRateLimitKey', () => {
  const prefixes = { ipv4Prefix: 32, ipv6Prefix: 64 };
  it('keys IPv6 by its /64 and IPv4 by the address', () => {
    expect(ipRateLimitKey('2001:db8:1:2:3:4:5:6', prefixes)).toBe('2001:db8:1:2::/64');
    expect(ipRateLimitKey('2001:db8:1:2::ffff', prefixes)).toBe('2001:db8:1:2::/64');
    expect(ipRateLimitKey('::ffff:192.0.2.1', prefixes)).toBe('192.0.2.1');
    expect(ipRateLimitKey('192.0.2.1', { ipv4Prefix: 24, ipv6Prefix: 128 })).toBe('192.0.2.0/24');
    expect(ipRateLimitKey('2001:db8::1', { ipv4Prefix: 32, ipv6Prefix: 128 })).toBe('2001:db8::1');
    expect(ipRateLimitKey(null, prefixes)).toBeNull();
  });
});

describe('clientIp', () => {
  const xff = headers({ 'x-forwarded-for': '198.51.100.1, 10.0.0.9, 10.0.0.2' });
  it('uses the peer without trusted proxies', () => {
    expect(clientIp({ headers: xff }, '::ffff:127.0.0.2', null)).toBe('127.0.0.2');
    expect(clientIp({ headers: xff }, undefined, null)).toBeNull();
  });

  it('walks x-forwarded-for from the right, skipping trusted CIDR ranges', () => {
    expect(clientIp({ headers: xff }, '10.0.0.1', trusted(['10.0.0.0/24']))).toBe('198.51.100.1');
    expect(clientIp({ headers: xff }, '10.0.0.1', trusted(['10.0.0.1']))).toBe('10.0.0.2');
    // a peer outside the ranges cannot choose its address
    expect(clientIp({ headers: xff }, '203.0.113.9', trusted(['10.0.0.0/8']))).toBe('203.0.113.9');
    // a malformed entry before a trusted hop: unknown, never a guess
    const bad = headers({ 'x-forwarded-for': '198.51.100.1, garbage' });
    expect(clientIp({ headers: bad }, '10.0.0.1', trusted(['10.0.0.0/8']))).toBeNull();
  });

  it('takes the N-th from the right with a hop count, and an edge header as is', () => {
    expect(clientIp({ headers: xff }, '10.0.0.1', trusted(2))).toBe('10.0.0.9');
    const cf = headers({ 'cf-connecting-ip': '2001:db8::7', 'x-forwarded-for': '1.1.1.1' });
    expect(clientIp({ headers: cf }, '127.0.0.1', trusted({ header: 'CF-Connecting-IP' }))).toBe(
      '2001:db8::7',
    );
    expect(clientIp({ headers: xff }, '127.0.0.1', trusted({ header: 'cf-connecting-ip' }))).toBe(
      null,
    );
  });
});

describe('HSTS behind a TLS-terminating proxy', () => {
  const req = (url: string, proto?: string) => ({
    url,
    headers: headers(proto === undefined ? {} : { 'x-forwarded-proto': proto }),
  });

  it('believes x-forwarded-proto only from a trusted proxy', () => {
    expect(requestIsHttps(req('https://a.example/x'), null, null)).toBe(true);
    expect(requestIsHttps(req('http://a.example/x', 'https'), '10.0.0.2', null)).toBe(false);
    expect(
      requestIsHttps(req('http://a.example/x', 'https'), '10.0.0.2', trusted(['10.0.0.0/8'])),
    ).toBe(true);
    expect(
      requestIsHttps(req('http://a.example/x', 'https'), '192.0.2.1', trusted(['10.0.0.0/8'])),
    ).toBe(false);
    expect(requestIsHttps(req('http://a.example/x', 'http'), '10.0.0.2', trusted(1))).toBe(false);
  });

  it('the auth routes send HSTS behind a trusted proxy, and as configured', async () => {
    const get = async (config: Parameters<typeof createHarness>[0], proto: string) => {
      const h = await createHarness(config);
      const res = await h.auth.handler(
        new Request(`${ORIGIN.replace('https:', 'http:')}/auth/jwks.json`, {
          headers: { 'x-forwarded-proto': proto },
        }),
        { ip: '10.0.0.2' },
      );
      return res.headers.get('strict-transport-security');
    };
    expect(await get({ trustedProxies: ['10.0.0.2'] }, 'https')).toMatch(/max-age=\d+/);
    expect(await get({}, 'https')).toBeNull();
    expect(await get({ hsts: 'always' }, 'http')).toMatch(/max-age=\d+/);
    expect(await get({ trustedProxies: ['10.0.0.2'], hsts: 'never' }, 'https')).toBeNull();
  });
});
