import { html } from 'hono/html';
import type { ExecutionListed } from '../../api/contract.ts';
import { at, badge, progress, time } from '../components.ts';

/** A table of executions with their progress. */
export const executionRows = (executions: readonly ExecutionListed[]) =>
  executions.length === 0
    ? html`<p class="muted">No executions yet.</p>`
    : html`<div class="scroll"><table>
      <thead><tr><th scope="col">Exec</th><th scope="col">Job</th><th scope="col">Status</th><th scope="col">Progress</th><th scope="col">By</th><th scope="col">Requested</th></tr></thead>
      <tbody>${executions.map(
        (e) => html`<tr>
          <td><a href="${at('/executions', e.exec_id)}"><code>${e.exec_id.slice(-8)}</code></a></td>
          <td><a href="${at('/jobs', e.job_id)}">${e.job_id}</a> <span class="muted">${e.version}</span></td>
          <td>${badge(e.status)}</td>
          <td class="progress-cell">${progress(e)}</td>
          <td>${e.requested_by}${e.via === null ? '' : html` <span class="muted">(${e.via})</span>`}</td>
          <td>${time(e.requested_at)}</td></tr>`,
      )}</tbody></table></div>`;
