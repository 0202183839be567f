// A minimal browser stand-in for the scale tests: a local Evrmore key signs the challenge, and the
// refresh and fingerprint cookies are carried by hand (the instances listen on plain http).

import { generatePrivateKey, privateKeyToAddress, signMessage } from '@evrmore-auth/core';
import { ORIGIN } from './cluster.js';

/** A wallet with its address. */
export interface Wallet {
  privateKey: Uint8Array;
  address: string;
}

export function newWallet(): Wallet {
  const privateKey = generatePrivateKey();
  return { privateKey, address: privateKeyToAddress(privateKey) };
}

/** Cookies by name, taken from set-cookie headers. */
export type Cookies = Record<string, string>;

/** name=value of every set-cookie of a response (a cleared cookie has an empty value). */
export function setCookies(res: Response): Cookies {
  const out: Cookies = {};
  for (const line of res.headers.getSetCookie()) {
    const [pair] = line.split(';');
    const eq = pair!.indexOf('=');
    if (eq > 0) out[pair!.slice(0, eq).trim()] = pair!.slice(eq + 1).trim();
  }
  return out;
}

export function cookieHeader(cookies: Cookies): string {
  return Object.entries(cookies)
    .filter(([, v]) => v !== '')
    .map(([k, v]) => `${k}=${v}`)
    .join('; ');
}

const JSON_HEADERS = { 'content-type': 'application/json', origin: ORIGIN };

export function post(
  base: string,
  path: string,
  body: unknown,
  headers: Record<string, string> = {},
) {
  return fetch(`${base}${path}`, {
    method: 'POST',
    headers: { ...JSON_HEADERS, ...headers },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
  });
}

/** A challenge issued by `base`, signed by `wallet`: the body of POST /auth/verify. */
export async function signedChallenge(base: string, wallet: Wallet) {
  const res = await post(base, '/auth/challenge', { address: wallet.address });
  if (res.status !== 201) throw new Error(`challenge: ${res.status} ${await res.text()}`);
  const { message } = (await res.json()) as { message: string };
  return { message, signature: signMessage({ privateKey: wallet.privateKey, message }) };
}

/** A signed-in browser: its access token and its cookies. */
export interface SignedIn {
  accessToken: string;
  sessionId: string;
  cookies: Cookies;
}

export async function readTokens(res: Response, previous: Cookies = {}): Promise<SignedIn> {
  const body = (await res.json()) as { accessToken: string; session: { id: string } };
  return {
    accessToken: body.accessToken,
    sessionId: body.session.id,
    cookies: { ...previous, ...setCookies(res) },
  };
}

/** Signs in at `verifyBase` with a challenge from `challengeBase`. */
export async function signIn(challengeBase: string, verifyBase: string, wallet: Wallet) {
  const body = await signedChallenge(challengeBase, wallet);
  const res = await post(verifyBase, '/auth/verify', body);
  if (res.status !== 200) throw new Error(`verify: ${res.status} ${await res.text()}`);
  return readTokens(res);
}

/** GET /auth/session with the access token and fingerprint cookie. */
export function getSession(base: string, s: SignedIn) {
  return fetch(`${base}/auth/session`, {
    headers: { authorization: `Bearer ${s.accessToken}`, cookie: cookieHeader(s.cookies) },
    signal: AbortSignal.timeout(30_000),
  });
}

/** POST /auth/refresh with the browser's cookies. */
export function refresh(base: string, cookies: Cookies) {
  return post(base, '/auth/refresh', {}, { cookie: cookieHeader(cookies) });
}

/** The JSON `code` of a problem response. */
export async function problemCode(res: Response): Promise<string | undefined> {
  try {
    return ((await res.json()) as { code?: string }).code;
  } catch {
    return undefined;
  }
}
