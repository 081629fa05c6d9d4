import type { Context } from 'hono';
import { html } from 'hono/html';
import type { ExecAccepted, ExecutionList, GroupList, JobDetail, JobList } from '../../api/contract.ts';
import { ApiFailure } from '../apiClient.ts';
import { actionButton, at, badge, csrfField, issueList, time } from '../components.ts';
import { render } from '../render.ts';
import { can, type WebEnv } from '../session.ts';
import { execBody, execForm } from './execForm.ts';
import { executionRows } from './shared.ts';

/** `/jobs`: the catalog. */
export const jobsPage = async (c: Context<WebEnv>) => {
  const { jobs } = await c.var.api.get<JobList>('/api/jobs');
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
    api.get<JobDetail>(at('/api/jobs', id)),
    api.getText(at('/api/jobs', id), 'application/yaml'),
    api.get<GroupList>('/api/groups'),
    api.get<ExecutionList>('/api/executions', { job_id: id, limit: 10 }),
  ]);
  const body = html`<h1>Job ${job.id} <span class="muted">${job.version}</span></h1>
    <section id="job-status" data-live aria-label="status">
      <p>${badge(job.revoked ? 'revoked' : 'active')}
      ${job.revoked ? html` by ${job.revoked_by} at ${time(job.revoked_at)}: ${job.revoke_reason ?? 'no reason given'}` : ''}</p>
      ${
        !can(c, 'operator')
          ? ''
          : job.revoked
            ? actionButton({ action: `${at('/jobs', job.id)}/unrevoke`, label: 'Unrevoke', csrf })
            : html`<form method="post" action="${at('/jobs', job.id)}/revoke" class="row" data-confirm="Revoke ${job.id}? Agents will skip it (exit 126).">
              ${csrfField(csrf)}<label for="revoke-reason">Reason</label>
              <input id="revoke-reason" name="reason" maxlength="500" /><button type="submit" class="danger">Revoke</button>
            </form>`
      }
    </section>
    ${
      can(c, 'operator')
        ? html`<section aria-labelledby="run-title">
      <h2 id="run-title">Run it</h2>
      ${job.require_approval ? html`<p class="hint">Runs of this job wait for ${job.approvers === 1 ? 'another person' : `${job.approvers} other people`} to approve them.</p>` : ''}
      ${failure === undefined ? '' : issueList(failure.message, failure.issues)}
      ${execForm({ jobId: job.id, groups, csrf, sent: failure === undefined ? {} : c.var.form })}
    </section>`
        : html`<p class="muted">You are signed in as a ${c.var.me.role}: running jobs needs the operator role.</p>`
    }
    <section aria-labelledby="recent-title">
      <h2 id="recent-title">Recent executions</h2>
      <div id="job-executions" data-live>${executionRows(executions)}</div>
    </section>
    <section aria-labelledby="manifest-title">
      <h2 id="manifest-title">Manifest</h2>
      <pre class="code">${yaml}</pre>
    </section>`;
  return render(c, {
    title: `Job ${job.id}`,
    section: 'jobs',
    body,
    url: at('/jobs', job.id),
    ...(failure ? { status: 422 } : {}),
  });
};

/** `POST /jobs/:id/exec`: run the job, then follow the exec live. */
export const runJob = async (c: Context<WebEnv>) => {
  const id = c.req.param('id') ?? '';
  const { form } = c.var;
  try {
    const accepted = await c.var.api.send<ExecAccepted>('POST', at('/api/exec', id), execBody(form));
    const waits = accepted.approval === undefined ? '' : ': it waits for approval by somebody else';
    return {
      done: `${id} requested on ${accepted.target_count} agent(s)${waits}`,
      to: at('/executions', accepted.exec_id),
    };
  } catch (error) {
    if (error instanceof ApiFailure && [409, 422].includes(error.status)) return { page: await jobPage(c, error) };
    throw error;
  }
};
