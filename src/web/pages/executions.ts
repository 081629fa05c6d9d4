import type { Context } from 'hono';
import { html } from 'hono/html';
import type { ExecutionDetail, ExecutionList, ExecutionListed, Result } from '../../api/contract.ts';
import { actionButton, at, badge, duration, pager, progress, time } from '../components.ts';
import { render } from '../render.ts';
import { can, type WebEnv } from '../session.ts';
import { approvalForms, approvalHistory } from './approvals.ts';
import { executionRows } from './shared.ts';

const RESULTS_PAGE = 200;

const STATUSES = [
  'awaiting_approval',
  'pending',
  'running',
  'completed',
  'halted',
  'aborted',
  'killed',
  'rejected',
  'expired',
];

/** `/executions`: recent executions, live. */
export const executionsPage = async (c: Context<WebEnv>) => {
  const status = c.req.query('status');
  const job = c.req.query('job_id');
  const { executions } = await c.var.api.get<ExecutionList>('/api/executions', {
    status,
    job_id: job,
    limit: 100,
  });
  const body = html`<h1>Executions</h1>
    <form method="get" action="/executions" class="filters">
      <label>Status <select name="status"><option value="">any</option>${STATUSES.map(
        (s) => html`<option value="${s}" ${s === status ? html`selected` : ''}>${s}</option>`,
      )}</select></label>
      <label>Job <input name="job_id" value="${job ?? ''}" /></label>
      <button type="submit">Filter</button>
    </form>
    <section id="executions" data-live aria-label="executions">${executionRows(executions)}</section>`;
  return render(c, { title: 'Executions', section: 'executions', body });
};

const finished = (e: ExecutionListed) =>
  e.status === 'completed' ||
  e.status === 'rejected' ||
  e.status === 'expired' ||
  ((e.status === 'killed' || e.status === 'aborted') && e.running === 0);

const targetText = (e: ExecutionDetail) => {
  const t = e.target;
  return [
    t.all === true ? 'all agents' : '',
    t.groups?.length ? `groups ${t.groups.join(', ')}` : '',
    t.pcs?.length ? `PCs ${t.pcs.join(', ')}` : '',
  ]
    .filter(Boolean)
    .join(' + ');
};

/** `/executions/:id`: progress per exec and per wave, every agent's result, kill / resume / abort. */
export const executionPage = async (c: Context<WebEnv>) => {
  const id = c.req.param('id') ?? '';
  const offset = Math.max(0, Number.parseInt(c.req.query('offset') ?? '0', 10) || 0);
  const e = await c.var.api.get<ExecutionDetail>(at('/api/executions', id), {
    results_limit: RESULTS_PAGE,
    results_offset: offset,
  });
  const { csrf } = c.var;
  // PCs without a result yet are listed when every result is on this page; otherwise counted.
  const whole = offset === 0 && e.results_total <= RESULTS_PAGE;
  const reported = new Set(e.results.map((r) => r.pc_id));
  const pending = whole ? e.pcs.filter((pc) => !reported.has(pc)) : [];
  const silent = e.target_count - e.done - e.running;
  const actions = !can(c, 'operator')
    ? []
    : [
        e.status === 'awaiting_approval' ? approvalForms(e.exec_id, csrf) : '',
        finished(e) || e.status === 'killed'
          ? ''
          : actionButton({
              action: `${at('/executions', id)}/kill`,
              label: 'Kill',
              csrf,
              tone: 'danger',
              confirm: 'Kill this execution on every agent?',
            }),
        e.status === 'halted'
          ? actionButton({ action: `${at('/executions', id)}/resume`, label: 'Resume rollout', csrf })
          : '',
        e.waves.some((w) => w.status === 'scheduled' || w.status === 'halted') &&
        e.status !== 'killed' &&
        e.status !== 'aborted'
          ? actionButton({
              action: `${at('/executions', id)}/abort`,
              label: 'Abort rollout',
              csrf,
              confirm: 'Cancel the waves not sent yet?',
            })
          : '',
      ];
  const body = html`<h1><a href="${at('/jobs', e.job_id)}">${e.job_id}</a> <span class="muted">${e.version}</span> <code class="muted">${e.exec_id}</code></h1>
    <section id="exec-summary" data-live aria-label="progress" aria-live="polite">
      <p>${badge(e.status)} on ${targetText(e)}, requested by ${e.requested_by} at ${time(e.requested_at)}</p>
      ${e.halted_reason === null ? '' : html`<div class="alert bad" role="alert">Rollout halted: ${e.halted_reason}</div>`}
      ${e.kill_reason === null ? '' : html`<p>Kill reason: ${e.kill_reason}</p>`}
      ${e.abort_reason === null ? '' : html`<p>Abort reason: ${e.abort_reason}</p>`}
      ${approvalHistory(e)}
      ${progress(e)}
    </section>
    <div id="exec-actions" class="actions" data-live>${actions}</div>
    ${
      e.waves.length === 0
        ? ''
        : html`<section aria-labelledby="waves-title"><h2 id="waves-title">Waves</h2>
          <div id="exec-waves" class="scroll" data-live><table>
            <thead><tr><th scope="col">Wave</th><th scope="col">Group or selector</th><th scope="col">Status</th><th scope="col">Due</th><th scope="col">Sent</th><th scope="col">Progress</th></tr></thead>
            <tbody>${e.waves.map(
              (
                w,
              ) => html`<tr><td>${w.wave + 1}</td><td>${w.group ?? html`<code>where ${w.where?.selector ?? '?'}</code>`}</td>
                <td>${badge(w.status)}${w.gate_waived ? html` <span class="muted">(gate waived)</span>` : ''}${w.halted_reason === null ? '' : html`<br />${w.halted_reason}`}</td>
                <td>${time(w.due_at)}</td><td>${time(w.dispatched_at)}</td><td class="progress-cell">${progress(w)}</td></tr>`,
            )}</tbody></table></div></section>`
    }
    <section aria-labelledby="results-title">
      <h2 id="results-title">Results</h2>
      <div id="exec-results" data-live>
      ${whole ? '' : html`${pager({ base: new URL(c.req.url), offset, limit: RESULTS_PAGE, total: e.results_total })}<p class="muted">${Math.max(0, silent)} PC(s) have not reported yet.</p>`}
      <div class="scroll"><table>
        <thead><tr><th scope="col">PC</th><th scope="col">Outcome</th><th scope="col">Exit</th><th scope="col">Why / last line</th><th scope="col">Started</th><th scope="col">Took</th></tr></thead>
        <tbody>${e.results.map(
          (r) => html`<tr><td><a href="${at('/agents', r.pc_id)}">${r.pc_id}</a></td>
            <td><a href="${at('/results', r.result_id)}">${badge(r.outcome)}</a></td><td>${r.exit_code ?? ''}</td>
            <td>${r.reason ?? (r.stderr.trim().split('\n').at(-1) || r.stdout.trim().split('\n').at(-1) || '')}</td>
            <td>${time(r.started_at)}</td><td>${duration(r.started_at, r.finished_at)}</td></tr>`,
        )}${pending.map((pc) => html`<tr><td><a href="${at('/agents', pc)}">${pc}</a></td><td><span class="badge muted">waiting</span></td><td colspan="4" class="muted">no result yet</td></tr>`)}</tbody>
      </table></div></div>
    </section>`;
  return render(c, { title: `Execution ${e.job_id}`, section: 'executions', body });
};

/** `/results/:id`: one run in full. */
export const resultPage = async (c: Context<WebEnv>) => {
  const r = await c.var.api.get<Result>(at('/api/results', c.req.param('id') ?? ''));
  const body = html`<h1>${r.job_id} on ${r.pc_id}</h1>
    <section id="result" data-live aria-label="result">
      <dl class="facts">
        <dt>Outcome</dt><dd>${badge(r.outcome)}</dd>
        <dt>Exit code</dt><dd>${r.exit_code ?? '—'}</dd>
        ${r.reason === null ? '' : html`<dt>Why</dt><dd class="reason">${r.reason}</dd>`}
        <dt>Started</dt><dd>${time(r.started_at)}</dd>
        <dt>Finished</dt><dd>${time(r.finished_at)}</dd>
        <dt>Took</dt><dd>${duration(r.started_at, r.finished_at)}</dd>
        <dt>Job</dt><dd><a href="${at('/jobs', r.job_id)}">${r.job_id}</a> ${r.version}</dd>
        <dt>Execution</dt><dd><a href="${at('/executions', r.exec_id)}"><code>${r.exec_id}</code></a></dd>
      </dl>
      <h2>stdout</h2><pre class="code output">${r.stdout === '' ? html`<span class="muted">(empty)</span>` : r.stdout}</pre>
      <h2>stderr</h2><pre class="code output">${r.stderr === '' ? html`<span class="muted">(empty)</span>` : r.stderr}</pre>
    </section>`;
  return render(c, { title: `Result ${r.job_id} on ${r.pc_id}`, section: 'executions', body });
};
