import { EvrmoreAuthError } from './errors.js';
import { isSegment, isUri, parseHostPort } from './rfc3986.js';

/**
 * The fields of a Sign-In with Evrmore message (PROTOCOL.md section 2, modelled on EIP-4361).
 *
 * @example
 * ```ts
 * const fields: SignInMessageFields = {
 *   domain: 'example.com',
 *   address: 'EK4BfWWMPTW82ig57MyGk6JCJgT8D9JTr5',
 *   statement: 'Sign in to Example.',
 *   uri: 'https://example.com',
 *   version: '1',
 *   chainId: 'evrmore:mainnet',
 *   nonce: 'q3Vd0JkHq0Qn3Vd0JkHq0Qn3',
 *   issuedAt: '2026-01-01T00:00:00.000Z',
 *   expirationTime: '2026-01-01T00:05:00.000Z',
 * };
 * ```
 */
export interface SignInMessageFields {
  /** RFC 3986 `host[:port]` of the site asking for the sign-in (see {@link isValidSignInDomain}). */
  domain: string;
  /** The P2PKH address signing in. */
  address: string;
  /**
   * Optional human-readable line, 1 to 2048 printable characters (any script; no control, format,
   * private-use or lone surrogate characters; U+0020 is the only space, never first or last).
   */
  statement?: string;
  /** The sign-in origin: an RFC 3986 `URI`, at most 2048 characters. */
  uri: string;
  /** Always `'1'`. */
  version: '1';
  /** `evrmore:mainnet`, `evrmore:testnet`, or a custom network's chain id. */
  chainId: string;
  /** 8 to 128 ASCII letters and digits (`generateNonce` issues 22 to 128: ≥ 128 bits). */
  nonce: string;
  /** RFC 3339 UTC. */
  issuedAt: string;
  /** RFC 3339 UTC. */
  expirationTime: string;
  /** RFC 3339 UTC. */
  notBefore?: string;
  /** 1 to 256 RFC 3986 `pchar` characters (letters, digits, `-._~!$&'()*+,;=:@`, `%XX`). */
  requestId?: string;
  /** At most 64 RFC 3986 URIs of at most 2048 characters each (`Resources:` then `- {uri}` lines). */
  resources?: string[];
}

/**
 * A Sign-In with Evrmore message that does not follow the grammar; `line` (1-based) names the
 * offending line and `field` the field. Its protocol code is `invalid_message`.
 *
 * @example
 * ```ts
 * try {
 *   parseSignInMessage(text);
 * } catch (e) {
 *   if (e instanceof SignInMessageError) console.log(e.line, e.field, toProblem(e));
 * }
 * ```
 */
export class SignInMessageError extends EvrmoreAuthError {
  /** Always `SignInMessageError`. */
  override readonly name = 'SignInMessageError';
  // Set by the constructor: `declare` emits no field definitions before it (bundle size).
  /**
   * The 1-based line of the message the problem is on; `undefined` when building or for the whole
   * text.
   */
  declare readonly line: number | undefined;
  /** The field at fault (`domain`, `nonce`, `resources`…, or `message` for the whole text). */
  declare readonly field: string;

  constructor(field: string, reason: string, line?: number) {
    super('invalid_message', {
      detail: line === undefined ? `${field}: ${reason}` : `line ${line} (${field}): ${reason}`,
    });
    this.line = line;
    this.field = field;
  }
}

const HEADER_SUFFIX = ' wants you to sign in with your Evrmore account:';
const ADDRESS = /^[1-9A-HJ-NP-Za-km-z]{25,40}$/;
// EIP-4361's nonce = 8*( ALPHA / DIGIT ), bounded: generateNonce issues 22 to 128 (nonce.ts).
const NONCE = /^[A-Za-z0-9]{8,128}$/;
const CHAIN_ID = /^[a-z0-9-]{1,32}:[a-z0-9-]{1,32}$/;
const RFC3339_UTC = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?Z$/;
const MAX_REQUEST_ID = 256;
// A statement character (PROTOCOL.md section 2): any printable character. Refused: controls (Cc:
// LF, CR, TAB, DEL, C1), format characters (Cf: bidi overrides and isolates, zero-width characters,
// BOM, soft hyphen), lone surrogates (Cs, which have no UTF-8 form), private-use characters (Co),
// and every separator (Z) but U+0020 SPACE, which the pattern allows between characters.
const STATEMENT_CHAR = '[^\\p{Cc}\\p{Cf}\\p{Cs}\\p{Co}\\p{Z}]';
// One or more statement characters and inner spaces, starting and ending with a character.
const STATEMENT = new RegExp(`^${STATEMENT_CHAR}(?:[ ]*${STATEMENT_CHAR})*$`, 'u');
const MAX_FIELD = 2048;
const FIELD_LINE =
  /^(?:URI|Version|Chain ID|Nonce|Issued At|Expiration Time|Not Before|Request ID|Resources):/;
const MAX_RESOURCES = 64;

/**
 * Whether `value` is an RFC 3339 UTC timestamp (`Z`, not an offset) naming a real date and time.
 *
 * @example
 * ```ts
 * isRfc3339Utc('2026-01-01T00:00:00.000Z'); // true
 * isRfc3339Utc('2026-02-30T00:00:00Z'); // false (no such day)
 * isRfc3339Utc('2026-01-01T00:00:00+01:00'); // false (offsets are refused)
 * ```
 */
export function isRfc3339Utc(value: string): boolean {
  const m = RFC3339_UTC.exec(value);
  if (!m) return false;
  const [, y, mo, d, h, mi, s] = m.map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  if (mo < 1 || mo > 12 || h > 23 || mi > 59 || s > 59) return false;
  // Computed, not via Date.UTC, which maps years 0–99 to 1900–1999 (1900 is no leap year, 0 is).
  const leap = (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
  const days = mo === 2 ? (leap ? 29 : 28) : [4, 6, 9, 11].includes(mo) ? 30 : 31;
  return d >= 1 && d <= days;
}

const MAX_DOMAIN = 255;
const PORT = /^[0-9]{1,5}$/;

/**
 * Whether `domain` can be a Sign-In with Evrmore message's domain (the site asking for the
 * sign-in, on the first line): an RFC 3986 `host [ ":" port ]`, that is an authority without
 * userinfo. The host is a reg-name (unreserved, pct-encoded and sub-delims characters, so `_` is
 * allowed), an IPv4address, or an IP-literal in brackets (IPv6address or IPvFuture), and must not
 * be empty; a port, when `:` is present, is 1 to 65535. At most 255 characters, ASCII only (an
 * internationalised name is written as its punycode A-label). {@link buildSignInMessage} and
 * {@link parseSignInMessage} apply exactly this check.
 *
 * @example
 * ```ts
 * isValidSignInDomain('example.com:8443'); // true
 * isValidSignInDomain('auth_server:3000'); // true (a reg-name may contain "_")
 * isValidSignInDomain('[::1]:3000'); // true
 * isValidSignInDomain('user@example.com'); // false (no userinfo)
 * isValidSignInDomain('https://example.com'); // false (no scheme)
 * isValidSignInDomain('example.com:'); // false (a ":" needs a port)
 * isValidSignInDomain('[1.2.3.4]'); // false (not an IPv6 literal)
 * ```
 */
export function isValidSignInDomain(domain: string): boolean {
  if (typeof domain !== 'string' || domain.length > MAX_DOMAIN) return false;
  const parts = parseHostPort(domain);
  if (parts === undefined || parts.host === '') return false;
  if (parts.port === undefined) return true;
  const port = Number(parts.port);
  return PORT.test(parts.port) && port >= 1 && port <= 65535;
}

/** RFC 3986 `URI`, exactly (not WHATWG URL parsing, which repairs and accepts more). */
function isRfc3986Uri(value: string): boolean {
  return value.length <= MAX_FIELD && isUri(value);
}

const URI_PROBLEM = `must be an RFC 3986 URI (scheme ":" hier-part [ "?" query ] [ "#" fragment ]) of at most ${MAX_FIELD} characters`;

type Check = (value: string) => string | undefined;
const checks = {
  domain: (v) =>
    isValidSignInDomain(v)
      ? undefined
      : 'must be an RFC 3986 host[:port] (no userinfo, scheme or path; host not empty; port 1 to 65535) of at most 255 characters',
  address: (v) => (ADDRESS.test(v) ? undefined : 'must be a base58 address'),
  statement: (v) =>
    v.length <= MAX_FIELD && STATEMENT.test(v) && !FIELD_LINE.test(v)
      ? undefined
      : `must be one line of 1 to ${MAX_FIELD} printable characters (no control, format, private-use or lone surrogate characters; no space but U+0020), without leading or trailing spaces, not starting like a field line`,
  uri: (v) => (isRfc3986Uri(v) ? undefined : URI_PROBLEM),
  version: (v) => (v === '1' ? undefined : "must be '1'"),
  chainId: (v) => (CHAIN_ID.test(v) ? undefined : "must look like 'evrmore:mainnet'"),
  nonce: (v) => (NONCE.test(v) ? undefined : 'must be 8 to 128 alphanumeric characters'),
  issuedAt: (v) => (isRfc3339Utc(v) ? undefined : 'must be an RFC 3339 UTC timestamp'),
  expirationTime: (v) => (isRfc3339Utc(v) ? undefined : 'must be an RFC 3339 UTC timestamp'),
  notBefore: (v) => (isRfc3339Utc(v) ? undefined : 'must be an RFC 3339 UTC timestamp'),
  // EIP-4361's request-id = *pchar (RFC 3986 segment), 1 to 256 characters.
  requestId: (v) =>
    v.length >= 1 && v.length <= MAX_REQUEST_ID && isSegment(v)
      ? undefined
      : `must be 1 to ${MAX_REQUEST_ID} RFC 3986 pchar characters (letters, digits, -._~!$&'()*+,;=:@ and %XX)`,
  resource: (v) => (isRfc3986Uri(v) ? undefined : URI_PROBLEM),
} satisfies Record<string, Check>;

function check(field: keyof typeof checks, value: unknown, line?: number): string {
  if (typeof value !== 'string') throw new SignInMessageError(field, 'must be a string', line);
  const problem = checks[field](value);
  if (problem) throw new SignInMessageError(field, problem, line);
  return value;
}

/**
 * Build the exact text a user signs. Validates every field and throws {@link SignInMessageError}
 * (code `invalid_message`) naming the bad one.
 *
 * @example
 * ```ts
 * import { buildSignInMessage } from '@evrmore-auth/core';
 * const message = buildSignInMessage(fields);
 * // 'example.com wants you to sign in with your Evrmore account:\nEK4B…'
 * ```
 */
export function buildSignInMessage(fields: SignInMessageFields): string {
  if (typeof fields !== 'object' || fields === null)
    throw new TypeError('buildSignInMessage: fields must be an object');
  const lines = [
    `${check('domain', fields.domain)}${HEADER_SUFFIX}`,
    check('address', fields.address),
    '',
  ];
  if (fields.statement !== undefined) lines.push(check('statement', fields.statement), '');
  lines.push(
    `URI: ${check('uri', fields.uri)}`,
    `Version: ${check('version', fields.version)}`,
    `Chain ID: ${check('chainId', fields.chainId)}`,
    `Nonce: ${check('nonce', fields.nonce)}`,
    `Issued At: ${check('issuedAt', fields.issuedAt)}`,
    `Expiration Time: ${check('expirationTime', fields.expirationTime)}`,
  );
  if (fields.notBefore !== undefined)
    lines.push(`Not Before: ${check('notBefore', fields.notBefore)}`);
  if (fields.requestId !== undefined)
    lines.push(`Request ID: ${check('requestId', fields.requestId)}`);
  if (fields.resources !== undefined) {
    if (!Array.isArray(fields.resources) || fields.resources.length > MAX_RESOURCES) {
      throw new SignInMessageError(
        'resources',
        `must be an array of at most ${MAX_RESOURCES} URIs`,
      );
    }
    lines.push('Resources:');
    for (const r of fields.resources) lines.push(`- ${check('resource', r)}`);
  }
  return lines.join('\n');
}

/**
 * Upper bound on the size of a message we parse (the HTTP body limit is 16 KiB anyway).
 *
 * @example
 * ```ts
 * if (text.length > MAX_SIGN_IN_MESSAGE_LENGTH) throw new EvrmoreAuthError('invalid_message');
 * ```
 */
export const MAX_SIGN_IN_MESSAGE_LENGTH = 16 * 1024;

/**
 * Parse a Sign-In with Evrmore message strictly: exact line order, no extra lines, no trailing
 * spaces, `\n` only. Throws {@link SignInMessageError} naming the line.
 *
 * @example
 * ```ts
 * import { parseSignInMessage } from '@evrmore-auth/core';
 * const fields = parseSignInMessage(message);
 * fields.nonce;
 * ```
 */
export function parseSignInMessage(text: string): SignInMessageFields {
  if (typeof text !== 'string') throw new SignInMessageError('message', 'must be a string');
  if (text.length > MAX_SIGN_IN_MESSAGE_LENGTH)
    throw new SignInMessageError('message', 'is too long');
  const cr = text.indexOf('\r');
  if (cr !== -1) {
    const line = text.slice(0, cr).split('\n').length;
    throw new SignInMessageError('message', 'must use \\n line endings only (found \\r)', line);
  }
  const lines = text.split('\n');
  let i = 0;
  const at = (): string | undefined => lines[i];
  const take = (prefix: string, field: keyof typeof checks): string => {
    const line = at();
    if (line === undefined) throw new SignInMessageError(field, `missing '${prefix}' line`, i + 1);
    if (!line.startsWith(prefix))
      throw new SignInMessageError(field, `expected '${prefix}…'`, i + 1);
    const value = check(field, line.slice(prefix.length), i + 1);
    i++;
    return value;
  };
  const blank = (field: string): void => {
    if (at() !== '') throw new SignInMessageError(field, 'expected an empty line', i + 1);
    i++;
  };

  const header = at() ?? '';
  if (!header.endsWith(HEADER_SUFFIX)) {
    throw new SignInMessageError('domain', `expected '{domain}${HEADER_SUFFIX}'`, 1);
  }
  const domain = check('domain', header.slice(0, -HEADER_SUFFIX.length), 1);
  i++;
  const addressLine = at();
  if (addressLine === undefined) throw new SignInMessageError('address', 'missing address line', 2);
  const address = check('address', addressLine, 2);
  i++;
  blank('address');

  const fields: Partial<SignInMessageFields> & { domain: string; address: string } = {
    domain,
    address,
  };
  // A line that does not start like a field line is the statement paragraph (then an empty line);
  // a field line here must be the URI line, so a missing or misplaced field is reported on its line.
  const line = at();
  if (line !== undefined && !FIELD_LINE.test(line)) {
    fields.statement = check('statement', at(), i + 1);
    i++;
    blank('statement');
  }
  fields.uri = take('URI: ', 'uri');
  fields.version = take('Version: ', 'version') as '1';
  fields.chainId = take('Chain ID: ', 'chainId');
  fields.nonce = take('Nonce: ', 'nonce');
  fields.issuedAt = take('Issued At: ', 'issuedAt');
  fields.expirationTime = take('Expiration Time: ', 'expirationTime');
  if (at()?.startsWith('Not Before: ')) fields.notBefore = take('Not Before: ', 'notBefore');
  if (at()?.startsWith('Request ID: ')) fields.requestId = take('Request ID: ', 'requestId');
  if (at() === 'Resources:') {
    i++;
    const resources: string[] = [];
    while (at()?.startsWith('- ')) {
      if (resources.length >= MAX_RESOURCES)
        throw new SignInMessageError('resources', 'too many resources', i + 1);
      resources.push(take('- ', 'resource'));
    }
    fields.resources = resources;
  }
  if (i < lines.length) {
    throw new SignInMessageError(
      'message',
      at() === '' ? 'unexpected empty line (trailing newline?)' : 'unexpected line',
      i + 1,
    );
  }
  return fields as SignInMessageFields;
}
