// What the network tells about a request: the client IP (from the peer, or from a trusted proxy's
// header), whether the client used HTTPS, and the key an IP is rate-limited under (IPv6 by
// prefix, so one /64 is one client). IP parsing and CIDR matching are ipaddr.js's.
import ipaddr from 'ipaddr.js';
import * as v from 'valibot';
import { integer, parseOptions } from './config/validate.js';
import type { HeaderReader } from './http/request.js';

/**
 * Who may tell the server the client's address (`createEvrmoreAuth({ trustedProxies })`):
 * - a number N: N reverse proxies always stand in front of the server; the client is the N-th
 *   address from the right of `x-forwarded-for`;
 * - a list of IP addresses and CIDR ranges (`'10.0.0.0/8'`, `'::1'`): when the peer is in the
 *   list, `x-forwarded-for` is walked from the right, skipping listed addresses;
 * - `{ header }`: every request passes through an edge that sets this header to the client's
 *   address (`cf-connecting-ip` on Cloudflare, `fly-client-ip` on Fly.io); it is believed as is.
 *
 * @example
 * ```ts
 * const trustedProxies: TrustedProxies = ['10.0.0.0/8', '::1'];
 * ```
 */
export type TrustedProxies =
  | number
  | string[]
  | {
      /** The header the edge sets to the client's address, e.g. `cf-connecting-ip`. */
      header: string;
    };

/** {@link TrustedProxies} after validation. */
export type ResolvedTrustedProxies =
  | { kind: 'hops'; hops: number }
  | { kind: 'ranges'; ranges: IpRange[] }
  | { kind: 'header'; header: string };

const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]{1,64}$/;

/**
 * Validate `trustedProxies`; `null` when absent. Throws `TypeError` naming the bad entry.
 *
 * @example
 * ```ts
 * resolveTrustedProxies(['10.0.0.0/8'], 'createEvrmoreAuth: trustedProxies');
 * ```
 */
export function resolveTrustedProxies(value: unknown, name: string): ResolvedTrustedProxies | null {
  if (value === undefined) return null;
  // `name` is the option's name, after its factory's if any: 'createEvrmoreAuth: trustedProxies'
  const [caller, root] = name.includes(': ') ? name.split(': ', 2) : ['', name];
  const trusted = parseOptions(caller!, TRUSTED_PROXIES, value, { root: root! });
  if (typeof trusted === 'number') return { kind: 'hops', hops: trusted };
  if (Array.isArray(trusted))
    return { kind: 'ranges', ranges: trusted.map((entry) => parseIpRange(entry as string)!) };
  return { kind: 'header', header: trusted.header.toLowerCase() };
}

const USAGE =
  'must be a hop count from 1 to 16, a list of IP addresses or CIDR ranges, or { header }';
const RANGE = 'must be an IP address or a CIDR range like 10.0.0.0/8';
/** {@link TrustedProxies}: a hop count, a list of ranges or `{ header }`. */
const TRUSTED_PROXIES = v.union(
  [
    integer(1, 16, USAGE),
    v.pipe(
      v.array(
        v.pipe(
          v.unknown(),
          v.check((entry) => typeof entry === 'string' && parseIpRange(entry) !== null, RANGE),
        ),
      ),
      v.nonEmpty(USAGE),
    ),
    v.pipe(
      v.strictObject({ header: v.string() }),
      v.check((o) => HEADER_NAME.test(o.header), USAGE),
    ),
  ],
  USAGE,
);

/** An IP address (IPv4 or IPv6, as ipaddr.js parses it). */
export type IpAddress = ipaddr.IPv4 | ipaddr.IPv6;
/** An address and a prefix length: a CIDR range. */
export type IpRange = [IpAddress, number];

/**
 * An address or CIDR range (`203.0.113.7`, `10.0.0.0/8`, `2001:db8::/32`): dotted-quad IPv4 or
 * IPv6 text (an address may be in brackets), without port or zone id; an IPv4-mapped IPv6 range
 * is the IPv4 range (`::ffff:10.0.0.0/104` is `10.0.0.0/8`), as client IPs are normalised the
 * same way. `null` when it is not one. The one range parser of trusted proxies, IP lists and API
 * keys' allow lists.
 *
 * @example
 * ```ts
 * parseIpRange('::ffff:10.0.0.0/104')?.[1]; // 8
 * ```
 */
export function parseIpRange(entry: string): IpRange | null {
  const slash = entry.indexOf('/');
  let text = (slash < 0 ? entry : entry.slice(0, slash)).trim();
  // An IPv6 address in brackets, as logs print it; otherwise a range is an address and a prefix:
  // no port or zone id (which parseIp, reading a peer's address, strips).
  if (text.startsWith('[') && text.endsWith(']')) text = text.slice(1, -1);
  if (/[[\]%]/.test(text) || /^\d+\.\d+\.\d+\.\d+:/.test(text)) return null;
  const address = parseIp(text);
  if (address === null) return null;
  const max = address.kind() === 'ipv4' ? 32 : 128;
  if (slash < 0) return [address, max];
  const bitsText = entry.slice(slash + 1);
  if (!/^\d{1,3}$/.test(bitsText)) return null;
  // parseIp turned an IPv4-mapped IPv6 address into IPv4: its prefix counts 96 bits fewer
  const bits = Number(bitsText) - (address.kind() === 'ipv4' && text.includes(':') ? 96 : 0);
  return bits >= 0 && bits <= max ? [address, bits] : null;
}

/**
 * Whether `address` is in one of `ranges` (an IPv4 address is never in an IPv6 range).
 *
 * @example
 * ```ts
 * inIpRanges(parseIp('10.1.2.3')!, [parseIpRange('10.0.0.0/8')!]); // true
 * ```
 */
export function inIpRanges(address: IpAddress, ranges: readonly IpRange[]): boolean {
  for (const [base, bits] of ranges)
    if (base.kind() === address.kind() && address.match(base as never, bits)) return true;
  return false;
}

/**
 * A strict parse: dotted-quad IPv4 (no `127.1` or hex forms), or IPv6 (brackets, zone id and an
 * IPv4-mapped form accepted); `null` otherwise.
 *
 * @example
 * ```ts
 * parseIp('[::ffff:10.0.0.1]')?.toString(); // '10.0.0.1'
 * ```
 */
export function parseIp(text: string): IpAddress | null {
  let v = text.trim();
  if (v.length === 0 || v.length > 64) return null;
  if (v.startsWith('[')) {
    const end = v.indexOf(']');
    if (end < 0) return null;
    v = v.slice(1, end);
  } else if (/^\d+\.\d+\.\d+\.\d+:\d+$/.test(v)) v = v.slice(0, v.lastIndexOf(':'));
  const zone = v.indexOf('%');
  if (zone >= 0) v = v.slice(0, zone);
  if (ipaddr.IPv4.isValidFourPartDecimal(v)) return ipaddr.IPv4.parse(v);
  if (!ipaddr.IPv6.isValid(v)) return null;
  const v6 = ipaddr.IPv6.parse(v);
  return v6.isIPv4MappedAddress() ? v6.toIPv4Address() : v6;
}

/**
 * The canonical text of an IP address (`::ffff:1.2.3.4` → `1.2.3.4`, IPv6 compressed and lower
 * case, brackets, port and zone removed), or `null` when it is not one.
 *
 * @example
 * ```ts
 * normaliseIp('::ffff:127.0.0.2'); // '127.0.0.2'
 * normaliseIp('[2001:DB8::1]:443'); // '2001:db8::1'
 * ```
 */
export function normaliseIp(text: string | null | undefined): string | null {
  if (typeof text !== 'string') return null;
  return parseIp(text)?.toString() ?? null;
}

function forwardedChain(headers: HeaderReader): Array<IpAddress | null> {
  const header = headers.get('x-forwarded-for');
  if (header === null || header.length > 2048) return [];
  return header.split(',').map((s) => parseIp(s));
}

/**
 * The client IP. Without `trustedProxies` it is the peer address the adapter passed (or `null`)
 * and forwarding headers are ignored. See {@link TrustedProxies} for the other forms. `null`
 * when it cannot be known (no peer, or a trusted header that is missing or malformed).
 *
 * @example
 * ```ts
 * clientIp(request, '10.0.0.2', resolveTrustedProxies(['10.0.0.0/8'], 'trustedProxies'));
 * ```
 */
export function clientIp(
  request: { headers: HeaderReader },
  peer: string | null | undefined,
  trusted: ResolvedTrustedProxies | null,
): string | null {
  const peerIp = typeof peer === 'string' ? parseIp(peer) : null;
  if (trusted === null) return peerIp?.toString() ?? null;
  if (trusted.kind === 'header') return normaliseIp(request.headers.get(trusted.header));
  const chain = forwardedChain(request.headers);
  if (trusted.kind === 'hops') {
    if (chain.length < trusted.hops) return (chain[0] ?? peerIp)?.toString() ?? null;
    return chain[chain.length - trusted.hops]?.toString() ?? null;
  }
  if (peerIp === null || !inIpRanges(peerIp, trusted.ranges)) return peerIp?.toString() ?? null;
  for (let i = chain.length - 1; i >= 0; i--) {
    const ip = chain[i];
    if (ip === null || ip === undefined) return null;
    if (!inIpRanges(ip, trusted.ranges)) return ip.toString();
  }
  return (chain[0] ?? peerIp).toString();
}

/**
 * Whether the client reached the site over HTTPS: the request URL is `https:`, or a trusted
 * proxy (the peer is trusted, or `trustedProxies` is a hop count or a header) says so in
 * `x-forwarded-proto` (its first value, as the outermost proxy wrote it).
 *
 * @example
 * ```ts
 * requestIsHttps(request, '10.0.0.2', trusted); // true behind a TLS-terminating proxy
 * ```
 */
export function requestIsHttps(
  request: { url: string; headers: HeaderReader },
  peer: string | null | undefined,
  trusted: ResolvedTrustedProxies | null,
): boolean {
  if (request.url.slice(0, 6).toLowerCase() === 'https:') return true;
  if (trusted === null) return false;
  if (trusted.kind === 'ranges') {
    const peerIp = typeof peer === 'string' ? parseIp(peer) : null;
    if (peerIp === null || !inIpRanges(peerIp, trusted.ranges)) return false;
  }
  const proto = request.headers.get('x-forwarded-proto');
  if (proto === null) return false;
  return proto.split(',')[0]!.trim().toLowerCase() === 'https';
}

/**
 * The rate-limit key of an IP: IPv4 addresses by `ipv4Prefix` bits (32: the address), IPv6 by
 * `ipv6Prefix` bits (64: the customer's network, since one host can use a whole /64). `null`
 * when `ip` is not an address.
 *
 * @example
 * ```ts
 * ipRateLimitKey('2001:db8:1:2:3:4:5:6', { ipv4Prefix: 32, ipv6Prefix: 64 }); // '2001:db8:1:2::/64'
 * ```
 */
export function ipRateLimitKey(
  ip: string | null,
  prefixes: { ipv4Prefix: number; ipv6Prefix: number },
): string | null {
  const address = ip === null ? null : parseIp(ip);
  if (address === null) return null;
  const bits = address.kind() === 'ipv4' ? prefixes.ipv4Prefix : prefixes.ipv6Prefix;
  const max = address.kind() === 'ipv4' ? 32 : 128;
  if (bits >= max) return address.toString();
  const network =
    address.kind() === 'ipv4'
      ? ipaddr.IPv4.networkAddressFromCIDR(`${address.toString()}/${bits}`)
      : ipaddr.IPv6.networkAddressFromCIDR(`${address.toString()}/${bits}`);
  return `${network.toString()}/${bits}`;
}
