import type { Context } from 'hono';
import { html } from 'hono/html';
import type {
  ScheduleFire as Fire,
  ScheduleListed as Schedule,
  ScheduleDetail,
  ScheduleList,
} from '../../api/contract.ts';
import { actionButton, at, badge, time } from '../components.ts';
import { render } from '../render.ts';
import { can, type WebEnv } from '../session.ts';

const toggle = (s: Schedule, csrf: string) =>
  actionButton({
    action: `${at('/schedules', s.schedule_id)}/${s.enabled ? 'disable' : 'enable'}`,
    label: s.enabled ? 'Disable' : 'Enable',
    csrf,
  });

const outcome = (f: Fire) => {
  if (f.kind === 'skipped')
    return html`${badge('skipped')} ${f.count} slot(s)${f.count > 1 ? html` to ${time(f.to_slot)}` : ''}: ${f.reason ?? ''}`;
  const e = f.exec;
  const link =
    f.exec_id === null
      ? ''
      : html`<a href="${at('/executions', f.exec_id)}">${e === null ? 'exec' : badge(e.status)}</a>`;
  return html`${link}${e === null ? '' : html` ${e.succeeded}/${e.target_count} succeeded, ${e.failed} unsuccessful, ${e.skipped} skipped`}${f.catch_up ? html` <span class="muted">(late: caught up)</span>` : ''}`;
};

/** `/schedules`: every schedule with its next fire and last outcome; enable / disable. */
export const schedulesPage = async (c: Context<WebEnv>) => {
  const { schedules } = await c.var.api.get<ScheduleList>('/api/schedules');
  const last = await Promise.all(
    schedules.map(async (s) =>
      s.fired + s.skipped === 0
        ? undefined
        : (await c.var.api.get<ScheduleDetail>(at('/api/schedules', s.schedule_id), { preview: 1 })).fires[0],
    ),
  );
  const body = html`<h1>Schedules</h1>
    <section id="schedules" data-live aria-label="schedules">
      ${schedules.length === 0 ? html`<p class="muted">No schedules: <code>kanade schedule apply schedules/</code>.</p>` : ''}
      <div class="scroll"><table>
        <thead><tr><th scope="col">Schedule</th><th scope="col">Job</th><th scope="col">When</th><th scope="col">Mode</th><th scope="col">State</th><th scope="col">Next fire</th><th scope="col">Last slot</th><th scope="col"><span class="sr-only">Actions</span></th></tr></thead>
        <tbody>${schedules.map(
          (s, i) => html`<tr><td><a href="${at('/schedules', s.schedule_id)}">${s.schedule_id}</a></td>
            <td><a href="${at('/jobs', s.job_id)}">${s.job_id}</a></td><td><code>${s.cron}</code> ${s.tz}</td><td>${s.mode}</td>
            <td>${badge(s.enabled ? 'enabled' : 'disabled')}</td><td>${time(s.next_fire)}</td>
            <td>${last[i] === undefined ? html`<span class="muted">never</span>` : html`${time(last[i]?.slot)} ${outcome(last[i] as Fire)}`}</td>
            <td>${can(c, 'operator') ? toggle(s, c.var.csrf) : ''}</td></tr>`,
        )}</tbody></table></div>
    </section>`;
  return render(c, { title: 'Schedules', section: 'schedules', body });
};

/** `/schedules/:id`: the manifest, the next fire times, and every recent slot with its outcome. */
export const schedulePage = async (c: Context<WebEnv>) => {
  const id = c.req.param('id') ?? '';
  const [s, yaml] = await Promise.all([
    c.var.api.get<ScheduleDetail>(at('/api/schedules', id), { preview: 10 }),
    c.var.api.getText(at('/api/schedules', id), 'application/yaml'),
  ]);
  const body = html`<h1>Schedule ${s.schedule_id}</h1>
    <section id="schedule" data-live aria-label="schedule">
      <p>${badge(s.enabled ? 'enabled' : 'disabled')} runs <a href="${at('/jobs', s.job_id)}">${s.job_id}</a> at <code>${s.cron}</code> (${s.tz}), ${s.mode};
        ${s.fired} slot(s) fired, ${s.skipped} skipped.</p>
      <div class="actions">${can(c, 'operator') ? toggle(s, c.var.csrf) : ''}</div>
      <div class="columns">
        <div><h2>Next fire times</h2>${
          s.next_fires.length === 0
            ? html`<p class="muted">none while disabled</p>`
            : html`<ol>${s.next_fires.map((t) => html`<li>${time(t)}</li>`)}</ol>`
        }</div>
        <div><h2>Recent slots</h2>${
          s.fires.length === 0
            ? html`<p class="muted">none yet</p>`
            : html`<div class="scroll"><table><thead><tr><th scope="col">Slot</th><th scope="col">Outcome</th></tr></thead>
              <tbody>${s.fires.map((f) => html`<tr><td>${time(f.slot)}</td><td>${outcome(f)}</td></tr>`)}</tbody></table></div>`
        }</div>
      </div>
    </section>
    <section><h2>Manifest</h2><pre class="code">${yaml}</pre></section>`;
  return render(c, { title: `Schedule ${s.schedule_id}`, section: 'schedules', body });
};
