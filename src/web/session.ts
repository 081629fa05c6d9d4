import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Context, MiddlewareHandler } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import type { Me } from '../api/contract.ts';
import { type Role, roleAtLeast } from '../domain/accounts/index.ts';
import { type Api, apiFor, type CallApi } from './apiClient.ts';

/** The cookie the browser keeps the session (or a pasted API token) in (httpOnly: page scripts never see it). */
export const TOKEN_COOKIE = 'kanade_token';
const FLASH_COOKIE = 'kanade_flash';
const SESSION_SECONDS = 12 * 3600;

/** A submitted form (fields that repeat are lists). */
export type Form = Record<string, string | File | (string | File)[]>;

/** What every dashboard handler knows: the API as the signed-in operator, the form token, the posted form. */
export type WebEnv = { Variables: { api: Api; csrf: string; token: string | undefined; form: Form; me: Me } };

/** True when the signed-in person's role allows what needs `role` (the API refuses it otherwise anyway). */
export const can = (c: Context<WebEnv>, role: Role): boolean => roleAtLeast(c.var.me.role, role);

/**
 * The origin the browser sees: behind a TLS-terminating proxy, the one it forwards
 * (`X-Forwarded-Proto`, `X-Forwarded-Host`; a page of another site cannot set these on a browser's request).
 */
export const publicOrigin = (c: Context): string => {
  const url = new URL(c.req.url);
  const proto = c.req.header('X-Forwarded-Proto')?.split(',')[0]?.trim() ?? url.protocol.replace(':', '');
  const host = c.req.header('X-Forwarded-Host')?.split(',')[0]?.trim() ?? url.host;
  return `${proto}://${host}`;
};

/** True when the request comes from a page of this dashboard (or from no page: curl, a test). */
export const sameOrigin = (c: Context): boolean => {
  const origin = c.req.header('Origin');
  const site = c.req.header('Sec-Fetch-Site');
  return (
    (origin === undefined || origin === publicOrigin(c)) &&
    (site === undefined || site === 'same-origin' || site === 'none')
  );
};

/**
 * The form token of a session: an HMAC keyed by the operator's own API token, so a page of another
 * site (which cannot read the httpOnly cookie) cannot forge it, and every server computes the same.
 */
export const csrfFor = (token: string | undefined): string =>
  createHmac('sha256', token ?? 'kanade-insecure-dev-mode')
    .update('kanade dashboard forms')
    .digest('base64url');

const cookieOptions = (c: Context, maxAge: number) =>
  ({
    httpOnly: true,
    // Lax: a link from chat or mail opens the page signed in; every change is a POST with a form token.
    sameSite: 'Lax',
    secure: publicOrigin(c).startsWith('https:'),
    path: '/',
    maxAge,
  }) as const;

/** Keeps the token in an httpOnly cookie (Secure over HTTPS). */
export const signIn = (c: Context, token: string) =>
  setCookie(c, TOKEN_COOKIE, token, cookieOptions(c, SESSION_SECONDS));

/** Forgets the token. */
export const signOut = (c: Context) => deleteCookie(c, TOKEN_COOKIE, { path: '/' });

/** A one-shot message shown on the next page (after a redirect). */
export const flash = (c: Context, message: string) =>
  setCookie(c, FLASH_COOKIE, encodeURIComponent(message), cookieOptions(c, 60));

/** Reads and clears the flash message. */
export const takeFlash = (c: Context): string | undefined => {
  const raw = getCookie(c, FLASH_COOKIE);
  if (raw === undefined) return undefined;
  deleteCookie(c, FLASH_COOKIE, { path: '/' });
  return decodeURIComponent(raw);
};

/** API tokens are printable ASCII (they travel in an HTTP header). */
export const isTokenShaped = (token: string): boolean => /^[\x21-\x7e]{1,512}$/.test(token);

/** Where to send the browser to sign in, and back to the page it was on (for a form: the page it was posted from). */
export const signInRedirect = (c: Context): string => {
  const here = new URL(c.req.url);
  const referer = c.req.header('Referer');
  const back = c.req.method === 'GET' || referer === undefined ? `${here.pathname}${here.search}` : referer;
  return `/signin?next=${encodeURIComponent(safeNext(back, publicOrigin(c)))}`;
};

/** Only a path of this site may be redirected to after signing in (never another host, however spelled). */
export const safeNext = (next: string | undefined, origin: string): string => {
  const controlOrBackslash = [...(next ?? '')].some(
    (ch) => ch.charCodeAt(0) < 0x20 || ch.charCodeAt(0) === 0x7f || ch === '\\',
  );
  if (next === undefined || next === '' || controlOrBackslash) return '/';
  try {
    const url = new URL(next, origin);
    return url.origin === origin ? `${url.pathname}${url.search}` : '/';
  } catch {
    return '/';
  }
};

/**
 * Every dashboard page and form needs a session (except in insecure dev mode, where the API needs
 * none): without one the browser goes to the sign-in page. State-changing requests must carry the
 * form token and come from this site.
 */
export const requireSession =
  (callApi: CallApi, insecure: boolean): MiddlewareHandler<WebEnv> =>
  async (c, next) => {
    const token = getCookie(c, TOKEN_COOKIE);
    if (token !== undefined && !isTokenShaped(token)) signOut(c);
    if ((token === undefined || !isTokenShaped(token)) && !insecure) return c.redirect(signInRedirect(c), 303);
    const csrf = csrfFor(token);
    c.set('form', {});
    if (c.req.method !== 'GET' && c.req.method !== 'HEAD') {
      const form = await c.req.parseBody({ all: true });
      c.set('form', form);
      const sent = typeof form._csrf === 'string' ? form._csrf : '';
      if (!sameOrigin(c) || !equal(sent, csrf))
        return c.text('This form is not from this dashboard (or it expired): reload the page and try again.', 403);
    }
    c.set('token', token);
    c.set('csrf', csrf);
    const api = apiFor(callApi, token);
    c.set('api', api);
    // Who is signed in, and their role, read on every page (a disabled user's session ends here: 401).
    c.set('me', await api.get<Me>('/api/me'));
    return next();
  };

const equal = (a: string, b: string) => {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
};
