// The `htu` of a DPoP proof and the URL it must match (RFC 9449 §4.3, RFC 3986 §6).

/**
 * `url` without query and fragment, normalised as RFC 9449 §4.3 asks (RFC 3986 §6 syntax-based
 * normalisation, as the WHATWG URL parser does it): scheme and host lower case, default port
 * dropped, dot segments removed, percent-encoding hex upper case. `null` when `url` is not an
 * absolute http(s) URL.
 */
export function normaliseHtu(url: string): string | null {
  if (typeof url !== 'string' || url.length > 2048) return null;
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return null;
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') return null;
  if (u.username !== '' || u.password !== '') return null;
  const path = u.pathname.replace(/%[0-9a-f]{2}/gi, (m) => m.toUpperCase());
  return `${u.protocol}//${u.host}${path}`;
}

/**
 * The `htu` a proof for this request must carry: the request URL as the server received it
 * (scheme, `Host`, path), with the scheme `https` when the client reached the site over HTTPS
 * through a trusted proxy (`x-forwarded-proto`, see `trustedProxies`). A proxy in front must
 * pass the `Host` header through unchanged.
 */
export function expectedHtu(requestUrl: string, https: boolean): string | null {
  const htu = normaliseHtu(requestUrl);
  if (htu === null || !https || htu.startsWith('https:')) return htu;
  // Behind a TLS-terminating proxy: the public URL is https (an explicit :443 is its default).
  return normaliseHtu(`https:${htu.slice('http:'.length)}`);
}
