import { describe, expect, it } from 'vitest';
import { applySetCookie, parseSetCookie } from './next-cookies.js';

describe('parseSetCookie', () => {
  it('reads every attribute the server writes', () => {
    expect(
      parseSetCookie(
        '__Host-evrmore-session=eyJ.a.b; Path=/; Max-Age=900; HttpOnly; Secure; SameSite=Lax',
      ),
    ).toEqual({
      name: '__Host-evrmore-session',
      value: 'eyJ.a.b',
      path: '/',
      maxAge: 900,
      httpOnly: true,
      secure: true,
      sameSite: 'lax',
    });
  });

  it('keeps "=" inside the value and reads Expires', () => {
    const c = parseSetCookie('a=b=c; Expires=Thu, 01 Jan 1970 00:00:00 GMT');
    expect(c.value).toBe('b=c');
    expect(c.expires?.getTime()).toBe(0);
  });
});

describe('applySetCookie', () => {
  it('replaces refreshed cookies, removes cleared ones and keeps the others', () => {
    const header = 'theme=dark; evrmore-session=old; evrmore-rt=rt1; evrmore-fgp=f';
    expect(
      applySetCookie(header, [
        'evrmore-session=new; Path=/; Max-Age=900; HttpOnly',
        'evrmore-rt=rt2; Path=/; HttpOnly',
        'evrmore-fgp=; Path=/; Max-Age=0',
      ]),
    ).toBe('theme=dark; evrmore-session=new; evrmore-rt=rt2');
  });

  it('adds cookies to an empty header', () => {
    expect(applySetCookie(null, ['a=1; Path=/'])).toBe('a=1');
  });
});
