import { html } from 'hono/html';
import { type Outcome, outcomeWords } from '../domain/runs/index.ts';
import type { ApiIssue } from './apiClient.ts';

/** A time as UTC text, machine-readable for assistive tech and scripts. */
export const time = (iso: string | null | undefined) =>
  iso === null || iso === undefined
    ? html`<span class="muted">—</span>`
    : html`<time datetime="${iso}">${iso.replace('T', ' ').replace(/\.\d{3}Z$/, 'Z')}</time>`;

/** How long between two times, in words. */
export const duration = (from: string | null, to: string | null): string => {
  if (from === null || to === null) return '—';
  const ms = Date.parse(to) - Date.parse(from);
  if (ms < 1000) return `${ms} ms`;
  const s = Math.round(ms / 100) / 10;
  return s < 120 ? `${s} s` : `${Math.round(s / 6) / 10} min`;
};

const TONE: Record<string, string> = {
  completed: 'ok',
  succeeded: 'ok',
  online: 'ok',
  active: 'ok',
  enabled: 'ok',
  dispatched: 'ok',
  fired: 'ok',
  running: 'info',
  pending: 'info',
  approved: 'ok',
  rejected: 'bad',
  terminated: 'muted',
  scheduled: 'info',
  failed: 'bad',
  timed_out: 'bad',
  killed: 'bad',
  lost: 'bad',
  halted: 'bad',
  revoked: 'bad',
  aborted: 'warn',
  skipped: 'warn',
  cancelled: 'warn',
  offline: 'muted',
  disabled: 'muted',
};

/** A status word with a colour that is never the only signal (the word is there). */
export const badge = (status: string | null) =>
  status === null
    ? html`<span class="badge info">running</span>`
    : html`<span class="badge ${TONE[status] ?? 'muted'}">${status.replace('_', ' ')}</span>`;

/** Counters of an exec or a wave; an exec's outcomes tell killed, timed-out and lost runs from failed ones. */
export type Counts = {
  target_count: number;
  succeeded: number;
  failed: number;
  skipped: number;
  running: number;
  outcomes?: Readonly<Record<Outcome, number>>;
};

/** A stacked bar of succeeded / failed / skipped / running out of the target, with the same in words. */
export const progress = (c: Counts) => {
  const total = Math.max(c.target_count, c.succeeded + c.failed + c.skipped + c.running, 1);
  const pct = (n: number) => `${((n / total) * 100).toFixed(2)}%`;
  const done = c.succeeded + c.failed + c.skipped;
  const words = `${done}/${c.target_count} done: ${c.outcomes === undefined ? `${c.succeeded} succeeded, ${c.failed} unsuccessful, ${c.skipped} skipped, ${c.running} running` : outcomeWords(c.outcomes, c.running)}`;
  return html`<div class="progress" role="img" aria-label="${words}">
      <span class="seg ok" style="width:${pct(c.succeeded)}"></span><span class="seg bad" style="width:${pct(c.failed)}"></span><span class="seg warn" style="width:${pct(c.skipped)}"></span><span class="seg info" style="width:${pct(c.running)}"></span>
    </div>
    <p class="progress-text">${words}</p>`;
};

/** A hidden form-token field (every state-changing form carries one). */
export const csrfField = (csrf: string) => html`<input type="hidden" name="_csrf" value="${csrf}" />`;

/** A one-button form that posts to `action`. */
export const actionButton = (o: { action: string; label: string; csrf: string; confirm?: string; tone?: string }) =>
  html`<form method="post" action="${o.action}" class="inline" ${o.confirm === undefined ? '' : html`data-confirm="${o.confirm}"`}>
    ${csrfField(o.csrf)}<button type="submit" class="${o.tone ?? ''}">${o.label}</button>
  </form>`;

/** The problems of a refused form, each with its field. */
export const issueList = (title: string, issues: readonly ApiIssue[]) =>
  html`<div class="alert bad" role="alert"><strong>${title}</strong>${
    issues.length === 0
      ? ''
      : html`<ul>${issues.map(
          (i) =>
            html`<li>${i.path === '' ? '' : html`<code>${i.path}</code>: `}${i.message}${i.line === undefined ? '' : ` (line ${i.line}${i.column === undefined ? '' : `, column ${i.column}`})`}</li>`,
        )}</ul>`
  }</div>`;

/** Previous / next links for offset paging. */
export const pager = (o: { base: URL; offset: number; limit: number; total: number }) => {
  const link = (offset: number) => {
    const url = new URL(o.base);
    url.searchParams.set('offset', String(offset));
    return `${url.pathname}${url.search}`;
  };
  const last = Math.min(o.offset + o.limit, o.total);
  return html`<nav class="pager" aria-label="pages">
    <span>${o.total === 0 ? 0 : o.offset + 1}–${last} of ${o.total}</span>
    ${o.offset > 0 ? html`<a href="${link(Math.max(0, o.offset - o.limit))}" rel="prev">← previous</a>` : ''}
    ${last < o.total ? html`<a href="${link(o.offset + o.limit)}" rel="next">next →</a>` : ''}
  </nav>`;
};

/** A path with an encoded id. */
export const at = (prefix: string, id: string) => `${prefix}/${encodeURIComponent(id)}`;
