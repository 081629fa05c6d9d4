import type { Context } from 'hono';
import { html } from 'hono/html';
import type { CommitDetail, EventPage } from '../../api/contract.ts';
import { at, time } from '../components.ts';
import { render } from '../render.ts';
import type { WebEnv } from '../session.ts';

const TYPES = [
  'JobRegistered',
  'JobUpdated',
  'JobDeleted',
  'JobRevoked',
  'JobUnrevoked',
  'AgentEnrolled',
  'AgentGroupsSet',
  'ExecRequested',
  'WaveScheduled',
  'ExecDispatched',
  'WaveDispatched',
  'ExecHalted',
  'ExecResumed',
  'ExecAborted',
  'KillRequested',
  'RunStarted',
  'RunFinished',
  'RunReaped',
  'FleetHalted',
  'FleetResumed',
  'ScheduleCreated',
  'ScheduleUpdated',
  'ScheduleDeleted',
  'ScheduleEnabled',
  'ScheduleDisabled',
  'ScheduleFired',
  'ScheduleSkipped',
];
const PAGE = 100;

// `datetime-local` fields carry no zone: the form says they are UTC.
const utc = (local: string | undefined) => (local === undefined || local === '' ? undefined : `${local}Z`);

/** `/audit`: the event log, newest first, filtered by type, actor and time; older pages by sequence. */
export const auditPage = async (c: Context<WebEnv>) => {
  const q = c.req.query();
  const { events } = await c.var.api.get<EventPage>('/api/events', {
    limit: PAGE,
    type: q.type,
    actor: q.actor,
    since: utc(q.since),
    until: utc(q.until),
    before: q.before,
  });
  const newest = [...events].reverse();
  const older = new URL(c.req.url);
  const oldest = events[0];
  if (oldest !== undefined) older.searchParams.set('before', String(oldest.seq));
  const body = html`<h1>Audit trail</h1>
    <form method="get" action="/audit" class="filters" role="search">
      <label>Type <select name="type"><option value="">any</option>${TYPES.map(
        (t) => html`<option ${t === q.type ? html`selected` : ''}>${t}</option>`,
      )}</select></label>
      <label>Actor <input name="actor" value="${q.actor ?? ''}" size="10" /></label>
      <label>From (UTC) <input type="datetime-local" name="since" step="1" value="${q.since ?? ''}" /></label>
      <label>To (UTC) <input type="datetime-local" name="until" step="1" value="${q.until ?? ''}" /></label>
      <button type="submit">Filter</button>
    </form>
    <section id="audit" ${q.before === undefined ? html`data-live` : ''} aria-label="events">
      <div class="scroll"><table>
        <thead><tr><th scope="col">Seq</th><th scope="col">When</th><th scope="col">Who</th><th scope="col">Type</th><th scope="col">What</th></tr></thead>
        <tbody>${newest.map(
          (
            e,
          ) => html`<tr><td><a href="${at('/audit', String(e.seq))}">${e.seq}${e.idx > 0 ? `.${e.idx}` : ''}</a></td><td>${time(e.at)}</td>
            <td>${e.actor}${e.via === null ? '' : html` <span class="muted">(${e.via})</span>`}</td><td><code>${e.type}</code></td><td>${e.summary}</td></tr>`,
        )}</tbody></table></div>
      ${events.length >= PAGE ? html`<nav class="pager" aria-label="pages"><a href="${older.pathname}${older.search}" rel="next">older →</a></nav>` : ''}
    </section>`;
  return render(c, { title: 'Audit', section: 'audit', body });
};

/** `/audit/:seq`: one commit in full, as stored in the stream. */
export const eventPage = async (c: Context<WebEnv>) => {
  const seq = c.req.param('seq') ?? '';
  const commit = await c.var.api.get<CommitDetail>(at('/api/events', seq));
  const body = html`<h1>Commit ${commit.seq}</h1>
    <p>Stream <code>${commit.stream}</code>, subject <code>${commit.subject}</code>.</p>
    <pre class="code">${JSON.stringify(commit.events, null, 2)}</pre>
    <p><a href="/audit">← the audit trail</a></p>`;
  return render(c, { title: `Commit ${commit.seq}`, section: 'audit', body });
};
