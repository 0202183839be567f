import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EvrmoreAuthError } from './errors.js';
import { generateNonce } from './nonce.js';
import {
  buildSignInMessage,
  isRfc3339Utc,
  isValidSignInDomain,
  parseSignInMessage,
  SignInMessageError,
  type SignInMessageFields,
} from './sign-in-message.js';

const FULL: SignInMessageFields = {
  domain: 'example.com:8443',
  address: 'EK4BfWWMPTW82ig57MyGk6JCJgT8D9JTr5',
  statement: 'Sign in to Example, déjà vu 中文 😀.',
  uri: 'https://example.com:8443/login',
  version: '1',
  chainId: 'evrmore:mainnet',
  nonce: 'q3Vd0JkHq0Qn3Vd0JkHq0Qn3',
  issuedAt: '2026-01-01T00:00:00.000Z',
  expirationTime: '2026-01-01T00:05:00.000Z',
  notBefore: '2026-01-01T00:00:00Z',
  requestId: 'req-42',
  resources: ['https://example.com/a', 'ipfs://bafy'],
};
const FULL_TEXT = [
  'example.com:8443 wants you to sign in with your Evrmore account:', // 1
  'EK4BfWWMPTW82ig57MyGk6JCJgT8D9JTr5', // 2
  '', // 3
  'Sign in to Example, déjà vu 中文 😀.', // 4
  '', // 5
  'URI: https://example.com:8443/login', // 6
  'Version: 1', // 7
  'Chain ID: evrmore:mainnet', // 8
  'Nonce: q3Vd0JkHq0Qn3Vd0JkHq0Qn3', // 9
  'Issued At: 2026-01-01T00:00:00.000Z', // 10
  'Expiration Time: 2026-01-01T00:05:00.000Z', // 11
  'Not Before: 2026-01-01T00:00:00Z', // 12
  'Request ID: req-42', // 13
  'Resources:', // 14
  '- https://example.com/a', // 15
  '- ipfs://bafy', // 16
];

function parseError(text: string): SignInMessageError {
  try {
    parseSignInMessage(text);
  } catch (e) {
    expect(e).toBeInstanceOf(SignInMessageError);
    return e as SignInMessageError;
  }
  throw new Error(`parsed: ${JSON.stringify(text)}`);
}
/** FULL_TEXT with line `n` (1-based) replaced by `replacement` (a string, or lines, or nothing). */
function edit(n: number, replacement?: string | string[]): string {
  const lines = [...FULL_TEXT];
  lines.splice(n - 1, 1, ...(replacement === undefined ? [] : [replacement].flat()));
  return lines.join('\n');
}

describe('buildSignInMessage', () => {
  it('writes the exact PROTOCOL.md layout with every optional line', () => {
    expect(buildSignInMessage(FULL)).toBe(FULL_TEXT.join('\n'));
  });

  it('omits the statement paragraph and the optional lines when absent', () => {
    const { statement: _s, notBefore: _n, requestId: _r, resources: _x, ...minimal } = FULL;
    expect(buildSignInMessage(minimal)).toBe(
      [...FULL_TEXT.slice(0, 3), ...FULL_TEXT.slice(5, 11)].join('\n'),
    );
  });

  it('refuses bad fields with a SignInMessageError naming the field (code invalid_message)', () => {
    const cases: [keyof SignInMessageFields, unknown][] = [
      ['domain', 'https://example.com'],
      ['statement', 'two\nlines'],
      ['statement', ' leading space'],
      ['statement', 'Version: 2'],
      ['uri', 'not a uri'],
      ['version', '2'],
      ['chainId', 'Evrmore'],
      ['nonce', 'short'],
      ['issuedAt', '2026-02-30T00:00:00Z'],
      ['expirationTime', 'tomorrow'],
      ['requestId', 'has space'],
      ['resources', 'https://x'],
    ];
    for (const [field, value] of cases) {
      let error: unknown;
      try {
        buildSignInMessage({ ...FULL, [field]: value } as SignInMessageFields);
      } catch (e) {
        error = e;
      }
      expect(error, `${field}=${JSON.stringify(value)}`).toBeInstanceOf(SignInMessageError);
      const e = error as SignInMessageError;
      expect(e).toBeInstanceOf(EvrmoreAuthError);
      expect(e.code).toBe('invalid_message');
      expect(e.status).toBe(400);
      expect(e.field).toBe(field === 'resources' ? 'resources' : field);
    }
    expect(() => buildSignInMessage(null as never)).toThrow(TypeError);
  });
});

describe('parseSignInMessage round trip (property)', () => {
  const word = fc.string({
    unit: fc.constantFrom(...'abcXYZ019.,!?\'"()-éß中文😀'.split(/(?:)/u)),
    minLength: 1,
    maxLength: 12,
  });
  const timestamp = fc
    .date({
      min: new Date('1970-01-01T00:00:00Z'),
      max: new Date('2200-12-31T23:59:59Z'),
      noInvalidDate: true,
    })
    .chain((d) => fc.constantFrom(d.toISOString(), d.toISOString().replace(/\.\d{3}Z$/, 'Z')));
  const fields = fc.record(
    {
      domain: fc
        .tuple(fc.domain(), fc.option(fc.integer({ min: 1, max: 65535 }), { nil: undefined }))
        .map(([host, port]) => (port === undefined ? host : `${host}:${port}`)),
      address: fc.stringMatching(/^[1-9A-HJ-NP-Za-km-z]{25,40}$/),
      statement: fc.array(word, { minLength: 1, maxLength: 10 }).map((w) => w.join(' ')),
      uri: fc.webUrl(),
      version: fc.constant('1' as const),
      chainId: fc.constantFrom('evrmore:mainnet', 'evrmore:testnet'),
      nonce: fc.stringMatching(/^[A-Za-z0-9]{8,64}$/),
      issuedAt: timestamp,
      expirationTime: timestamp,
      notBefore: timestamp,
      // RFC 3986 pchar: unreserved / pct-encoded / sub-delims / ":" / "@".
      requestId: fc.stringMatching(/^(?:[A-Za-z0-9\-._~!$&'()*+,;=:@]|%[0-9A-Fa-f]{2}){1,40}$/),
      resources: fc.array(fc.webUrl(), { maxLength: 4 }),
    },
    {
      requiredKeys: [
        'domain',
        'address',
        'uri',
        'version',
        'chainId',
        'nonce',
        'issuedAt',
        'expirationTime',
      ],
    },
  );

  it('parse(build(fields)) returns the same fields, for every combination of optional fields', () => {
    fc.assert(
      fc.property(fields, (f) => {
        const text = buildSignInMessage(f);
        expect(parseSignInMessage(text)).toEqual(f);
        expect(buildSignInMessage(parseSignInMessage(text))).toBe(text);
      }),
      { numRuns: 500 },
    );
  });

  it('parses the full example', () => {
    expect(parseSignInMessage(FULL_TEXT.join('\n'))).toEqual(FULL);
  });
});

describe('parseSignInMessage negative vectors (modelled on the SIWE parsing vectors)', () => {
  const cases: [string, string, number, string][] = [
    // [name, text, line, field]
    ['empty message', '', 1, 'domain'],
    ['header only', FULL_TEXT[0]!, 2, 'address'],
    [
      'missing header suffix',
      edit(1, 'example.com wants you to sign in with your Ethereum account:'),
      1,
      'domain',
    ],
    ['missing blank line after address', edit(3), 3, 'address'],
    ['missing blank line after statement', edit(5), 5, 'statement'],
    ['missing URI line', edit(6), 6, 'uri'],
    ['missing Version line', edit(7), 7, 'version'],
    ['missing Chain ID line', edit(8), 8, 'chainId'],
    ['missing Nonce line', edit(9), 9, 'nonce'],
    ['missing Issued At line', edit(10), 10, 'issuedAt'],
    ['missing Expiration Time line', edit(11), 11, 'expirationTime'],
    [
      'Chain ID and Nonce swapped',
      edit(8, [FULL_TEXT[8]!, FULL_TEXT[7]!])
        .split('\n')
        .filter((_, i) => i !== 9)
        .join('\n'),
      8,
      'chainId',
    ],
    [
      'Request ID before Not Before',
      edit(12, [FULL_TEXT[12]!, FULL_TEXT[11]!])
        .split('\n')
        .filter((_, i) => i !== 13)
        .join('\n'),
      13,
      'message',
    ],
    ['Version 2', edit(7, 'Version: 2'), 7, 'version'],
    ['unknown chain id shape', edit(8, 'Chain ID: Evrmore'), 8, 'chainId'],
    ['Feb 30', edit(10, 'Issued At: 2026-02-30T00:00:00Z'), 10, 'issuedAt'],
    ['Feb 29 of a non-leap year', edit(10, 'Issued At: 2025-02-29T00:00:00Z'), 10, 'issuedAt'],
    ['no Z', edit(10, 'Issued At: 2026-01-01T00:00:00'), 10, 'issuedAt'],
    [
      'offset instead of Z',
      edit(11, 'Expiration Time: 2026-01-01T00:05:00+00:00'),
      11,
      'expirationTime',
    ],
    ['negative offset', edit(12, 'Not Before: 2026-01-01T00:00:00-05:00'), 12, 'notBefore'],
    ['date only', edit(10, 'Issued At: 2026-01-01'), 10, 'issuedAt'],
    ['space instead of T', edit(10, 'Issued At: 2026-01-01 00:00:00Z'), 10, 'issuedAt'],
    ['hour 24', edit(10, 'Issued At: 2026-01-01T24:00:00Z'), 10, 'issuedAt'],
    ['month 13', edit(10, 'Issued At: 2026-13-01T00:00:00Z'), 10, 'issuedAt'],
    ['leap second', edit(10, 'Issued At: 2026-12-31T23:59:60Z'), 10, 'issuedAt'],
    ['nonce too short', edit(9, 'Nonce: abc1234'), 9, 'nonce'],
    ['nonce with a dash', edit(9, 'Nonce: q3Vd0JkH-q0Qn3'), 9, 'nonce'],
    ['empty nonce', edit(9, 'Nonce: '), 9, 'nonce'],
    [
      'domain with userinfo',
      edit(1, 'user@example.com wants you to sign in with your Evrmore account:'),
      1,
      'domain',
    ],
    [
      'domain with scheme',
      edit(1, 'https://example.com wants you to sign in with your Evrmore account:'),
      1,
      'domain',
    ],
    [
      'domain with a space',
      edit(1, 'exa mple.com wants you to sign in with your Evrmore account:'),
      1,
      'domain',
    ],
    [
      'domain with a path',
      edit(1, 'example.com/x wants you to sign in with your Evrmore account:'),
      1,
      'domain',
    ],
    [
      'domain port out of range',
      edit(1, 'example.com:70000 wants you to sign in with your Evrmore account:'),
      1,
      'domain',
    ],
    ['leading space before the domain', edit(1, ` ${FULL_TEXT[0]!}`), 1, 'domain'],
    ['two spaces after URI:', edit(6, 'URI:  https://example.com'), 6, 'uri'],
    ['no space after Nonce:', edit(9, 'Nonce:q3Vd0JkHq0Qn3Vd0JkHq0Qn3'), 9, 'nonce'],
    ['leading space before Version', edit(7, ' Version: 1'), 7, 'version'],
    ['lower-case field name', edit(7, 'version: 1'), 7, 'version'],
    ['trailing space on the header', edit(1, `${FULL_TEXT[0]!} `), 1, 'domain'],
    ['trailing space on the address', edit(2, `${FULL_TEXT[1]!} `), 2, 'address'],
    ['trailing space on the statement', edit(4, `${FULL_TEXT[3]!} `), 4, 'statement'],
    ['trailing space on the nonce', edit(9, `${FULL_TEXT[8]!} `), 9, 'nonce'],
    ['trailing space on Version', edit(7, 'Version: 1 '), 7, 'version'],
    ['trailing space on Resources:', edit(14, 'Resources: '), 14, 'message'],
    ['trailing newline', `${FULL_TEXT.join('\n')}\n`, 17, 'message'],
    ['CRLF line endings', FULL_TEXT.join('\r\n'), 1, 'message'],
    ['a lone CR in the statement', edit(4, 'Sign in\rnow'), 4, 'message'],
    ['extra line between fields', edit(9, [FULL_TEXT[8]!, 'Foo: bar']), 10, 'issuedAt'],
    ['duplicate Nonce line', edit(9, [FULL_TEXT[8]!, FULL_TEXT[8]!]), 10, 'issuedAt'],
    ['extra line at the end', `${FULL_TEXT.join('\n')}\nExtra: x`, 17, 'message'],
    ['resource that is not a URI', edit(16, '- not a uri'), 16, 'resource'],
    ['empty resource', edit(16, '- '), 16, 'resource'],
    ['two statement lines', edit(4, ['line one', 'line two']), 5, 'statement'],
    ['bad address characters', edit(2, 'EK4BfWWMPTW82ig57MyGk6JCJgT8D9JTr0'), 2, 'address'],
  ];

  it.each(cases)('%s', (_name, text, line, field) => {
    const e = parseError(text);
    expect(e.line).toBe(line);
    expect(e.field).toBe(field);
    expect(e.code).toBe('invalid_message');
    expect(e.detail).toContain(`line ${line}`);
  });

  it('refuses non-strings and oversized input without a line', () => {
    expect(parseError(42 as never).field).toBe('message');
    const huge = parseError(`${FULL_TEXT.join('\n')}${'x'.repeat(20_000)}`);
    expect(huge.line).toBeUndefined();
  });
});

describe('isRfc3339Utc', () => {
  it('accepts real UTC instants with 0–9 fraction digits, including leap days', () => {
    for (const t of [
      '2024-02-29T12:00:00Z',
      '2000-02-29T00:00:00.5Z',
      '2026-12-31T23:59:59.123456789Z',
      '0000-02-29T00:00:00Z',
    ])
      expect(isRfc3339Utc(t), t).toBe(true);
  });
  it('refuses impossible dates and non-UTC forms', () => {
    for (const t of [
      '1900-02-29T00:00:00Z',
      '2026-04-31T00:00:00Z',
      '2026-01-01t00:00:00z',
      '2026-01-01T00:00:00.Z',
      '+2026-01-01T00:00:00Z',
    ])
      expect(isRfc3339Utc(t), t).toBe(false);
  });
});

// test/vectors/sign-in-message-grammar.json: per field, values the grammar accepts and refuses.
interface GrammarCase {
  value: string;
  /** The value is `value` repeated this many times. */
  repeat?: number;
  why: string;
  /** Refused by the builder only: the value cannot sit on one line of a message. */
  builderOnly?: boolean;
  /** The field the parser names when it reads the line as another field. */
  parseField?: string;
}
interface FieldVectors {
  rule: string;
  valid: GrammarCase[];
  invalid: GrammarCase[];
}
type VectorField = 'domain' | 'statement' | 'uri' | 'chainId' | 'nonce' | 'timestamp' | 'requestId';
const GRAMMAR = JSON.parse(
  readFileSync(
    new URL('../../../test/vectors/sign-in-message-grammar.json', import.meta.url),
    'utf8',
  ),
) as Record<VectorField, FieldVectors> & {
  messages: {
    valid: { why: string; lines: string[] }[];
    invalid: { why: string; lines: string[]; line: number; field: string }[];
  };
};
const valueOf = (c: GrammarCase): string => c.value.repeat(c.repeat ?? 1);

/** Where each vector field sits in FULL / FULL_TEXT, and how to put a value there. */
const PLACES: {
  vectors: VectorField;
  field: string;
  line: number;
  set: (value: string) => SignInMessageFields;
  text: (value: string) => string;
}[] = [
  {
    vectors: 'domain',
    field: 'domain',
    line: 1,
    set: (domain) => ({ ...FULL, domain }),
    text: (domain) => `${domain} wants you to sign in with your Evrmore account:`,
  },
  {
    vectors: 'statement',
    field: 'statement',
    line: 4,
    set: (statement) => ({ ...FULL, statement }),
    text: (statement) => statement,
  },
  {
    vectors: 'uri',
    field: 'uri',
    line: 6,
    set: (uri) => ({ ...FULL, uri }),
    text: (uri) => `URI: ${uri}`,
  },
  {
    vectors: 'chainId',
    field: 'chainId',
    line: 8,
    set: (chainId) => ({ ...FULL, chainId }),
    text: (chainId) => `Chain ID: ${chainId}`,
  },
  {
    vectors: 'nonce',
    field: 'nonce',
    line: 9,
    set: (nonce) => ({ ...FULL, nonce }),
    text: (nonce) => `Nonce: ${nonce}`,
  },
  {
    vectors: 'timestamp',
    field: 'issuedAt',
    line: 10,
    set: (issuedAt) => ({ ...FULL, issuedAt }),
    text: (issuedAt) => `Issued At: ${issuedAt}`,
  },
  {
    vectors: 'timestamp',
    field: 'expirationTime',
    line: 11,
    set: (expirationTime) => ({ ...FULL, expirationTime }),
    text: (expirationTime) => `Expiration Time: ${expirationTime}`,
  },
  {
    vectors: 'timestamp',
    field: 'notBefore',
    line: 12,
    set: (notBefore) => ({ ...FULL, notBefore }),
    text: (notBefore) => `Not Before: ${notBefore}`,
  },
  {
    vectors: 'requestId',
    field: 'requestId',
    line: 13,
    set: (requestId) => ({ ...FULL, requestId }),
    text: (requestId) => `Request ID: ${requestId}`,
  },
  {
    vectors: 'uri',
    field: 'resource',
    line: 16,
    set: (r) => ({ ...FULL, resources: [FULL.resources![0]!, r] }),
    text: (r) => `- ${r}`,
  },
];

function buildError(fields: SignInMessageFields): SignInMessageError {
  try {
    buildSignInMessage(fields);
  } catch (e) {
    expect(e).toBeInstanceOf(SignInMessageError);
    return e as SignInMessageError;
  }
  throw new Error(`built: ${JSON.stringify(fields)}`);
}

describe('grammar vectors (test/vectors/sign-in-message-grammar.json)', () => {
  describe('whole messages', () => {
    it.each(GRAMMAR.messages.valid.map((m) => [m.why, m] as const))('parses %s', (_w, m) => {
      const text = m.lines.join('\n');
      expect(buildSignInMessage(parseSignInMessage(text))).toBe(text);
    });
    it.each(GRAMMAR.messages.invalid.map((m) => [m.why, m] as const))('refuses %s', (_w, m) => {
      const e = parseError(m.lines.join('\n'));
      expect([e.line, e.field]).toEqual([m.line, m.field]);
    });
  });
  for (const place of PLACES) {
    const { valid, invalid } = GRAMMAR[place.vectors];
    describe(`${place.field} (line ${place.line})`, () => {
      const show = (c: GrammarCase): string =>
        c.repeat === undefined
          ? JSON.stringify(c.value)
          : `${JSON.stringify(c.value)} × ${c.repeat}`;
      it.each(valid.map((c) => [show(c), c.why, c] as const))('accepts %s (%s)', (_s, _w, c) => {
        const value = valueOf(c);
        const fields = place.set(value);
        const text = buildSignInMessage(fields);
        expect(text.split('\n')[place.line - 1]).toBe(place.text(value));
        expect(parseSignInMessage(text)).toEqual(fields);
      });
      it.each(invalid.map((c) => [show(c), c.why, c] as const))('refuses %s (%s)', (_s, _w, c) => {
        const value = valueOf(c);
        expect(buildError(place.set(value)).field).toBe(place.field);
        if (c.builderOnly) return;
        const field = c.parseField ?? place.field;
        const e = parseError(edit(place.line, place.text(value)));
        expect([e.line, e.field]).toEqual([place.line, field]);
        expect(e.detail).toContain(`line ${place.line} (${field})`);
      });
    });
  }
});

describe('isValidSignInDomain', () => {
  it('is the check the builder and the parser apply to the domain', () => {
    for (const c of GRAMMAR.domain.valid)
      expect(isValidSignInDomain(valueOf(c)), c.value).toBe(true);
    for (const c of GRAMMAR.domain.invalid)
      expect(isValidSignInDomain(valueOf(c)), c.value).toBe(false);
  });

  it('accepts every domain the property test builds messages with, and refuses non-strings', () => {
    fc.assert(
      fc.property(fc.domain(), fc.integer({ min: 1, max: 65535 }), (host, port) => {
        expect(isValidSignInDomain(host)).toBe(true);
        expect(isValidSignInDomain(`${host}:${port}`)).toBe(true);
      }),
    );
    for (const value of [undefined, null, 42, ['example.com']])
      expect(isValidSignInDomain(value as never)).toBe(false);
  });
});

describe('nonce length: generateNonce and the grammar agree', () => {
  it('every length generateNonce issues (22 to 128) parses; the grammar accepts 8 to 128', () => {
    for (const length of [22, 32, 127, 128]) {
      const nonce = generateNonce({ length });
      expect(parseSignInMessage(buildSignInMessage({ ...FULL, nonce })).nonce).toBe(nonce);
    }
    expect(() => generateNonce({ length: 129 })).toThrow(TypeError);
    expect(parseError(edit(9, `Nonce: ${'a'.repeat(129)}`)).line).toBe(9);
    expect(parseSignInMessage(edit(9, 'Nonce: 12345678')).nonce).toBe('12345678');
    expect(parseError(edit(9, 'Nonce: 1234567')).line).toBe(9);
  });
});
