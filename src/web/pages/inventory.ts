import type { Context } from 'hono';
import { html } from 'hono/html';
import type { Inventory } from '../../api/contract.ts';
import { ApiFailure } from '../apiClient.ts';
import { at, issueList, pager, time } from '../components.ts';
import { render } from '../render.ts';
import type { WebEnv } from '../session.ts';

const PAGE = 50;
const cell = (value: unknown) => (value === null ? '—' : typeof value === 'string' ? value : JSON.stringify(value));

// One summary as a horizontal bar chart, drawn on the server (SVG: no script, no library).
const barChart = (s: Inventory['summary'][number]) => {
  const max = Math.max(1, ...s.counts.map((c) => c.count));
  const row = 22;
  const labelWidth = 180;
  const barWidth = 320;
  const height = Math.max(1, s.counts.length) * row + 4;
  return html`<figure class="chart">
    <figcaption>${s.label}</figcaption>
    <svg role="img" aria-label="${s.label}: PCs per value" width="${labelWidth + barWidth + 60}" height="${height}"
      viewBox="0 0 ${labelWidth + barWidth + 60} ${height}">
      ${s.counts.map((c, i) => {
        const width = Math.max(2, Math.round((c.count / max) * barWidth));
        const y = i * row + 2;
        return html`<g>
          <text x="${labelWidth - 6}" y="${y + 15}" text-anchor="end" class="chart-label">${cell(c.value).slice(0, 28)}</text>
          <rect x="${labelWidth}" y="${y + 3}" width="${width}" height="${row - 6}" class="chart-bar"><title>${cell(c.value)}: ${c.count}</title></rect>
          <text x="${labelWidth + width + 6}" y="${y + 15}" class="chart-count">${c.count}</text>
        </g>`;
      })}
    </svg>
  </figure>`;
};

/** `/inventory`: facts per PC with an inventory job's display columns, its summaries as bar charts. */
export const inventoryPage = async (c: Context<WebEnv>) => {
  const job = c.req.query('job') ?? 'agent';
  const where = c.req.query('where') ?? '';
  const q = c.req.query('q') ?? '';
  const offset = Math.max(0, Number.parseInt(c.req.query('offset') ?? '0', 10) || 0);
  let inventory: Inventory | undefined;
  let failure: ApiFailure | undefined;
  try {
    inventory = await c.var.api.get<Inventory>('/api/inventory', { job, where, q, limit: PAGE, offset });
  } catch (error) {
    if (!(error instanceof ApiFailure) || error.status !== 422) throw error;
    failure = error; // a selector that does not parse: shown with its problems, the form kept
  }
  const sources = inventory?.sources ?? ['agent'];
  const body = html`<h1>Inventory</h1>
    <form method="get" action="/inventory" class="filters" role="search">
      <label>Source <select name="job">${sources.map(
        (s) =>
          html`<option value="${s}" ${s === job ? html`selected` : ''}>${s === 'agent' ? 'built-in facts' : s}</option>`,
      )}</select></label>
      <label>PC <input name="q" value="${q}" /></label>
      <label class="wide">Where <input name="where" value="${where}" placeholder='os.family == "linux" and disk.free_gb < 10' /></label>
      <button type="submit">Show</button>
    </form>
    ${failure === undefined ? '' : issueList(failure.message, failure.issues)}
    ${
      inventory === undefined
        ? ''
        : html`<section id="inventory-summary" data-live aria-label="summary" class="charts">${inventory.summary.map(barChart)}</section>
    <section id="inventory" data-live aria-label="inventory">
      ${pager({ base: new URL(c.req.url), offset, limit: PAGE, total: inventory.total })}
      <div class="scroll"><table>
        <thead><tr><th scope="col">PC</th>${inventory.columns.map((col) => html`<th scope="col">${col.label}</th>`)}<th scope="col">Reported</th></tr></thead>
        <tbody>${inventory.rows.map(
          (r) => html`<tr><td><a href="${at('/agents', r.pc_id)}">${r.pc_id}</a></td>
            ${inventory?.columns.map((col) => html`<td>${cell(r.values[col.field])}</td>`)}
            <td>${time(r.reported_at)}${r.skipped === null ? '' : html` <span class="badge bad" title="${r.skipped}">last output skipped</span>`}</td></tr>`,
        )}</tbody></table></div>
      ${inventory.rows.length === 0 ? html`<p class="muted">No PC has reported this yet.</p>` : ''}
    </section>`
    }`;
  return render(c, { title: 'Inventory', section: 'inventory', body, ...(failure ? { status: 422 } : {}) });
};
