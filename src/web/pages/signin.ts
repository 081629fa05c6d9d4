import type { Context } from 'hono';
import { html } from 'hono/html';
import { page } from '../layout.ts';
import { publicOrigin, safeNext } from '../session.ts';

/**
 * `/signin`: a name and password (a session kept in an httpOnly cookie), or an API token pasted in
 * (`kanade dev` prints the server's own).
 */
export const signinPage = (
  c: Context,
  error?: { message: string; status: 401 | 429 },
  next = safeNext(c.req.query('next'), publicOrigin(c)),
) => {
  const body = html`<h1>Sign in</h1>
    ${error === undefined ? '' : html`<div class="alert bad" role="alert">${error.message}</div>`}
    <form method="post" action="/signin" class="signin">
      <input type="hidden" name="next" value="${next}" />
      <label for="user">Name</label>
      <input id="user" name="user" required autocomplete="username" autofocus maxlength="64" />
      <label for="password">Password</label>
      <input id="password" name="password" type="password" required autocomplete="current-password" maxlength="256" />
      <button type="submit" class="primary">Sign in</button>
    </form>
    <details class="signin-token">
      <summary>Sign in with an API token instead</summary>
      <form method="post" action="/signin" class="signin">
        <input type="hidden" name="next" value="${next}" />
        <label for="token">API token</label>
        <input id="token" name="token" type="password" required autocomplete="off" />
        <p class="hint"><code>kanade dev</code> prints the server’s; it keeps it in <code>&lt;data-dir&gt;/token</code>.</p>
        <button type="submit">Sign in with the token</button>
      </form>
    </details>`;
  c.header('Cache-Control', 'no-store');
  return c.html(page({ title: 'Sign in', section: 'none', csrf: '', signedIn: false, body }), error?.status ?? 200);
};
