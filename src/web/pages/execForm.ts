import { html } from 'hono/html';
import type { Group } from '../../api/contract.ts';
import { csrfField } from '../components.ts';
import type { Form } from '../session.ts';

const WAVE_ROWS = 3;

const values = (form: Form, key: string): string[] => {
  const v = form[key];
  return (Array.isArray(v) ? v : v === undefined ? [] : [v]).filter((x): x is string => typeof x === 'string');
};
const value = (form: Form, key: string) => values(form, key)[0]?.trim() ?? '';
const checked = (yes: boolean) => (yes ? html`checked` : '');
const selected = (yes: boolean) => (yes ? html`selected` : '');

/**
 * The run form of a job: on whom (all, groups, PCs, or only the waves' groups), optionally in waves
 * with a gate, jitter and a starting deadline. `sent` is a form the API refused: shown again as it was.
 */
export const execForm = (o: { jobId: string; groups: readonly Group[]; csrf: string; sent: Form }) => {
  const target = value(o.sent, 'target') || 'groups';
  const chosenGroups = new Set(values(o.sent, 'groups'));
  const options = (isSelected: (g: string) => boolean) =>
    o.groups.map(
      (g) => html`<option value="${g.group}" ${selected(isSelected(g.group))}>${g.group} (${g.online} online)</option>`,
    );
  const radio = (v: string, label: string) =>
    html`<label class="check"><input type="radio" name="target" value="${v}" ${checked(target === v)} /> ${label}</label>`;
  const field = (
    id: string,
    name: string,
    label: string,
    attrs: { placeholder: string; size: number; fallback?: string },
  ) =>
    html`<label for="${id}">${label}</label><input id="${id}" name="${name}" value="${value(o.sent, name) || (attrs.fallback ?? '')}" placeholder="${attrs.placeholder}" size="${attrs.size}" />`;
  return html`<form method="post" action="/jobs/${encodeURIComponent(o.jobId)}/exec" class="exec-form">
    ${csrfField(o.csrf)}
    <fieldset><legend>On</legend>
      ${radio('groups', 'groups')}${radio('all', 'every agent')}${radio('pcs', 'these PCs')}${radio('waves', 'only the groups of the waves below')}
      <label for="exec-groups">Groups</label>
      <select id="exec-groups" name="groups" multiple size="${Math.min(Math.max(o.groups.length, 2), 6)}">${options((g) => chosenGroups.has(g))}</select>
      <label for="exec-pcs">PCs (comma-separated)</label>
      <input id="exec-pcs" name="pcs" value="${value(o.sent, 'pcs')}" placeholder="pc-1, pc-2" />
      <label for="exec-where">Only where (a selector over facts and groups; optional)</label>
      <input id="exec-where" name="where" value="${value(o.sent, 'where')}" placeholder='os.family == "linux" and disk.free_gb < 10' class="selector" />
    </fieldset>
    <fieldset><legend>In waves (optional)</legend>
      <p class="hint">Each wave is a group and its delay from now; a PC runs in the first wave that has it. The gate is judged on the previous wave when the next is due.</p>
      ${Array.from({ length: WAVE_ROWS }, (_, i) => {
        const group = value(o.sent, `wave_group_${i}`);
        return html`<div class="row">
          <label for="wave-group-${i}">Wave ${i + 1} group</label>
          <select id="wave-group-${i}" name="wave_group_${i}"><option value="">—</option>${options((g) => g === group)}</select>
          ${field(`wave-delay-${i}`, `wave_delay_${i}`, 'after', { placeholder: '30m', size: 6, fallback: i === 0 ? '0s' : '' })}
        </div>`;
      })}
      <div class="row">
        ${field('max-failure-ratio', 'max_failure_ratio', 'Max failure ratio', { placeholder: '0.1', size: 5 })}
        ${field('min-success', 'min_success', 'Min successes', { placeholder: '1', size: 4 })}
      </div>
    </fieldset>
    <div class="row">
      ${field('jitter', 'jitter', 'Jitter', { placeholder: '30s', size: 6 })}
      ${field('deadline', 'starting_deadline', 'Starting deadline', { placeholder: '10m', size: 6 })}
      <button type="submit" class="primary">Run ${o.jobId}</button>
    </div>
  </form>`;
};

/** The exec body a submitted form asks for (the API validates it, with the same messages as for the CLI). */
export const execBody = (form: Form) => {
  const list = (key: string) =>
    values(form, key)
      .flatMap((v) => v.split(/[\s,]+/))
      .filter(Boolean);
  const mode = value(form, 'target');
  const target =
    mode === 'all'
      ? { all: true }
      : mode === 'groups'
        ? { groups: list('groups') }
        : mode === 'pcs'
          ? { pcs: list('pcs') }
          : undefined;
  const waves = Array.from({ length: WAVE_ROWS }, (_, i) => ({
    group: value(form, `wave_group_${i}`),
    delay: value(form, `wave_delay_${i}`) || '0s',
  })).filter((w) => w.group !== '');
  const number = (key: string) => (value(form, key) === '' ? undefined : Number(value(form, key)));
  const gate = Object.fromEntries(
    Object.entries({ max_failure_ratio: number('max_failure_ratio'), min_success: number('min_success') }).filter(
      ([, v]) => v !== undefined,
    ),
  );
  return {
    ...(target === undefined ? {} : { target }),
    ...(waves.length === 0
      ? {}
      : { rollout: { strategy: 'wave', waves, ...(Object.keys(gate).length === 0 ? {} : { gate }) } }),
    ...(value(form, 'where').trim() === '' ? {} : { where: value(form, 'where') }),
    ...(value(form, 'jitter') === '' ? {} : { jitter: value(form, 'jitter') }),
    ...(value(form, 'starting_deadline') === '' ? {} : { starting_deadline: value(form, 'starting_deadline') }),
  };
};
