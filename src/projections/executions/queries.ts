import { type Kysely, type Selectable, sql } from 'kysely';
import type { Target } from '../../domain/execs/index.ts';
import { OUTCOMES, type Outcome } from '../../domain/runs/index.ts';
import type { ExecutionsTable, ExecWavesTable, ReadModels, ResultsTable } from '../schema.ts';
import { type ApprovalStepView, approvalSteps } from './approvals.ts';

/** An execution as the API shows it. */
export type ExecutionView = Omit<
  Selectable<ExecutionsTable>,
  'target' | 'subjects' | 'command' | 'rollout' | 'result_count' | 'timed_out' | 'killed' | 'lost'
> & {
  target: Target;
  pcs: string[];
  subjects: string[] | null;
  rollout: unknown;
  done: number;
  /** Finished results by outcome (the counters above lump timed_out, killed and lost into `failed`). */
  outcomes: OutcomeCounts;
};

/** How many of an execution's results ended each way (a killed run is `killed`, never `failed`). */
export type OutcomeCounts = Record<Outcome, number>;

// Finished results by outcome, from the exec's own counters (its `failed` counts every unsuccessful end).
const outcomesOf = (row: Selectable<ExecutionsTable>): OutcomeCounts => ({
  succeeded: row.succeeded,
  failed: row.failed - row.timed_out - row.killed - row.lost,
  timed_out: row.timed_out,
  killed: row.killed,
  lost: row.lost,
  skipped: row.skipped,
});

/** One wave of a rollout as the API shows it. */
export type WaveView = Omit<Selectable<ExecWavesTable>, 'exec_id' | 'group_name' | 'selector' | 'gate_waived'> & {
  /** The wave's group, or (when a selector chose its PCs) the selector's canonical text in `where`. */
  group?: string;
  where?: { selector: string };
  gate_waived: boolean;
  done: number;
};

/** A result as the API shows it (kanade's field names), with its whole output. */
export type ResultView = Selectable<ResultsTable>;

/**
 * A result in a list: its output cut to a preview in SQL (the full text never leaves SQLite for a
 * list, so an answer's size is bounded by its row count), with the full sizes in bytes and whether it
 * was cut. `GET /api/results/:id` has the output whole.
 */
export type ResultPreview = ResultView & { stdout_bytes: number; stderr_bytes: number; truncated: boolean };

/** Output longer than this (UTF-8 bytes, per stream) is cut in lists. */
export const PREVIEW_BYTES = 2048;

const RESULT_FIELDS = [
  'result_id',
  'exec_id',
  'request_id',
  'job_id',
  'version',
  'pc_id',
  'exit_code',
  'outcome',
  'reason',
  'started_at',
  'finished_at',
  'seq',
  'reaped',
] as const;

// The columns of a result list: every field, the output's first bytes and its full size. Output is
// read as bytes: SQLite's text functions stop at a NUL, and output may hold any byte.
const previewColumns = [
  ...RESULT_FIELDS,
  sql<Uint8Array>`substr(cast(stdout as blob), 1, ${PREVIEW_BYTES})`.as('stdout_head'),
  sql<Uint8Array>`substr(cast(stderr as blob), 1, ${PREVIEW_BYTES})`.as('stderr_head'),
  sql<number>`octet_length(stdout)`.as('stdout_bytes'),
  sql<number>`octet_length(stderr)`.as('stderr_bytes'),
] as const;

const utf8 = new TextDecoder();
// The first bytes as text; a character the cut split in two is dropped, not shown as U+FFFD.
const headText = (head: Uint8Array | string | null, total: number) => {
  if (head === null || typeof head === 'string') return head ?? ''; // SQLite gives back empty blobs as text or null
  const text = utf8.decode(head);
  return total > head.length && text.endsWith('\uFFFD') ? text.slice(0, -1) : text;
};

const toPreview = ({
  stdout_head,
  stderr_head,
  ...r
}: Omit<ResultPreview, 'truncated' | 'stdout' | 'stderr'> & {
  stdout_head: Uint8Array | string | null;
  stderr_head: Uint8Array | string | null;
}): ResultPreview => ({
  ...r,
  stdout: headText(stdout_head, r.stdout_bytes),
  stderr: headText(stderr_head, r.stderr_bytes),
  truncated: r.stdout_bytes > PREVIEW_BYTES || r.stderr_bytes > PREVIEW_BYTES,
});

const toListed = (row: Selectable<ExecutionsTable>): ExecutionListed => {
  const { command: _command, result_count: _count, timed_out: _t, killed: _k, lost: _l, ...rest } = row;
  return {
    ...rest,
    outcomes: outcomesOf(row),
    target: JSON.parse(row.target) as Target,
    subjects: row.subjects === null ? null : (JSON.parse(row.subjects) as string[]),
    rollout: row.rollout === null ? null : (JSON.parse(row.rollout) as unknown),
    done: row.succeeded + row.failed + row.skipped,
  };
};

const toExecution = (row: Selectable<ExecutionsTable>, pcs: string | undefined): ExecutionView => ({
  ...toListed(row),
  pcs: pcs === undefined ? [] : (JSON.parse(pcs) as string[]),
});

/** An exec as lists show it: everything but the resolved PCs (tens of thousands, for some). */
export type ExecutionListed = Omit<ExecutionView, 'pcs'>;

const toWave = ({
  exec_id: _exec,
  group_name,
  selector,
  gate_waived,
  ...row
}: Selectable<ExecWavesTable>): WaveView => ({
  ...row,
  ...(group_name === null ? {} : { group: group_name }),
  ...(selector === null ? {} : { where: { selector } }),
  gate_waived: gate_waived === 1,
  done: row.succeeded + row.failed + row.skipped,
});

/** Executions, newest first, and how many match (before the limit). */
export const listExecutions = async (
  db: Kysely<ReadModels>,
  f: { job_id?: string; status?: string; limit: number },
): Promise<{ executions: ExecutionListed[]; total: number }> => {
  let query = db.selectFrom('executions');
  if (f.job_id !== undefined) query = query.where('job_id', '=', f.job_id);
  if (f.status !== undefined) query = query.where('status', '=', f.status);
  const rows = await query.selectAll().orderBy('seq', 'desc').limit(f.limit).execute();
  const { total } = await query.select((eb) => eb.fn.countAll<number>().as('total')).executeTakeFirstOrThrow();
  return { executions: rows.map(toListed), total };
};

/** One execution with its waves and a page of its PCs' results (output cut to a preview). */
export type ExecutionDetail = ExecutionView & {
  waves: WaveView[];
  /** Who asked for approval, who approved or rejected, and when (empty when the job needs none). */
  approval_steps: ApprovalStepView[];
  results: ResultPreview[];
  results_total: number;
};

/** How many of an execution's results an answer carries unless asked otherwise (and at most). */
export const DEFAULT_RESULTS_PAGE = 1000;

/** Which results of an execution to include: a page of them, by pc id (the first 1000 by default). */
export type ResultPage = { limit?: number; offset?: number };

/**
 * One execution with its waves and its PCs' results (output previews, paged), or undefined. Its counts
 * come from the exec's counters: the work is one page of results, whatever the exec's size.
 */
export const getExecution = async (
  db: Kysely<ReadModels>,
  execId: string,
  page: ResultPage = {},
): Promise<ExecutionDetail | undefined> => {
  const row = await db.selectFrom('executions').selectAll().where('exec_id', '=', execId).executeTakeFirst();
  if (row === undefined) return undefined;
  const results = await db
    .selectFrom('results')
    .select(previewColumns)
    .where('exec_id', '=', execId)
    .orderBy('pc_id')
    .limit(page.limit ?? DEFAULT_RESULTS_PAGE)
    .offset(page.offset ?? 0)
    .execute();
  const waves = await db.selectFrom('exec_waves').selectAll().where('exec_id', '=', execId).orderBy('wave').execute();
  const pcs = await db.selectFrom('exec_pcs').select('pcs').where('exec_id', '=', execId).executeTakeFirst();
  return {
    ...toExecution(row, pcs?.pcs),
    results_total: row.result_count,
    waves: waves.map(toWave),
    approval_steps: row.approval === null ? [] : await approvalSteps(db, execId),
    results: results.map(toPreview),
  };
};

/** An execution's status and running count alone (what a waiting client polls), or undefined. */
export const getExecutionProgress = (
  db: Kysely<ReadModels>,
  execId: string,
): Promise<{ status: string; running: number } | undefined> =>
  db.selectFrom('executions').select(['status', 'running']).where('exec_id', '=', execId).executeTakeFirst();

/** What `status` filters results by: the outcome words the tables print, `running`, and the original's two words. */
export const RESULT_STATUSES = [...OUTCOMES, 'running', 'success', 'failure'] as const;
export type ResultStatus = (typeof RESULT_STATUSES)[number];

/** Result filters (kanade's): by pc, job, exec, status; `since` on finish time. */
export type ResultFilter = {
  pc_id?: string;
  job_id?: string;
  exec_id?: string;
  /** An outcome word, `running`, or the original's `success` (= succeeded) and `failure` (any unsuccessful end but skipped). */
  status?: ResultStatus;
  since?: string;
  limit: number;
};

/** Results, newest first. */
export const listResults = async (db: Kysely<ReadModels>, f: ResultFilter): Promise<ResultPreview[]> => {
  let query = db.selectFrom('results').select(previewColumns);
  if (f.pc_id !== undefined) query = query.where('pc_id', '=', f.pc_id);
  if (f.job_id !== undefined) query = query.where('job_id', '=', f.job_id);
  if (f.exec_id !== undefined) query = query.where('exec_id', '=', f.exec_id);
  if (f.since !== undefined) query = query.where('finished_at', '>=', f.since);
  if (f.status === 'running') query = query.where('finished_at', 'is', null);
  else if (f.status === 'success') query = query.where('outcome', '=', 'succeeded');
  else if (f.status === 'failure') query = query.where('outcome', 'in', ['failed', 'timed_out', 'killed', 'lost']);
  else if (f.status !== undefined) query = query.where('outcome', '=', f.status);
  return (await query.orderBy('seq', 'desc').limit(f.limit).execute()).map(toPreview);
};

/** One result, whole, or undefined. */
export const getResult = (db: Kysely<ReadModels>, resultId: string): Promise<ResultView | undefined> =>
  db.selectFrom('results').selectAll().where('result_id', '=', resultId).executeTakeFirst();

/**
 * What the once_per_* modes need of a job: per PC the finish time of its last success, the PCs
 * running it now, and the PCs an unfinished exec sent it to that have not answered yet.
 */
export const jobHistory = async (
  db: Kysely<ReadModels>,
  jobId: string,
): Promise<{ lastSuccess: Map<string, string>; running: Set<string>; pending: Set<string> }> => {
  const successes = await db
    .selectFrom('results')
    .select(['pc_id', (eb) => eb.fn.max('finished_at').as('at')])
    .where('job_id', '=', jobId)
    .where('outcome', '=', 'succeeded')
    .groupBy('pc_id')
    .execute();
  const running = await db
    .selectFrom('results')
    .select('pc_id')
    .where('job_id', '=', jobId)
    .where('finished_at', 'is', null)
    .execute();
  const unfinished = await db
    .selectFrom('executions')
    .innerJoin('exec_pcs', 'exec_pcs.exec_id', 'executions.exec_id')
    .select(['executions.exec_id', 'exec_pcs.pcs'])
    .where('job_id', '=', jobId)
    .where('status', 'in', ['pending', 'running', 'halted'])
    .execute();
  const pending = new Set<string>();
  for (const exec of unfinished) {
    const answered = await db.selectFrom('results').select('pc_id').where('exec_id', '=', exec.exec_id).execute();
    const done = new Set(answered.map((r) => r.pc_id));
    for (const pc of JSON.parse(exec.pcs) as string[]) if (!done.has(pc)) pending.add(pc);
  }
  return {
    lastSuccess: new Map(successes.flatMap((r) => (r.at === null ? [] : [[r.pc_id, r.at] as const]))),
    running: new Set(running.map((r) => r.pc_id)),
    pending,
  };
};
