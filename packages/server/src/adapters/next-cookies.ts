// Set-Cookie handling for the Next.js adapter: Next's `cookies().set` takes an object, and the
// proxy hands the refreshed cookies on in the request's `cookie` header.

/** A parsed `Set-Cookie` value, in the object form of Next's `cookies().set`. */
export interface ParsedSetCookie {
  name: string;
  value: string;
  path?: string;
  domain?: string;
  maxAge?: number;
  expires?: Date;
  httpOnly?: boolean;
  secure?: boolean;
  sameSite?: 'lax' | 'strict' | 'none';
}

/** One `Set-Cookie` value (as this package writes them) → `cookies().set`'s object form. */
export function parseSetCookie(value: string): ParsedSetCookie {
  const [pair = '', ...attributes] = value.split(';');
  const eq = pair.indexOf('=');
  const cookie: ParsedSetCookie = {
    name: pair.slice(0, eq).trim(),
    value: pair.slice(eq + 1).trim(),
  };
  for (const attribute of attributes) {
    const i = attribute.indexOf('=');
    const key = (i < 0 ? attribute : attribute.slice(0, i)).trim().toLowerCase();
    const v = i < 0 ? '' : attribute.slice(i + 1).trim();
    if (key === 'path') cookie.path = v;
    else if (key === 'domain') cookie.domain = v;
    else if (key === 'max-age') cookie.maxAge = Number(v);
    else if (key === 'expires') cookie.expires = new Date(v);
    else if (key === 'httponly') cookie.httpOnly = true;
    else if (key === 'secure') cookie.secure = true;
    else if (key === 'samesite') cookie.sameSite = v.toLowerCase() as 'lax' | 'strict' | 'none';
  }
  return cookie;
}

/**
 * The request's `cookie` header with the cookies of `setCookie` applied (new values replace,
 * cleared ones — `Max-Age=0` — are removed), for the request the proxy hands on.
 */
export function applySetCookie(cookieHeader: string | null, setCookie: readonly string[]): string {
  const jar = new Map<string, string>();
  for (const part of (cookieHeader ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0) jar.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  for (const value of setCookie) {
    const c = parseSetCookie(value);
    const expired = c.maxAge !== undefined ? c.maxAge <= 0 : (c.expires?.getTime() ?? 1) <= 0;
    if (expired || c.value === '') jar.delete(c.name);
    else jar.set(c.name, c.value);
  }
  return [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
}
