import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Context, MiddlewareHandler } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { type Api, apiFor, type CallApi } from './apiClient.ts';

/** The cookie the browser keeps the operator's API token in (httpOnly: page scripts never see it). */
export const TOKEN_COOKIE = 'kanade_token';
const FLASH_COOKIE = 'kanade_flash';
const SESSION_SECONDS = 12 * 3600;

/** What every dashboard handler knows: the API as the signed-in operator, and the form token. */
export type WebEnv = { Variables: { api: Api; csrf: string; token: string | undefined; form: Form } };

/** A submitted form (fields that repeat are lists). */
export type Form = Record<string, string | File | (string | File)[]>;

const secure = (c: Context) => new URL(c.req.url).protocol === 'https:';

/**
 * The form token of a session: an HMAC keyed by the operator's own API token, so a page of another
 * site (which cannot read the httpOnly cookie) cannot forge it, and every server computes the same.
 */
export const csrfFor = (token: string | undefined): string =>
  createHmac('sha256', token ?? 'kanade-insecure-dev-mode')
    .update('kanade dashboard forms')
    .digest('base64url');

/** Keeps the token in a Strict, httpOnly cookie (Secure over HTTPS). */
export const signIn = (c: Context, token: string) =>
  setCookie(c, TOKEN_COOKIE, token, {
    httpOnly: true,
    sameSite: 'Strict',
    secure: secure(c),
    path: '/',
    maxAge: SESSION_SECONDS,
  });

/** Forgets the token. */
export const signOut = (c: Context) => deleteCookie(c, TOKEN_COOKIE, { path: '/' });

/** A one-shot message shown on the next page (after a redirect). */
export const flash = (c: Context, message: string) =>
  setCookie(c, FLASH_COOKIE, encodeURIComponent(message), {
    httpOnly: true,
    sameSite: 'Strict',
    secure: secure(c),
    path: '/',
    maxAge: 60,
  });

/** Reads and clears the flash message. */
export const takeFlash = (c: Context): string | undefined => {
  const raw = getCookie(c, FLASH_COOKIE);
  if (raw === undefined) return undefined;
  deleteCookie(c, FLASH_COOKIE, { path: '/' });
  return decodeURIComponent(raw);
};

/**
 * Every dashboard page and form needs a session (except in insecure dev mode, where the API needs
 * none): without one the browser goes to the sign-in page. State-changing requests must carry the
 * form token and, when the browser sends one, an Origin of this site.
 */
export const requireSession =
  (callApi: CallApi, insecure: boolean): MiddlewareHandler<WebEnv> =>
  async (c, next) => {
    const token = getCookie(c, TOKEN_COOKIE);
    if (token === undefined && !insecure) {
      const back = new URL(c.req.url);
      return c.redirect(`/signin?next=${encodeURIComponent(back.pathname + back.search)}`, 303);
    }
    const csrf = csrfFor(token);
    c.set('form', {});
    if (c.req.method !== 'GET' && c.req.method !== 'HEAD') {
      const form = await c.req.parseBody({ all: true });
      c.set('form', form);
      const sent = typeof form._csrf === 'string' ? form._csrf : '';
      const origin = c.req.header('Origin');
      const sameOrigin = origin === undefined || origin === new URL(c.req.url).origin;
      if (!sameOrigin || !equal(sent, csrf))
        return c.text('This form is not from this dashboard (or it expired): reload the page and try again.', 403);
    }
    c.set('token', token);
    c.set('csrf', csrf);
    c.set('api', apiFor(callApi, token));
    return next();
  };

const equal = (a: string, b: string) => {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
};
