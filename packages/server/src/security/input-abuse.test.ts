import { describe, expect, it } from 'vitest';
import { createHarness, problem, wallet } from '../../test/harness.js';

async function expectProblem(res: Response, status: number, code: string): Promise<void> {
  expect(res.status).toBe(status);
  expect(res.headers.get('content-type')).toBe('application/problem+json');
  const p = await problem(res);
  expect(p.code).toBe(code);
  expect(p.status).toBe(status);
  expect(JSON.stringify(p)).not.toMatch(/at .*\.ts|stack/);
}

describe('input abuse: every case is a typed 4xx', () => {
  it('bodies over 16 KiB are 413, also when content-length lies or is absent (streamed)', async () => {
    const h = await createHarness();
    const big = JSON.stringify({ address: 'E'.repeat(20_000) });
    await expectProblem(
      await h.request('POST', '/auth/challenge', {
        raw: big,
        headers: { 'content-type': 'application/json' },
      }),
      413,
      'payload_too_large',
    );
    const stream = new ReadableStream<Uint8Array>({
      start(c) {
        for (let i = 0; i < 20; i++) c.enqueue(new TextEncoder().encode(' '.repeat(1024)));
        c.close();
      },
    });
    const req = new Request('https://app.example.com/auth/verify', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-length': '10' },
      body: stream,
      duplex: 'half',
    } as RequestInit);
    await expectProblem(await h.auth.handler(req), 413, 'payload_too_large');
  });

  it('wrong or missing content type is 415', async () => {
    const h = await createHarness();
    for (const type of [
      'text/plain',
      'application/x-www-form-urlencoded',
      'application/jsonx',
      'multipart/form-data',
    ]) {
      await expectProblem(
        await h.request('POST', '/auth/challenge', {
          raw: '{"address":"E"}',
          headers: { 'content-type': type },
        }),
        415,
        'unsupported_media_type',
      );
    }
    await expectProblem(
      await h.request('POST', '/auth/challenge', { raw: '{"address":"E"}' }),
      415,
      'unsupported_media_type',
    );
  });

  it('malformed JSON, non-objects, missing/extra fields, wrong types are 400 invalid_request', async () => {
    const h = await createHarness();
    for (const raw of [
      '{',
      '',
      'null',
      '[]',
      '"x"',
      '42',
      '{"address":1}',
      '{}',
      '{"address":"E","extra":1}',
      '{"address":"E"}{"a":1}',
    ]) {
      await expectProblem(
        await h.request('POST', '/auth/challenge', {
          raw,
          headers: { 'content-type': 'application/json' },
        }),
        400,
        'invalid_request',
      );
    }
    const invalidUtf8 = new Uint8Array([
      0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d,
    ]);
    await expectProblem(
      await h.request('POST', '/auth/challenge', {
        raw: invalidUtf8,
        headers: { 'content-type': 'application/json' },
      }),
      400,
      'invalid_request',
    );
  });

  it('deeply nested JSON is a typed 400, not a stack overflow', async () => {
    const h = await createHarness();
    const raws = [
      '['.repeat(8000) + ']'.repeat(8000),
      '{"address":' + '{"a":'.repeat(2000) + '1' + '}'.repeat(2000) + '}',
    ];
    for (const raw of raws) {
      await expectProblem(
        await h.request('POST', '/auth/challenge', {
          raw,
          headers: { 'content-type': 'application/json' },
        }),
        400,
        'invalid_request',
      );
    }
  });

  it('prototype-pollution keys are refused and pollute nothing', async () => {
    const h = await createHarness();
    const w = wallet();
    for (const raw of [
      `{"address":"${w.address}","__proto__":{"polluted":true}}`,
      `{"address":"${w.address}","constructor":{"prototype":{"polluted":true}}}`,
      `{"message":"m","signature":"s","prototype":1}`,
      // The same keys spelled with JSON escapes.
      `{"address":"${w.address}","\\u005f_proto__":{"polluted":true}}`,
      `{"address":"${w.address}","constr\\u0075ctor":{"prototype":{"polluted":true}}}`,
    ]) {
      await expectProblem(
        await h.request('POST', '/auth/challenge', {
          raw,
          headers: { 'content-type': 'application/json' },
        }),
        400,
        'invalid_request',
      );
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('absurdly long strings are 400 without echoing them', async () => {
    const h = await createHarness();
    const res = await h.request('POST', '/auth/verify', {
      body: { message: 'x'.repeat(100), signature: 'S'.repeat(5000) },
    });
    await expectProblem(res.clone(), 400, 'invalid_request');
    expect(await res.text()).not.toContain('SSSSSSSS');
    await expectProblem(
      await h.request('POST', '/auth/challenge', { body: { address: 'E'.repeat(65) } }),
      400,
      'invalid_request',
    );
  });

  it('unicode tricks in addresses (homoglyphs, zero-width, RTL marks, full-width) are invalid_address', async () => {
    const h = await createHarness();
    const a = wallet().address;
    const tricks = [
      `${a.slice(0, 5)}\u200b${a.slice(5)}`, // zero-width space
      `\u202e${a}`, // RTL override
      `${a}\u200f`, // RTL mark
      `\u0415${a.slice(1)}`, // Cyrillic Е
      a.replace(/[A-Za-z]/, (c) => String.fromCharCode(c.charCodeAt(0) + 0xfee0)), // full-width
      `${a.slice(0, -1)}\u0301`, // combining accent
      ` ${a}`,
      `${a}\n`,
    ];
    for (const address of tricks) {
      await expectProblem(
        await h.request('POST', '/auth/challenge', { body: { address } }),
        400,
        'invalid_address',
      );
    }
  });

  it('malformed messages and signatures on /verify are typed', async () => {
    const h = await createHarness();
    const w = wallet();
    await expectProblem(
      await h.request('POST', '/auth/verify', { body: { message: 'hello', signature: 'x' } }),
      400,
      'invalid_message',
    );
    const { message } = await h.challenge(w);
    await expectProblem(
      await h.request('POST', '/auth/verify', { body: { message, signature: 'not base64!' } }),
      400,
      'invalid_signature_encoding',
    );
  });
});
