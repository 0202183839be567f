// Test-side helper: Node's fetch has no cookie store, so the cross-package test gives the client a
// fetch that keeps cookies like a browser would for one origin (Path matching, Max-Age/Expires,
// deletion). `Secure` cookies are sent over http://127.0.0.1/localhost, as browsers do for
// loopback (a potentially trustworthy origin).

export interface StoredCookie {
  name: string;
  value: string;
  path: string;
  expiresAt: number | null;
  httpOnly: boolean;
}

export interface CookieJar {
  fetch: typeof fetch;
  /** Cookies by name (for assertions: e.g. that the refresh cookie is HttpOnly). */
  cookies(): StoredCookie[];
  /** Put cookies back as they were (to replay an old refresh cookie, as a thief would). */
  restore(cookies: StoredCookie[]): void;
  clear(): void;
}

function defaultPath(url: URL): string {
  const p = url.pathname;
  const i = p.lastIndexOf('/');
  return i <= 0 ? '/' : p.slice(0, i);
}

function pathMatches(cookiePath: string, requestPath: string): boolean {
  if (requestPath === cookiePath) return true;
  if (!requestPath.startsWith(cookiePath)) return false;
  return cookiePath.endsWith('/') || requestPath[cookiePath.length] === '/';
}

/** A fetch with a cookie jar, for one origin. */
export function createCookieJar(now: () => number = Date.now): CookieJar {
  const jar = new Map<string, StoredCookie>();
  const store = (url: URL, header: string): void => {
    const [pair = '', ...attrs] = header.split(';');
    const eq = pair.indexOf('=');
    if (eq <= 0) return;
    const cookie: StoredCookie = {
      name: pair.slice(0, eq).trim(),
      value: pair.slice(eq + 1).trim(),
      path: defaultPath(url),
      expiresAt: null,
      httpOnly: false,
    };
    for (const attr of attrs) {
      const [k = '', v = ''] = attr.split('=').map((s) => s.trim());
      const key = k.toLowerCase();
      if (key === 'path' && v.startsWith('/')) cookie.path = v;
      else if (key === 'max-age') cookie.expiresAt = now() + Number(v) * 1000;
      else if (key === 'expires' && cookie.expiresAt === null) cookie.expiresAt = Date.parse(v);
      else if (key === 'httponly') cookie.httpOnly = true;
    }
    const id = `${cookie.name};${cookie.path}`;
    if (cookie.expiresAt !== null && cookie.expiresAt <= now()) jar.delete(id);
    else jar.set(id, cookie);
  };
  const cookieFetch: typeof fetch = async (input, init) => {
    const request = new Request(input, init);
    const url = new URL(request.url);
    const live = [...jar.values()].filter(
      (c) => (c.expiresAt === null || c.expiresAt > now()) && pathMatches(c.path, url.pathname),
    );
    const headers = new Headers(request.headers);
    if (live.length > 0) headers.set('cookie', live.map((c) => `${c.name}=${c.value}`).join('; '));
    const response = await fetch(new Request(request, { headers }));
    for (const header of response.headers.getSetCookie()) store(url, header);
    return response;
  };
  return {
    fetch: cookieFetch,
    cookies: () => [...jar.values()].map((c) => ({ ...c })),
    restore: (cookies) => {
      jar.clear();
      for (const c of cookies) jar.set(`${c.name};${c.path}`, { ...c });
    },
    clear: () => jar.clear(),
  };
}
