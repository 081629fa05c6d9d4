import type { Context } from 'hono';
import { html } from 'hono/html';
import { at, badge, csrfField, time } from '../components.ts';
import { render } from '../render.ts';
import type { WebEnv } from '../session.ts';
import { type Execution, executionRows, type Result } from './shared.ts';

/** `/`: the fleet at a glance. */
export const overviewPage = async (c: Context<WebEnv>) => {
  const { api } = c.var;
  const [online, offline, running, failures, recent, fleet] = await Promise.all([
    api.get<{ total: number }>('/api/agents', { status: 'online', limit: 1 }),
    api.get<{ total: number }>('/api/agents', { status: 'offline', limit: 1 }),
    api.get<{ executions: Execution[] }>('/api/executions', { status: 'running', limit: 1000 }),
    api.get<{ results: Result[] }>('/api/results', { status: 'failure', limit: 10 }),
    api.get<{ executions: Execution[] }>('/api/executions', { limit: 10 }),
    api.get<{ halted: boolean }>('/api/fleet'),
  ]);
  const card = (label: string, value: number, href: string, tone: string) =>
    html`<a class="card ${tone}" href="${href}"><span class="value">${value}</span><span class="label">${label}</span></a>`;
  const body = html`<h1>Overview</h1>
    <section id="overview" data-live aria-label="fleet status">
      <div class="cards">
        ${card('agents online', online.total, '/agents?status=online', 'ok')}
        ${card('agents offline', offline.total, '/agents?status=offline', offline.total > 0 ? 'muted' : 'ok')}
        ${card('executions running', running.executions.length, '/executions?status=running', 'info')}
        ${card('recent failures', failures.results.length, '#failures', failures.results.length > 0 ? 'bad' : 'ok')}
      </div>
      <h2 id="failures">Recent failures</h2>
      ${
        failures.results.length === 0
          ? html`<p class="muted">No failed runs.</p>`
          : html`<div class="scroll"><table>
            <thead><tr><th scope="col">Finished</th><th scope="col">Job</th><th scope="col">PC</th><th scope="col">Outcome</th><th scope="col">Exit</th><th scope="col">Why</th></tr></thead>
            <tbody>${failures.results.map(
              (r) => html`<tr>
                <td>${time(r.finished_at)}</td><td><a href="${at('/jobs', r.job_id)}">${r.job_id}</a></td>
                <td><a href="${at('/agents', r.pc_id)}">${r.pc_id}</a></td>
                <td><a href="${at('/results', r.result_id)}">${badge(r.outcome)}</a></td><td>${r.exit_code}</td>
                <td>${r.reason ?? lastLine(r.stderr)}</td></tr>`,
            )}</tbody></table></div>`
      }
      <h2>Recent executions</h2>
      ${executionRows(recent.executions)}
    </section>
    ${
      fleet.halted
        ? ''
        : html`<section class="danger-zone" aria-labelledby="halt-title">
          <h2 id="halt-title">Emergency stop</h2>
          <p>Halting makes every agent refuse new work (exit 121, with your reason) until the fleet is resumed; it also works when the server is down.</p>
          <form method="post" action="/fleet/halt" data-confirm="Halt the whole fleet?">
            ${csrfField(c.var.csrf)}
            <label for="halt-reason">Reason</label>
            <input id="halt-reason" name="reason" required maxlength="500" placeholder="bad rollout of …" />
            <label class="check"><input type="checkbox" name="kill_running" value="true" /> also kill what is running</label>
            <button type="submit" class="danger">Halt the fleet</button>
          </form>
        </section>`
    }`;
  return render(c, { title: 'Overview', section: 'overview', body });
};

const lastLine = (text: string) => text.trim().split('\n').at(-1) ?? '';
