import type { Context } from 'hono';
import { html } from 'hono/html';
import { page } from '../layout.ts';
import { publicOrigin, safeNext } from '../session.ts';

/** `/signin`: the operator pastes an API token (`kanade dev` prints it); the browser then keeps it in an httpOnly cookie. */
export const signinPage = (c: Context, error?: string, next = safeNext(c.req.query('next'), publicOrigin(c))) => {
  const body = html`<h1>Sign in</h1>
    ${error === undefined ? '' : html`<div class="alert bad" role="alert">${error}</div>`}
    <form method="post" action="/signin" class="signin">
      <input type="hidden" name="next" value="${next}" />
      <label for="token">API token</label>
      <input id="token" name="token" type="password" required autocomplete="current-password" autofocus />
      <p class="hint"><code>kanade dev</code> prints it; the server keeps it in <code>&lt;data-dir&gt;/token</code>.</p>
      <button type="submit" class="primary">Sign in</button>
    </form>`;
  c.header('Cache-Control', 'no-store');
  return c.html(
    page({ title: 'Sign in', section: 'none', csrf: '', signedIn: false, body }),
    error === undefined ? 200 : 401,
  );
};
