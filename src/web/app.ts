import { readFileSync } from 'node:fs';
import { type Context, Hono } from 'hono';
import { html } from 'hono/html';
import type { OpenedSession } from '../api/contract.ts';
import { ApiFailure, apiFor, type CallApi } from './apiClient.ts';
import { at } from './components.ts';
import { page } from './layout.ts';
import { type LiveSource, liveUpdates } from './live.ts';
import { agentPage, agentsPage, approveAgent, rejectAgent, setGroups } from './pages/agents.ts';
import { approvalsPage } from './pages/approvals.ts';
import { auditPage, eventPage } from './pages/audit.ts';
import { executionPage, executionsPage, resultPage } from './pages/executions.ts';
import { inventoryPage } from './pages/inventory.ts';
import { jobPage, jobsPage, runJob } from './pages/jobs.ts';
import { overviewPage } from './pages/overview.ts';
import { schedulePage, schedulesPage } from './pages/schedules.ts';
import { signinPage } from './pages/signin.ts';
import {
  flash,
  isTokenShaped,
  publicOrigin,
  requireSession,
  safeNext,
  sameOrigin,
  signIn,
  signInRedirect,
  signOut,
  type WebEnv,
} from './session.ts';

/** Where the dashboard reports its own failures. */
export type WebLog = { error(message: string, fields?: Record<string, unknown>): void };

/** What the dashboard needs: the API (in process), how it authenticates, what live updates follow, a log. */
export type WebDeps = { callApi: CallApi; insecure: boolean; live: LiveSource; log: WebLog };

const asset = (name: string) => readFileSync(new URL(`./assets/${name}`, import.meta.url), 'utf8');
const ASSETS: Record<string, { type: string; body: string }> = {
  'app.css': { type: 'text/css; charset=utf-8', body: asset('app.css') },
  'app.js': { type: 'text/javascript; charset=utf-8', body: asset('app.js') },
};

// Only scripts and styles of this site; no framing; forms post here only.
const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'";

type Outcome = { done: string; to: string } | { page: Response };

// Same-site page the browser came from, to return to after a one-button action.
const back = (c: Context) => {
  const referer = c.req.header('Referer');
  if (referer === undefined) return '/';
  const url = new URL(referer);
  return url.origin === new URL(c.req.url).origin ? `${url.pathname}${url.search}` : '/';
};

// Runs an action; success flashes and redirects (post/redirect/get); an API refusal flashes why and goes back.
const act = (fn: (c: Context<WebEnv>) => Promise<Outcome>) => async (c: Context<WebEnv>) => {
  try {
    const outcome = await fn(c);
    if ('page' in outcome) return outcome.page;
    flash(c, outcome.done);
    return c.redirect(outcome.to, 303);
  } catch (error) {
    if (!(error instanceof ApiFailure) || error.status === 401 || error.status >= 500) throw error;
    flash(
      c,
      `Refused: ${error.message}${error.issues.map((i) => ` ${i.path ? `${i.path}: ` : ''}${i.message}`).join(';')}`,
    );
    return c.redirect(back(c), 303);
  }
};

const field = (c: Context<WebEnv>, name: string) => {
  const v = c.var.form[name];
  return typeof v === 'string' ? v.trim() : '';
};
const reasonOf = (c: Context<WebEnv>) => (field(c, 'reason') === '' ? {} : { reason: field(c, 'reason') });

// A one-button action on an API resource: POST it, then go back where the operator was.
const post = (path: (c: Context<WebEnv>) => string, label: string, withReason = false) =>
  act(async (c) => {
    const res = await c.var.api.send<{ status?: string }>('POST', path(c), withReason ? reasonOf(c) : {});
    return { done: `${label}: ${res.status ?? 'done'}`, to: back(c) };
  });

/** The dashboard: server-rendered pages over the API, live through server-sent events. */
export const createWebApp = (deps: WebDeps) => {
  const live = liveUpdates(deps.live);
  const param = (name: string) => (c: Context<WebEnv>) => c.req.param(name) ?? '';
  const app = new Hono<WebEnv>()
    .use(async (c, next) => {
      await next();
      // On the response's headers: c.header() after the handler rebuilds the response as a stream.
      c.res.headers.set('Content-Security-Policy', CSP);
      c.res.headers.set('X-Content-Type-Options', 'nosniff');
      c.res.headers.set('Referrer-Policy', 'same-origin');
    })
    .get('/assets/:name', (c) => {
      const a = ASSETS[c.req.param('name')];
      if (a === undefined) return c.notFound();
      return c.body(a.body, 200, { 'Content-Type': a.type, 'Cache-Control': 'public, max-age=300' });
    })
    .get('/signin', (c) => signinPage(c))
    .post('/signin', async (c) => {
      // A page of another site must not sign the browser in as somebody else.
      if (!sameOrigin(c)) return c.text('Sign in from this dashboard’s own page.', 403);
      const form = await c.req.parseBody();
      const text = (name: string) => (typeof form[name] === 'string' ? (form[name] as string) : '');
      const next = safeNext(text('next') || undefined, publicOrigin(c));
      if (text('user') !== '') {
        // The browser's connection goes along: the API throttles failed sign-ins per address too.
        const res = await deps.callApi(
          new Request('http://kanade.internal/api/sessions', {
            method: 'POST',
            headers: { 'Content-Type': 'application/json', 'X-Kanade-Source': 'dashboard' },
            body: JSON.stringify({ user: text('user').trim(), password: text('password') }),
          }),
          c.env,
        );
        if (res.status === 401 || res.status === 429) {
          const problem = (await res.json()) as { title: string };
          return signinPage(c, { message: problem.title, status: res.status }, next);
        }
        if (!res.ok) throw new ApiFailure(res.status, `sign-in failed (${res.status})`, []);
        signIn(c, ((await res.json()) as OpenedSession).token);
        return c.redirect(next, 303);
      }
      const token = text('token').trim();
      const invalid = () => signinPage(c, { message: 'That token is not valid here.', status: 401 }, next);
      if (!isTokenShaped(token)) return invalid();
      try {
        await apiFor(deps.callApi, token).get('/api/fleet');
      } catch (error) {
        if (error instanceof ApiFailure && error.status === 401) return invalid();
        throw error;
      }
      signIn(c, token);
      return c.redirect(next, 303);
    })
    .use(requireSession(deps.callApi, deps.insecure))
    .post('/signout', async (c) => {
      // A session ends on the server too (a pasted API token stays valid: it is not the dashboard's to end).
      await c.var.api.send('DELETE', '/api/sessions/current').catch(() => undefined);
      signOut(c);
      return c.redirect('/signin', 303);
    })
    .get('/live', async (c) => {
      await c.var.api.get('/api/fleet'); // a stream only for a valid session (a 401 signs out)
      return live.handler(c);
    })
    .get('/', overviewPage)
    .get('/agents', agentsPage)
    .get('/agents/:pc', (c) => agentPage(c))
    .post('/agents/:pc/groups', act(setGroups))
    .post('/agents/:pc/approve', act(approveAgent))
    .post('/agents/:pc/reject', act(rejectAgent))
    .post(
      '/agents/:pc/terminate',
      post((c) => `${at('/api/agents', param('pc')(c))}/terminate`, 'terminate', true),
    )
    .get('/inventory', inventoryPage)
    .get('/jobs', jobsPage)
    .get('/jobs/:id', (c) => jobPage(c))
    .post('/jobs/:id/exec', act(runJob))
    .post(
      '/jobs/:id/revoke',
      post((c) => `${at('/api/jobs', param('id')(c))}/revoke`, 'revoke', true),
    )
    .post(
      '/jobs/:id/unrevoke',
      post((c) => `${at('/api/jobs', param('id')(c))}/unrevoke`, 'unrevoke'),
    )
    .get('/executions', executionsPage)
    .get('/executions/:id', executionPage)
    .post(
      '/executions/:id/kill',
      post((c) => `${at('/api/executions', param('id')(c))}/kill`, 'kill'),
    )
    .post(
      '/executions/:id/resume',
      post((c) => `${at('/api/executions', param('id')(c))}/resume`, 'resume'),
    )
    .post(
      '/executions/:id/abort',
      post((c) => `${at('/api/executions', param('id')(c))}/abort`, 'abort', true),
    )
    .post(
      '/executions/:id/approve',
      post((c) => `${at('/api/executions', param('id')(c))}/approve`, 'approve'),
    )
    .post(
      '/executions/:id/reject',
      post((c) => `${at('/api/executions', param('id')(c))}/reject`, 'reject', true),
    )
    .get('/approvals', approvalsPage)
    .get('/results/:id', resultPage)
    .get('/schedules', schedulesPage)
    .get('/schedules/:id', schedulePage)
    .post(
      '/schedules/:id/enable',
      post((c) => `${at('/api/schedules', param('id')(c))}/enable`, 'enable'),
    )
    .post(
      '/schedules/:id/disable',
      post((c) => `${at('/api/schedules', param('id')(c))}/disable`, 'disable'),
    )
    .get('/audit', auditPage)
    .get('/audit/:seq', eventPage)
    .post(
      '/fleet/halt',
      act(async (c) => {
        const body = { reason: field(c, 'reason'), kill_running: field(c, 'kill_running') === 'true' };
        const res = await c.var.api.send<{ status: string }>('POST', '/api/fleet/halt', body);
        return { done: `fleet: ${res.status}`, to: '/' };
      }),
    )
    .post(
      '/fleet/resume',
      post(() => '/api/fleet/resume', 'fleet'),
    )
    .notFound((c) => errorPage(c as Context<WebEnv>, 404, 'There is nothing here.'))
    .onError((error, c) => {
      if (error instanceof ApiFailure && error.status === 401) {
        signOut(c);
        return c.redirect(signInRedirect(c), 303);
      }
      if (error instanceof ApiFailure && error.status < 500) {
        const message = [error.message, ...error.issues.map((i) => i.message)].join(': ');
        return errorPage(c as Context<WebEnv>, error.status === 404 ? 404 : 400, message);
      }
      deps.log.error('dashboard request failed', { path: c.req.path, error, stack: error.stack });
      const status = error instanceof ApiFailure && error.status === 503 ? 503 : 500;
      return errorPage(
        c as Context<WebEnv>,
        status,
        error instanceof ApiFailure ? error.message : 'Something went wrong.',
      );
    });
  return { app, close: live.close };
};

const errorPage = (c: Context<WebEnv>, status: 400 | 404 | 500 | 503, message: string) =>
  c.html(
    page({
      title: status === 404 ? 'Not found' : 'Error',
      live: false,
      section: 'none',
      csrf: c.var.csrf ?? '',
      body: html`<h1>${status === 404 ? 'Not found' : 'That did not work'}</h1><p>${message}</p><p><a href="/">Overview</a></p>`,
    }),
    status,
  );
