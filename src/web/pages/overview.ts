import type { Context } from 'hono';
import { html } from 'hono/html';
import type { AgentPage, ExecutionList, Fleet, ResultList } from '../../api/contract.ts';
import { at, badge, csrfField, time } from '../components.ts';
import { render } from '../render.ts';
import { can, type WebEnv } from '../session.ts';
import { executionRows } from './shared.ts';

const DAY_MS = 86_400_000;
const FAILURES_SHOWN = 100;

/** `/`: the fleet at a glance. */
export const overviewPage = async (c: Context<WebEnv>) => {
  const { api } = c.var;
  const since = new Date(Date.now() - DAY_MS).toISOString();
  const count = async (status: string) => (await api.get<ExecutionList>('/api/executions', { status, limit: 0 })).total;
  const [online, offline, inProgress, halted, failures, recent, fleet] = await Promise.all([
    api.get<AgentPage>('/api/agents', { status: 'online', limit: 1 }),
    api.get<AgentPage>('/api/agents', { status: 'offline', limit: 1 }),
    Promise.all([count('pending'), count('running')]).then(([a, b]) => a + b),
    count('halted'),
    api.get<ResultList>('/api/results', { status: 'failure', since, limit: FAILURES_SHOWN }),
    api.get<ExecutionList>('/api/executions', { limit: 10 }),
    api.get<Fleet>('/api/fleet'),
  ]);
  const failed = failures.results.length;
  const card = (label: string, value: number | string, href: string, tone: string) =>
    html`<a class="card ${tone}" href="${href}"><span class="value">${value}</span><span class="label">${label}</span></a>`;
  const body = html`<h1>Overview</h1>
    <section id="overview" data-live aria-label="fleet status">
      <div class="cards">
        ${card('agents online', online.total, '/agents?status=online', 'ok')}
        ${card('agents offline', offline.total, '/agents?status=offline', offline.total > 0 ? 'muted' : 'ok')}
        ${card('executions in progress', inProgress, '/executions?status=running', 'info')}
        ${card('rollouts halted', halted, '/executions?status=halted', halted > 0 ? 'bad' : 'ok')}
        ${card('unsuccessful runs, last 24 h', failed === FAILURES_SHOWN ? `${failed}+` : failed, '#failures', failed > 0 ? 'bad' : 'ok')}
      </div>
      <h2 id="failures">Unsuccessful runs in the last 24 hours <span class="muted">(failed, timed out, killed or lost; newest 10)</span></h2>
      ${
        failed === 0
          ? html`<p class="muted">No unsuccessful runs.</p>`
          : html`<div class="scroll"><table>
            <thead><tr><th scope="col">Finished</th><th scope="col">Job</th><th scope="col">PC</th><th scope="col">Outcome</th><th scope="col">Exit</th><th scope="col">Why</th></tr></thead>
            <tbody>${failures.results.slice(0, 10).map(
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
      fleet.halted || !can(c, 'operator')
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
