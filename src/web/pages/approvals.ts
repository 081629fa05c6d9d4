import type { Context } from 'hono';
import { html } from 'hono/html';
import type { ApprovalList, ExecutionDetail } from '../../api/contract.ts';
import { at, csrfField, time } from '../components.ts';
import { render } from '../render.ts';
import { can, type WebEnv } from '../session.ts';

/** Approve and reject buttons for an exec waiting for approval (the API refuses the requester). */
export const approvalForms = (execId: string, csrf: string) =>
  html`<form method="post" action="${at('/executions', execId)}/approve" data-confirm="Approve this run? It goes out at once.">
      ${csrfField(csrf)}<button type="submit" class="primary">Approve</button></form>
    <form method="post" action="${at('/executions', execId)}/reject" class="row">${csrfField(csrf)}
      <label>Reason <input name="reason" required maxlength="500" /></label><button type="submit" class="danger">Reject</button></form>`;

/** Who asked for approval, who approved or rejected it, and when. */
export const approvalHistory = (e: Pick<ExecutionDetail, 'approval_steps' | 'approvals_needed' | 'approvals_given'>) =>
  e.approval_steps.length === 0
    ? ''
    : html`<p>Approvals: ${e.approvals_given} of ${e.approvals_needed}</p>
      <ol class="approval-steps">${e.approval_steps.map(
        (s) =>
          html`<li><strong>${s.step}</strong> by ${s.actor} at ${time(s.at)}${s.reason === null ? '' : html`: ${s.reason}`}</li>`,
      )}</ol>`;

/** `/approvals`: the inbox of runs waiting for a second person, with the script and where it would run. */
export const approvalsPage = async (c: Context<WebEnv>) => {
  const { approvals } = await c.var.api.get<ApprovalList>('/api/approvals');
  const body = html`<h1>Approvals</h1>
    <section id="approvals" data-live aria-label="waiting for approval">
      ${approvals.length === 0 ? html`<p class="muted">Nothing waits for approval.</p>` : ''}
      ${approvals.map(
        (a) => html`<article class="approval" aria-label="${a.job_id} ${a.exec_id}">
          <h2><a href="${at('/jobs', a.job_id)}">${a.job_id}</a> <span class="muted">${a.version}</span>
            <a href="${at('/executions', a.exec_id)}"><code class="muted">${a.exec_id}</code></a></h2>
          <p>Asked by <strong>${a.requested_by}</strong> at ${time(a.requested_at)} for ${a.target_count} PC(s):
            ${targetWords(a.target)}; ${a.approvals_given} of ${a.approvals_needed} approval(s);
            expires ${time(a.approval_expires_at)}.</p>
          <pre class="code" aria-label="script (${a.shell})">${a.script}</pre>
          ${can(c, 'operator') ? html`<div class="actions">${approvalForms(a.exec_id, c.var.csrf)}</div>` : ''}
        </article>`,
      )}
    </section>`;
  return render(c, { title: 'Approvals', section: 'approvals', body });
};

const targetWords = (t: ApprovalList['approvals'][number]['target']) =>
  [
    t.all === true ? 'all agents' : '',
    t.groups?.length ? `groups ${t.groups.join(', ')}` : '',
    t.pcs?.length
      ? `PCs ${t.pcs.slice(0, 20).join(', ')}${t.pcs.length > 20 ? ` and ${t.pcs.length - 20} more` : ''}`
      : '',
  ]
    .filter(Boolean)
    .join(' + ');
