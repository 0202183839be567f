// Test-only: a minimal browser cookie jar for the cookie-mode tests: applies Set-Cookie values
// (Max-Age=0 deletes), sends the cookies whose Path matches, the longest path first, as browsers do.

export interface JarCookie {
  name: string;
  value: string;
  path: string;
  attributes: string[];
}

export class CookieJar {
  readonly cookies = new Map<string, JarCookie>();

  /** Apply `set-cookie` values (a Response's, or a `setCookie` list). */
  apply(setCookie: Response | string[]): this {
    const values = Array.isArray(setCookie) ? setCookie : setCookie.headers.getSetCookie();
    for (const line of values) {
      const [pair, ...attributes] = line.split(';').map((p) => p.trim());
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq);
      const value = pair!.slice(eq + 1);
      const path = attributes.find((a) => a.startsWith('Path='))?.slice(5) ?? '/';
      const maxAge = attributes.find((a) => a.startsWith('Max-Age='));
      const key = `${name}|${path}`;
      if (maxAge !== undefined && Number(maxAge.slice(8)) <= 0) this.cookies.delete(key);
      else this.cookies.set(key, { name, value, path, attributes });
    }
    return this;
  }

  /** The `cookie` header a browser sends for `path`. */
  header(path = '/'): string {
    return [...this.cookies.values()]
      .filter(
        (c) => path === c.path || path.startsWith(c.path.endsWith('/') ? c.path : `${c.path}/`),
      )
      .sort((a, b) => b.path.length - a.path.length)
      .map((c) => `${c.name}=${c.value}`)
      .join('; ');
  }

  /** The value of cookie `name` (any path), or undefined. */
  get(name: string): string | undefined {
    for (const c of this.cookies.values()) if (c.name === name) return c.value;
    return undefined;
  }

  delete(name: string): void {
    for (const [k, c] of this.cookies) if (c.name === name) this.cookies.delete(k);
  }
}

/** Cookie name → its attributes (value and Max-Age's number dropped), of set-cookie values. */
export function cookieAttributes(setCookie: Response | string[]): Record<string, string[]> {
  const values = Array.isArray(setCookie) ? setCookie : setCookie.headers.getSetCookie();
  const out: Record<string, string[]> = {};
  for (const line of values) {
    const [pair, ...attributes] = line.split(';').map((p) => p.trim());
    out[pair!.slice(0, pair!.indexOf('='))] = attributes;
  }
  return out;
}
