// RFC 3986 (URI: Generic Syntax), Appendix A, as regular expressions. Each constant is the ABNF
// rule it is named after, composed from the rules above it, so the grammar reads top to bottom
// like the RFC. Only syntax: no normalisation, no scheme-specific rules, no IRIs (non-ASCII is
// refused), no RFC 6874 zone identifiers. Internal to core (not exported from the package root).

// RFC 5234 Appendix B.1 core rules. ABNF strings are case-insensitive, so HEXDIG includes a-f.
const ALPHA = '[A-Za-z]';
const DIGIT = '[0-9]';
const HEXDIG = '[0-9A-Fa-f]';

/** unreserved = ALPHA / DIGIT / "-" / "." / "_" / "~" */
const unreserved = '[A-Za-z0-9\\-._~]';
/** pct-encoded = "%" HEXDIG HEXDIG */
const pctEncoded = `%${HEXDIG}${HEXDIG}`;
/** sub-delims = "!" / "$" / "&" / "'" / "(" / ")" / "*" / "+" / "," / ";" / "=" */
const subDelims = "[!$&'()*+,;=]";
/** pchar = unreserved / pct-encoded / sub-delims / ":" / "@" */
const pchar = `(?:${unreserved}|${pctEncoded}|${subDelims}|[:@])`;

/** scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) */
const scheme = `${ALPHA}[A-Za-z0-9+\\-.]*`;
/** userinfo = *( unreserved / pct-encoded / sub-delims / ":" ) */
const userinfo = `(?:${unreserved}|${pctEncoded}|${subDelims}|:)*`;

/** dec-octet = DIGIT / %x31-39 DIGIT / "1" 2DIGIT / "2" %x30-34 DIGIT / "25" %x30-35 (0–255, no leading zero) */
const decOctet = `(?:25[0-5]|2[0-4]${DIGIT}|1${DIGIT}{2}|[1-9]${DIGIT}|${DIGIT})`;
/** IPv4address = dec-octet "." dec-octet "." dec-octet "." dec-octet */
const IPv4address = `${decOctet}\\.${decOctet}\\.${decOctet}\\.${decOctet}`;
/** h16 = 1*4HEXDIG (16 bits of address in hexadecimal) */
const h16 = `${HEXDIG}{1,4}`;
/** ls32 = ( h16 ":" h16 ) / IPv4address (the least-significant 32 bits) */
const ls32 = `(?:${h16}:${h16}|${IPv4address})`;
/** `[ *n( h16 ":" ) h16 ]`: up to n + 1 pieces before a "::". */
const upTo = (n: number): string => `(?:(?:${h16}:){0,${n}}${h16})?`;
/** IPv6address: the nine alternatives of RFC 3986 section 3.2.2, each under its ABNF. */
const IPv6address = `(?:${[
  //                            6( h16 ":" ) ls32
  `(?:${h16}:){6}${ls32}`,
  //                       "::" 5( h16 ":" ) ls32
  `::(?:${h16}:){5}${ls32}`,
  // [               h16 ] "::" 4( h16 ":" ) ls32
  `${upTo(0)}::(?:${h16}:){4}${ls32}`,
  // [ *1( h16 ":" ) h16 ] "::" 3( h16 ":" ) ls32
  `${upTo(1)}::(?:${h16}:){3}${ls32}`,
  // [ *2( h16 ":" ) h16 ] "::" 2( h16 ":" ) ls32
  `${upTo(2)}::(?:${h16}:){2}${ls32}`,
  // [ *3( h16 ":" ) h16 ] "::"    h16 ":"   ls32
  `${upTo(3)}::${h16}:${ls32}`,
  // [ *4( h16 ":" ) h16 ] "::"              ls32
  `${upTo(4)}::${ls32}`,
  // [ *5( h16 ":" ) h16 ] "::"              h16
  `${upTo(5)}::${h16}`,
  // [ *6( h16 ":" ) h16 ] "::"
  `${upTo(6)}::`,
].join('|')})`;
/** IPvFuture = "v" 1*HEXDIG "." 1*( unreserved / sub-delims / ":" ) */
const IPvFuture = `[vV]${HEXDIG}+\\.(?:${unreserved}|${subDelims}|:)+`;
/** IP-literal = "[" ( IPv6address / IPvFuture ) "]" */
const IPliteral = `\\[(?:${IPv6address}|${IPvFuture})\\]`;
/** reg-name = *( unreserved / pct-encoded / sub-delims ) (may be empty) */
const regName = `(?:${unreserved}|${pctEncoded}|${subDelims})*`;
/** host = IP-literal / IPv4address / reg-name */
const host = `(?:${IPliteral}|${IPv4address}|${regName})`;
/** port = *DIGIT (may be empty) */
const port = `${DIGIT}*`;
/** authority = [ userinfo "@" ] host [ ":" port ] */
const authority = `(?:${userinfo}@)?${host}(?::${port})?`;

/** segment = *pchar */
const segment = `${pchar}*`;
/** segment-nz = 1*pchar */
const segmentNz = `${pchar}+`;
/** path-abempty = *( "/" segment ) */
const pathAbempty = `(?:/${segment})*`;
/** path-absolute = "/" [ segment-nz *( "/" segment ) ] */
const pathAbsolute = `/(?:${segmentNz}(?:/${segment})*)?`;
/** path-rootless = segment-nz *( "/" segment ) */
const pathRootless = `${segmentNz}(?:/${segment})*`;
/** path-empty = 0<pchar> */
const pathEmpty = '';
/** hier-part = "//" authority path-abempty / path-absolute / path-rootless / path-empty */
const hierPart = `(?://${authority}${pathAbempty}|${pathAbsolute}|${pathRootless}|${pathEmpty})`;
/** query = *( pchar / "/" / "?" ) */
const query = `(?:${pchar}|[/?])*`;
/** fragment = *( pchar / "/" / "?" ) */
const fragment = `(?:${pchar}|[/?])*`;
/** URI = scheme ":" hier-part [ "?" query ] [ "#" fragment ] */
const URI = `${scheme}:${hierPart}(?:\\?${query})?(?:#${fragment})?`;

const whole = (rule: string): RegExp => new RegExp(`^${rule}$`);
const URI_RE = whole(URI);
const HOST_PORT_RE = new RegExp(`^(${host})(?::(${port}))?$`);
const SEGMENT_RE = whole(segment);
const IPV4_RE = /* @__PURE__ */ whole(IPv4address);
const IPV6_RE = /* @__PURE__ */ whole(IPv6address);

/** Whether `value` matches RFC 3986 `URI` (an absolute URI with an optional fragment). */
export const isUri = (value: string): boolean => URI_RE.test(value);

/** Whether `value` matches RFC 3986 `segment` (`*pchar`; empty matches). */
export const isSegment = (value: string): boolean => SEGMENT_RE.test(value);

/** Whether `value` matches RFC 3986 `IPv4address`. */
export const isIPv4address = (value: string): boolean => IPV4_RE.test(value);

/** Whether `value` matches RFC 3986 `IPv6address` (without brackets). */
export const isIPv6address = (value: string): boolean => IPV6_RE.test(value);

/**
 * Split `value` as RFC 3986 `host [ ":" port ]` (an `authority` without `userinfo`), or
 * `undefined` when it does not match. Both parts may be empty, as in RFC 3986; `port` is
 * `undefined` when there is no `":"`.
 */
export function parseHostPort(
  value: string,
): { host: string; port: string | undefined } | undefined {
  const m = HOST_PORT_RE.exec(value);
  return m ? { host: m[1]!, port: m[2] } : undefined;
}
