import { html } from 'hono/html';
import type { HtmlEscapedString } from 'hono/utils/html';
import type { Fleet, Me } from '../api/contract.ts';
import { roleAtLeast } from '../domain/accounts/index.ts';
import { actionButton, csrfField, time } from './components.ts';

type Body = HtmlEscapedString | Promise<HtmlEscapedString>;

const NAV = [
  ['overview', '/', 'Overview'],
  ['agents', '/agents', 'Agents'],
  ['inventory', '/inventory', 'Inventory'],
  ['jobs', '/jobs', 'Jobs'],
  ['executions', '/executions', 'Executions'],
  ['approvals', '/approvals', 'Approvals'],
  ['schedules', '/schedules', 'Schedules'],
  ['audit', '/audit', 'Audit'],
] as const;

/** Which nav entry a page belongs to. */
export type Section = (typeof NAV)[number][0] | 'none';

const banner = (fleet: Fleet | undefined, csrf: string, me: Me | undefined) =>
  fleet?.halted === true
    ? html`<div class="halt-banner" role="alert">
        <strong>The fleet is halted</strong> by ${fleet.changed_by ?? 'someone'} at ${time(fleet.changed_at)}:
        ${fleet.reason ?? 'no reason given'}${fleet.kill_running ? ' (running work was killed)' : ''}. Agents refuse new work.
        ${me !== undefined && roleAtLeast(me.role, 'operator') ? actionButton({ action: '/fleet/resume', label: 'Resume the fleet', csrf, confirm: 'Let the whole fleet work again?' }) : ''}
      </div>`
    : '';

/** The page shell: navigation, the halt banner (live), a flash message, the content. */
export const page = (o: {
  title: string;
  section: Section;
  csrf: string;
  /** Who is signed in (absent on the sign-in and error pages). */
  me?: Me | undefined;
  fleet?: Fleet | undefined;
  flash?: string | undefined;
  signedIn?: boolean;
  /** Whether the page follows live updates (default: when signed in). */
  live?: boolean;
  /** The address live updates fetch the page from (a page shown after a refused form was posted elsewhere). */
  url?: string;
  body: Body;
}) => html`<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>${o.title} · kanade</title>
    <link rel="stylesheet" href="/assets/app.css" />
    <script src="/assets/app.js" defer></script>
  </head>
  <body ${o.url === undefined ? '' : html`data-page="${o.url}"`}>
    <a class="skip" href="#main">Skip to content</a>
    <header class="top">
      <a class="brand" href="/">kanade</a>
      <nav aria-label="main">
        <ul>
          ${NAV.map(
            ([key, href, label]) =>
              html`<li><a href="${href}" ${key === o.section ? html`aria-current="page"` : ''}>${label}</a></li>`,
          )}
        </ul>
      </nav>
      ${
        o.signedIn === false
          ? ''
          : html`<span class="who">${o.me === undefined ? '' : html`${o.me.actor} <span class="badge muted">${o.me.role}</span>`}</span>
            <form method="post" action="/signout" class="inline signout">${csrfField(o.csrf)}<button type="submit" class="link">Sign out</button></form>`
      }
    </header>
    <div id="banner" ${(o.live ?? o.signedIn !== false) ? html`data-live` : ''}>${banner(o.fleet, o.csrf, o.me)}</div>
    <main id="main">
      ${o.flash === undefined ? '' : html`<div class="alert ok" role="status">${o.flash}</div>`}
      ${o.body}
    </main>
  </body>
</html>`;
