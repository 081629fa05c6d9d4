import { html } from 'hono/html';
import { at, badge, type Counts, progress, time } from '../components.ts';

/** An execution as the API answers it (the fields the pages use). */
export type Execution = Counts & {
  exec_id: string;
  kind: string;
  job_id: string;
  version: string;
  status: string;
  done: number;
  requested_at: string;
  requested_by: string;
  via: string | null;
  dispatched_at: string | null;
  halted_reason: string | null;
  kill_reason: string | null;
  abort_reason: string | null;
  target: { all?: boolean; groups?: string[]; pcs?: string[] };
};

/** A result as the API answers it. */
export type Result = {
  result_id: string;
  exec_id: string;
  job_id: string;
  version: string;
  pc_id: string;
  exit_code: number | null;
  outcome: string | null;
  reason: string | null;
  stdout: string;
  stderr: string;
  started_at: string | null;
  finished_at: string | null;
};

/** A table of executions with their progress. */
export const executionRows = (executions: readonly Execution[]) =>
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
