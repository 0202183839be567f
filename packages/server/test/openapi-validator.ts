// Response validation against the OpenAPI document (test-only): every response the route tests
// receive must be one the document describes (status, media type, required headers, body). The
// bodies are checked by Ajv's JSON Schema 2020-12 validator (OpenAPI 3.1's dialect) compiled from
// the document's own schemas, so a route that answers something the document does not say fails
// its test.
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import type { OpenApiDocument } from '../src/openapi/document.js';

/** A response as the validator sees it. */
export interface ObservedResponse {
  status: number;
  headers: Headers;
  /** The body text ('' when there is none). */
  body: string;
}

/** Checks responses against one document. */
export interface ResponseValidator {
  /** What is wrong with `response` to `method url` (empty when it matches the document). */
  check(method: string, url: string, response: ObservedResponse): string[];
}

type Json = Record<string, unknown>;

interface PathMatcher {
  template: string;
  regex: RegExp;
  item: Record<string, Json>;
}

/** The `code` of a problem+json body, if it is one. */
function problemCode(response: ObservedResponse): string | undefined {
  if (!response.headers.get('content-type')?.startsWith('application/problem+json'))
    return undefined;
  try {
    const code = (JSON.parse(response.body) as { code?: unknown }).code;
    return typeof code === 'string' ? code : undefined;
  } catch {
    return undefined;
  }
}

/** Build the validator of `doc` (schemas compile lazily, once each). */
export function createResponseValidator(doc: OpenApiDocument): ResponseValidator {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats(ajv);
  const components = doc.components as Json;
  const compiled = new WeakMap<Json, ValidateFunction>();
  const validatorOf = (schema: Json): ValidateFunction => {
    let fn = compiled.get(schema);
    if (!fn) {
      // `#/components/...` references resolve against this root.
      fn = ajv.compile({ ...schema, components });
      compiled.set(schema, fn);
    }
    return fn;
  };
  const deref = (node: Json): Json => {
    const ref = node.$ref;
    if (typeof ref !== 'string') return node;
    let target: unknown = doc;
    for (const part of ref.slice(2).split('/')) target = (target as Json)[part];
    return target as Json;
  };
  const componentSchema = (name: string): Json =>
    (components.schemas as Record<string, Json>)[name]!;

  const matchers: PathMatcher[] = Object.entries(doc.paths).map(([template, item]) => {
    const params = new Map<string, string>();
    for (const op of Object.values(item as Record<string, Json>))
      for (const p of (op.parameters as Json[] | undefined) ?? [])
        if (p.in === 'path') {
          const pattern = (p.schema as Json).pattern;
          params.set(
            p.name as string,
            typeof pattern === 'string' ? pattern.replace(/^\^|\$$/g, '') : '[^/]+',
          );
        }
    const source = template
      .split(/(\{[^}]+\})/)
      .map((part) =>
        part.startsWith('{')
          ? `(?:${params.get(part.slice(1, -1)) ?? '[^/]+'})`
          : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'),
      )
      .join('');
    return { template, regex: new RegExp(`^${source}$`), item: item as Record<string, Json> };
  });

  const checkBody = (
    where: string,
    content: Record<string, Json> | undefined,
    response: ObservedResponse,
  ): string[] => {
    const contentType = response.headers.get('content-type');
    if (content === undefined) {
      if (response.body !== '') return [`${where}: documented without a body, got one`];
      return [];
    }
    const mediaType = contentType?.split(';')[0]!.trim().toLowerCase() ?? '';
    const media = content[mediaType];
    if (!media)
      return [
        `${where}: content-type ${contentType ?? '(none)'} is not one of ${Object.keys(content).join(', ')}`,
      ];
    let body: unknown;
    try {
      body = JSON.parse(response.body);
    } catch {
      return [`${where}: the body is not JSON`];
    }
    const validate = validatorOf(media.schema as Json);
    if (validate(body)) return [];
    return (validate.errors ?? []).map(
      (e) =>
        `${where}: body${e.instancePath} ${e.message ?? 'is invalid'} ${JSON.stringify(e.params)}`,
    );
  };

  const checkProblem = (where: string, codes: string[], response: ObservedResponse): string[] => {
    const errors = checkBody(
      where,
      { 'application/problem+json': { schema: componentSchema('Problem') } },
      response,
    );
    if (errors.length > 0) return errors;
    const code = (JSON.parse(response.body) as { code: string }).code;
    return codes.includes(code) ? [] : [`${where}: code ${code} is not one of ${codes.join(', ')}`];
  };

  const SCREENED = ['ip_denied', 'unavailable'] as const;
  return {
    check(method, url, response) {
      const path = new URL(url).pathname;
      const upper = method.toUpperCase();
      const where = `${upper} ${path} → ${response.status}`;
      const matcher = matchers.find((m) => m.regex.test(path));
      // Outside the document's operations: unknown paths, other methods, CORS preflights.
      if (upper === 'OPTIONS') {
        if (response.status === 204) return response.body === '' ? [] : [`${where}: a body`];
        return checkProblem(where, ['origin_forbidden', 'not_found', ...SCREENED], response);
      }
      // (a deny-listed client IP is refused on every path: 403 ip_denied, or 503 when the lists
      // cannot be read)
      if (!matcher) return checkProblem(where, ['not_found', ...SCREENED], response);
      const operation = matcher.item[method.toLowerCase()];
      if (!operation) {
        const errors = checkProblem(where, ['method_not_allowed', ...SCREENED], response);
        if (response.status === 405 && !response.headers.has('allow'))
          errors.push(`${where}: no Allow header`);
        return errors;
      }
      const documented = (operation.responses as Record<string, Json>)[String(response.status)];
      if (!documented)
        return [
          `${where}: status ${response.status} is not documented for ${upper} ${matcher.template} (${Object.keys(operation.responses as Json).join(', ')})`,
        ];
      const errors: string[] = [];
      const code = problemCode(response);
      for (const [name, ref] of Object.entries((documented.headers as Json | undefined) ?? {})) {
        const header = deref(ref as Json);
        const requiredFor = header['x-required-for-codes'] as string[] | undefined;
        const required =
          header.required === true || (code !== undefined && requiredFor?.includes(code) === true);
        if (required && !response.headers.has(name))
          errors.push(`${where}: the required header ${name} is missing`);
      }
      errors.push(
        ...checkBody(where, documented.content as Record<string, Json> | undefined, response),
      );
      return errors;
    },
  };
}
