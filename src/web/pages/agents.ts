import type { Context } from 'hono';
import { html } from 'hono/html';
import type { AgentConfig, AgentDetail, AgentFacts, AgentPage, GroupList } from '../../api/contract.ts';
import { sourceText } from '../../domain/config/index.ts';
import { factRows } from '../../domain/facts/index.ts';
import { ApiFailure } from '../apiClient.ts';
import { at, badge, csrfField, duration, issueList, pager, time } from '../components.ts';
import { render } from '../render.ts';
import { can, type WebEnv } from '../session.ts';

const PAGE = 50;

/** `/agents`: search and filter the fleet; the server filters and pages (thousands of agents stay fast). */
export const agentsPage = async (c: Context<WebEnv>) => {
  const q = c.req.query();
  const offset = Math.max(0, Number.parseInt(q.offset ?? '0', 10) || 0);
  const filter = { q: q.q, status: q.status, enrollment: q.enrollment, group: q.group, version: q.version };
  const [page, { groups }] = await Promise.all([
    c.var.api.get<AgentPage>('/api/agents', { ...filter, limit: PAGE, offset }),
    c.var.api.get<GroupList>('/api/groups'),
  ]);
  const selected = (value: string | undefined, option: string) => (value === option ? html`selected` : '');
  const body = html`<h1>Agents</h1>
    <form method="get" action="/agents" class="filters" role="search">
      <label>Search <input name="q" value="${q.q ?? ''}" placeholder="pc id or host name" /></label>
      <label>Status <select name="status">
        <option value="">any</option>
        <option value="online" ${selected(q.status, 'online')}>online</option>
        <option value="offline" ${selected(q.status, 'offline')}>offline</option>
      </select></label>
      <label>Enrollment <select name="enrollment">
        <option value="">any</option>
        ${['pending', 'approved', 'rejected', 'terminated'].map((e) => html`<option value="${e}" ${selected(q.enrollment, e)}>${e}</option>`)}
      </select></label>
      <label>Group <select name="group">
        <option value="">any</option>
        ${groups.map((g) => html`<option value="${g.group}" ${selected(q.group, g.group)}>${g.group} (${g.online}/${g.agents})</option>`)}
      </select></label>
      <label>Version <input name="version" value="${q.version ?? ''}" size="8" /></label>
      <button type="submit">Filter</button>
    </form>
    <section id="agents" data-live aria-label="agents">
      ${pager({ base: new URL(c.req.url), offset, limit: PAGE, total: page.total })}
      <div class="scroll"><table>
        <thead><tr><th scope="col">PC</th><th scope="col">Host</th><th scope="col">Status</th><th scope="col">Enrollment</th><th scope="col">Version</th><th scope="col">OS</th><th scope="col">Groups</th><th scope="col">Last seen</th><th scope="col">Running</th></tr></thead>
        <tbody>${page.agents.map(
          (a) => html`<tr>
            <td><a href="${at('/agents', a.pc_id)}">${a.pc_id}</a></td><td>${a.hostname}</td>
            <td>${badge(a.online ? 'online' : 'offline')}</td><td>${badge(a.enrollment)}${a.pending_key !== null && a.enrollment === 'approved' ? ' new key waiting' : ''}</td><td>${a.agent_version}</td><td>${a.os}/${a.arch}</td>
            <td>${a.groups.join(', ')}</td><td>${time(a.last_heartbeat)}</td><td>${a.running}</td></tr>`,
        )}</tbody></table></div>
    </section>`;
  return render(c, { title: 'Agents', section: 'agents', body });
};

/** `/agents/:pc`: one agent, its groups (editable) and its recent results. */
export const agentPage = async (c: Context<WebEnv>, failure?: ApiFailure) => {
  const pc = c.req.param('pc') ?? '';
  const [agent, facts, config] = await Promise.all([
    c.var.api.get<AgentDetail>(at('/api/agents', pc)),
    c.var.api.get<AgentFacts>(`${at('/api/agents', pc)}/facts`, { limit: 50 }),
    c.var.api.get<AgentConfig>(`${at('/api/agents', pc)}/config`),
  ]);
  const body = html`<h1>Agent ${agent.pc_id}</h1>
    ${failure === undefined ? '' : issueList(failure.message, failure.issues)}
    <section id="agent" data-live aria-label="agent">
      <dl class="facts">
        <dt>Status</dt><dd>${badge(agent.online ? 'online' : 'offline')} last seen ${time(agent.last_heartbeat)}</dd>
        <dt>Host</dt><dd>${agent.hostname}</dd>
        <dt>OS</dt><dd>${agent.os}/${agent.arch}</dd>
        <dt>Agent version</dt><dd>${agent.agent_version}</dd>
        <dt>Enrolled</dt><dd>${time(agent.enrolled_at)}</dd>
        <dt>Running now</dt><dd>${agent.running}</dd>
        <dt>Enrollment</dt><dd>${badge(agent.enrollment)}</dd>
        <dt>Key</dt><dd>${agent.public_key === null ? html`<span class="muted">—</span>` : html`<code>${agent.public_key}</code>`}</dd>
      </dl>
      ${can(c, 'admin') ? enrollmentDecision(c.var.csrf, agent) : ''}
      <h2>Recent results</h2>
      ${
        agent.recent_results.length === 0
          ? html`<p class="muted">No results yet.</p>`
          : html`<div class="scroll"><table>
          <thead><tr><th scope="col">Job</th><th scope="col">Outcome</th><th scope="col">Exit</th><th scope="col">Started</th><th scope="col">Took</th><th scope="col">Exec</th></tr></thead>
          <tbody>${agent.recent_results.map(
            (r) => html`<tr><td><a href="${at('/jobs', r.job_id)}">${r.job_id}</a></td>
              <td><a href="${at('/results', r.result_id)}">${badge(r.outcome)}</a></td><td>${r.exit_code ?? ''}</td>
              <td>${time(r.started_at)}</td><td>${duration(r.started_at, r.finished_at)}</td>
              <td><a href="${at('/executions', r.exec_id)}"><code>${r.exec_id.slice(-8)}</code></a></td></tr>`,
          )}</tbody></table></div>`
      }
    </section>
    ${factsSection(facts)}
    ${configSection(config)}
    <section aria-labelledby="groups-title">
      <h2 id="groups-title">Groups</h2>
      ${
        can(c, 'operator')
          ? html`<form method="post" action="${at('/agents', agent.pc_id)}/groups">
        ${csrfField(c.var.csrf)}
        <label for="groups">Groups (comma-separated; the agent follows changes at once)</label>
        <input id="groups" name="groups" value="${agent.groups.join(', ')}" />
        <button type="submit">Save groups</button>
      </form>`
          : html`<p>${agent.groups.join(', ') || html`<span class="muted">none</span>`}</p>`
      }
    </section>
    ${can(c, 'admin') ? terminateForm(c.var.csrf, agent) : ''}`;
  return render(c, {
    title: `Agent ${agent.pc_id}`,
    section: 'agents',
    body,
    url: at('/agents', agent.pc_id),
    ...(failure ? { status: 422 } : {}),
  });
};

// Approve or reject a waiting request (showing the key to compare with what the agent printed), or terminate.
const enrollmentDecision = (csrf: string, agent: AgentDetail) => {
  const action = (verb: string) => `${at('/agents', agent.pc_id)}/${verb}`;
  const waiting =
    agent.pending_key === null
      ? ''
      : html`<section class="notice" aria-labelledby="enrollment-title">
          <h2 id="enrollment-title">Enrollment request</h2>
          <p>${agent.pc_id} asks to ${agent.enrollment === 'approved' ? 'replace its key with' : 'enroll with'} key
            <code>${agent.pending_key}</code> (token ${agent.enrollment_token ?? '—'}). Approve only a key you expect:
            the agent prints it when it starts. Approving ${agent.enrollment === 'approved' ? 'keeps its groups' : 'grants the groups it asked for'}:
            <strong>${agent.groups.join(', ') || 'none'}</strong>.</p>
          <div class="actions">
            <form method="post" action="${action('approve')}">${csrfField(csrf)}
              <input type="hidden" name="public_key" value="${agent.pending_key}" />
              <button type="submit" class="primary">Approve</button></form>
            <form method="post" action="${action('reject')}" class="row">${csrfField(csrf)}
              <input type="hidden" name="public_key" value="${agent.pending_key}" />
              <label>Reason <input name="reason" /></label><button type="submit" class="danger">Reject</button></form>
          </div>
        </section>`;
  return waiting;
};

// Decommissioning is the last thing on the page, apart from the rest.
const terminateForm = (csrf: string, agent: AgentDetail) =>
  agent.enrollment === 'terminated'
    ? ''
    : html`<section class="danger-zone" aria-labelledby="terminate-title">
        <h2 id="terminate-title">Decommission</h2>
        <form method="post" action="${at('/agents', agent.pc_id)}/terminate">${csrfField(csrf)}
          <label>Reason <input name="reason" /></label>
          <button type="submit" class="danger">Terminate (revoke its credential)</button></form>
      </section>`;

/** `POST /agents/:pc/approve`: approves the key the page showed (a key that changed since is refused). */
export const approveAgent = async (c: Context<WebEnv>) => {
  const pc = c.req.param('pc') ?? '';
  const key = c.var.form.public_key;
  const res = await c.var.api.send<{ status: string }>('POST', `${at('/api/agents', pc)}/approve`, {
    ...(typeof key === 'string' && key !== '' ? { public_key: key } : {}),
  });
  return { done: `approve ${pc}: ${res.status}`, to: at('/agents', pc) };
};

/** `POST /agents/:pc/reject`: rejects the key the page showed (a key that changed since is refused). */
export const rejectAgent = async (c: Context<WebEnv>) => {
  const pc = c.req.param('pc') ?? '';
  const key = c.var.form.public_key;
  const reason = c.var.form.reason;
  const res = await c.var.api.send<{ status: string }>('POST', `${at('/api/agents', pc)}/reject`, {
    ...(typeof key === 'string' && key !== '' ? { public_key: key } : {}),
    ...(typeof reason === 'string' && reason.trim() !== '' ? { reason: reason.trim() } : {}),
  });
  return { done: `reject ${pc}: ${res.status}`, to: at('/agents', pc) };
};

/** `POST /agents/:pc/groups`. */
export const setGroups = async (c: Context<WebEnv>) => {
  const pc = c.req.param('pc') ?? '';
  const raw = c.var.form.groups;
  const groups = (typeof raw === 'string' ? raw : '').split(/[\s,]+/).filter(Boolean);
  try {
    const res = await c.var.api.send<{ status: string }>('PUT', `${at('/api/agents', pc)}/groups`, { groups });
    return { done: `groups of ${pc}: ${res.status}`, to: at('/agents', pc) };
  } catch (error) {
    if (error instanceof ApiFailure && error.status === 422) return { page: await agentPage(c, error) };
    throw error;
  }
};

const shownValue = (v: unknown) => (v === undefined ? '—' : typeof v === 'string' ? v || '""' : JSON.stringify(v));

// The settings the agent should run with, the layer each came from, and what it says it runs with.
const configSection = (config: AgentConfig) => html`<section id="agent-config" data-live aria-labelledby="config-title">
    <h2 id="config-title">Configuration</h2>
    <p class="muted">${
      config.in_sync === null
        ? 'The agent has not reported its settings yet.'
        : config.in_sync
          ? html`The agent runs with these (reported ${time(config.reported_at)}).`
          : html`The agent does not run with these yet (last reported ${time(config.reported_at)}).`
    }</p>
    <div class="scroll"><table aria-label="effective configuration">
      <thead><tr><th scope="col">Setting</th><th scope="col">Value</th><th scope="col">From</th><th scope="col">Agent reports</th></tr></thead>
      <tbody>${config.settings.map(
        (s) => html`<tr><th scope="row"><code>${s.key}</code></th><td>${shownValue(s.value)}</td>
          <td>${sourceText(s.source)}</td><td>${shownValue(s.reported)}</td></tr>`,
      )}</tbody></table></div>
    <p class="muted">${config.rule}</p>
  </section>`;

const factTable = (label: string, facts: unknown) =>
  html`<div class="scroll"><table aria-label="${label}"><tbody>${factRows(facts).map(
    ([path, value]) => html`<tr><th scope="row"><code>${path}</code></th><td>${value}</td></tr>`,
  )}</tbody></table></div>`;

// What the PC is (built-in facts, each inventory job's document) and what changed on it lately.
const factsSection = (f: AgentFacts) => html`<section id="agent-facts" data-live aria-labelledby="facts-title">
    <h2 id="facts-title">Facts</h2>
    ${f.facts === null ? html`<p class="muted">Not reported yet.</p>` : html`<p class="muted">Reported ${time(f.reported_at)}</p>${factTable('built-in facts', f.facts)}`}
    ${f.inventory.map(
      (i) => html`<h3>${i.job_id} <span class="muted">reported ${time(i.reported_at)}</span></h3>
        ${i.skipped === null ? '' : html`<p class="alert bad">Its last output was skipped: ${i.skipped}</p>`}
        ${i.data === null ? '' : factTable(`${i.job_id} inventory`, i.data)}`,
    )}
    ${
      f.history.length === 0
        ? ''
        : html`<h3>What changed</h3><div class="scroll"><table aria-label="fact changes">
        <thead><tr><th scope="col">When</th><th scope="col">Fact</th><th scope="col">From</th><th scope="col">To</th></tr></thead>
        <tbody>${f.history.map(
          (h) =>
            html`<tr><td>${time(h.at)}</td><td><code>${h.path}</code></td><td>${h.from ?? '—'}</td><td>${h.to ?? '—'}</td></tr>`,
        )}</tbody></table></div>`
    }
  </section>`;
