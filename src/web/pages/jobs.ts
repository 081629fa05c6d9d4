import type { Context } from 'hono';
import { html } from 'hono/html';
import { ApiFailure } from '../apiClient.ts';
import { actionButton, at, badge, csrfField, issueList, time } from '../components.ts';
import { render } from '../render.ts';
import type { Form, WebEnv } from '../session.ts';
import { type Execution, executionRows } from './shared.ts';

type Job = {
  id: string;
  version: string;
  description: string | null;
  shell: string;
  tags: string[];
  revoked: boolean;
  revoked_at: string | null;
  revoked_by: string | null;
  revoke_reason: string | null;
  updated_at: string;
  updated_by: string;
};
type Group = { group: string; agents: number; online: number };

const WAVE_ROWS = 3;

/** `/jobs`: the catalog. */
export const jobsPage = async (c: Context<WebEnv>) => {
  const { jobs } = await c.var.api.get<{ jobs: Job[] }>('/api/jobs');
  const body = html`<h1>Jobs</h1>
    <section id="jobs" data-live aria-label="jobs">
      <div class="scroll"><table>
        <thead><tr><th scope="col">Job</th><th scope="col">Version</th><th scope="col">Status</th><th scope="col">Shell</th><th scope="col">Tags</th><th scope="col">Description</th><th scope="col">Updated</th></tr></thead>
        <tbody>${jobs.map(
          (j) => html`<tr><td><a href="${at('/jobs', j.id)}">${j.id}</a></td><td>${j.version}</td>
            <td>${badge(j.revoked ? 'revoked' : 'active')}</td><td>${j.shell}</td><td>${j.tags.join(', ')}</td>
            <td>${j.description ?? ''}</td><td>${time(j.updated_at)} <span class="muted">${j.updated_by}</span></td></tr>`,
        )}</tbody></table></div>
      ${jobs.length === 0 ? html`<p class="muted">The catalog is empty: <code>kanade job apply jobs/</code>.</p>` : ''}
    </section>`;
  return render(c, { title: 'Jobs', section: 'jobs', body });
};

/** `/jobs/:id`: the manifest, revoke / unrevoke, and the exec form with its target picker. */
export const jobPage = async (c: Context<WebEnv>, failure?: ApiFailure) => {
  const id = c.req.param('id') ?? '';
  const { api, csrf } = c.var;
  const [job, yaml, { groups }, { executions }] = await Promise.all([
    api.get<Job>(at('/api/jobs', id)),
    api.getText(at('/api/jobs', id), 'application/yaml'),
    api.get<{ groups: Group[] }>('/api/groups'),
    api.get<{ executions: Execution[] }>('/api/executions', { job_id: id, limit: 10 }),
  ]);
  const groupOptions = groups.map((g) => html`<option value="${g.group}">${g.group} (${g.online} online)</option>`);
  const body = html`<h1>Job ${job.id} <span class="muted">${job.version}</span></h1>
    <section id="job-status" data-live aria-label="status">
      <p>${badge(job.revoked ? 'revoked' : 'active')}
      ${job.revoked ? html` by ${job.revoked_by} at ${time(job.revoked_at)}: ${job.revoke_reason ?? 'no reason given'}` : ''}</p>
      ${
        job.revoked
          ? actionButton({ action: `${at('/jobs', job.id)}/unrevoke`, label: 'Unrevoke', csrf })
          : html`<form method="post" action="${at('/jobs', job.id)}/revoke" class="row" data-confirm="Revoke ${job.id}? Agents will skip it (exit 126).">
              ${csrfField(csrf)}<label for="revoke-reason">Reason</label>
              <input id="revoke-reason" name="reason" maxlength="500" /><button type="submit" class="danger">Revoke</button>
            </form>`
      }
    </section>
    <section aria-labelledby="run-title">
      <h2 id="run-title">Run it</h2>
      ${failure === undefined ? '' : issueList(failure.message, failure.issues)}
      <form method="post" action="${at('/jobs', job.id)}/exec" class="exec-form">
        ${csrfField(csrf)}
        <fieldset><legend>On</legend>
          <label class="check"><input type="radio" name="target" value="groups" checked /> groups</label>
          <label class="check"><input type="radio" name="target" value="all" /> every agent</label>
          <label class="check"><input type="radio" name="target" value="pcs" /> these PCs</label>
          <label class="check"><input type="radio" name="target" value="waves" /> only the groups of the waves below</label>
          <label for="exec-groups">Groups</label>
          <select id="exec-groups" name="groups" multiple size="${Math.min(Math.max(groups.length, 2), 6)}">${groupOptions}</select>
          <label for="exec-pcs">PCs (comma-separated)</label>
          <input id="exec-pcs" name="pcs" placeholder="pc-1, pc-2" />
        </fieldset>
        <fieldset><legend>In waves (optional)</legend>
          <p class="hint">Each wave is a group and its delay from now; a PC runs in the first wave that has it. The gate is judged on the previous wave when the next is due.</p>
          ${Array.from(
            { length: WAVE_ROWS },
            (_, i) => html`<div class="row">
            <label for="wave-group-${i}">Wave ${i + 1} group</label>
            <select id="wave-group-${i}" name="wave_group_${i}"><option value="">—</option>${groupOptions}</select>
            <label for="wave-delay-${i}">after</label>
            <input id="wave-delay-${i}" name="wave_delay_${i}" value="${i === 0 ? '0s' : ''}" placeholder="30m" size="6" />
          </div>`,
          )}
          <div class="row">
            <label for="max-failure-ratio">Max failure ratio</label>
            <input id="max-failure-ratio" name="max_failure_ratio" inputmode="decimal" placeholder="0.1" size="5" />
            <label for="min-success">Min successes</label>
            <input id="min-success" name="min_success" inputmode="numeric" placeholder="1" size="4" />
          </div>
        </fieldset>
        <div class="row">
          <label for="jitter">Jitter</label><input id="jitter" name="jitter" placeholder="30s" size="6" />
          <label for="deadline">Starting deadline</label><input id="deadline" name="starting_deadline" placeholder="10m" size="6" />
          <button type="submit" class="primary">Run ${job.id}</button>
        </div>
      </form>
    </section>
    <section aria-labelledby="recent-title">
      <h2 id="recent-title">Recent executions</h2>
      <div id="job-executions" data-live>${executionRows(executions)}</div>
    </section>
    <section aria-labelledby="manifest-title">
      <h2 id="manifest-title">Manifest</h2>
      <pre class="code">${yaml}</pre>
    </section>`;
  return render(c, { title: `Job ${job.id}`, section: 'jobs', body, ...(failure ? { status: 422 } : {}) });
};

/** The exec body a submitted form asks for (the API validates it, with the same messages as for the CLI). */
export const execBody = (form: Form) => {
  const all = (key: string) => {
    const v = form[key] ?? form[`${key}[]`];
    return (Array.isArray(v) ? v : v === undefined ? [] : [v]).filter((x): x is string => typeof x === 'string');
  };
  const one = (key: string) => all(key)[0]?.trim() ?? '';
  const list = (key: string) =>
    all(key)
      .flatMap((v) => v.split(/[\s,]+/))
      .filter(Boolean);
  const mode = one('target');
  const target =
    mode === 'all'
      ? { all: true }
      : mode === 'groups'
        ? { groups: list('groups') }
        : mode === 'pcs'
          ? { pcs: list('pcs') }
          : undefined;
  const waves = Array.from({ length: WAVE_ROWS }, (_, i) => ({
    group: one(`wave_group_${i}`),
    delay: one(`wave_delay_${i}`) || '0s',
  })).filter((w) => w.group !== '');
  const number = (key: string) => (one(key) === '' ? undefined : Number(one(key)));
  const gate = { max_failure_ratio: number('max_failure_ratio'), min_success: number('min_success') };
  const hasGate = gate.max_failure_ratio !== undefined || gate.min_success !== undefined;
  return {
    ...(target === undefined ? {} : { target }),
    ...(waves.length === 0
      ? {}
      : { rollout: { strategy: 'wave', waves, ...(hasGate ? { gate: compact(gate) } : {}) } }),
    ...(one('jitter') === '' ? {} : { jitter: one('jitter') }),
    ...(one('starting_deadline') === '' ? {} : { starting_deadline: one('starting_deadline') }),
  };
};

const compact = (o: Record<string, unknown>) =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));

/** `POST /jobs/:id/exec`: run the job, then follow the exec live. */
export const runJob = async (c: Context<WebEnv>) => {
  const id = c.req.param('id') ?? '';
  const { form } = c.var;
  try {
    const accepted = await c.var.api.send<{ exec_id: string; target_count: number }>(
      'POST',
      at('/api/exec', id),
      execBody(form),
    );
    return { done: `${id} requested on ${accepted.target_count} agent(s)`, to: at('/executions', accepted.exec_id) };
  } catch (error) {
    if (error instanceof ApiFailure && [409, 422].includes(error.status)) return { page: await jobPage(c, error) };
    throw error;
  }
};
