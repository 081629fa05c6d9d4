import { diffFacts, type Facts, type FactsReported, factsProblem } from '../../domain/facts/index.ts';
import type { RunFinished } from '../../domain/runs/index.ts';
import type { RecordedEvent } from '../../infra/eventStore/index.ts';
import { type Projection, put, type RowChange, type RowReader } from '../projection.ts';

/**
 * What each PC is: the built-in facts its agent reports (FactsReported, only when they change), and
 * the JSON document each inventory job (a job with `inventory:`) printed on it, with every change to
 * either as history. Both are folded from the event log, so a rebuild gives the same tables.
 */
export const factsProjection: Projection = {
  name: 'facts',
  version: 1,
  apply: (event, rows) => {
    if (event.type === 'FactsReported' && event.stream.startsWith('facts-'))
      return reported(event as RecordedEvent & FactsReported, rows);
    if (event.type === 'RunFinished' && event.stream.startsWith('run-'))
      return inventoryRun(event as RecordedEvent & RunFinished, rows);
    return [];
  },
};

const parseOr = (text: string | null | undefined): Facts | undefined => {
  if (text === null || text === undefined) return undefined;
  try {
    return JSON.parse(text) as Facts;
  } catch {
    return undefined;
  }
};

const history = (event: RecordedEvent, pc_id: string, source: string, before: Facts | undefined, after: Facts) =>
  diffFacts(before, after).map(({ path, from, to }) =>
    put('agent_fact_changes', {
      pc_id,
      seq: event.seq,
      path: source === 'agent' ? path : `${source}.${path}`,
      source,
      from_value: from,
      to_value: to,
      at: event.at,
    }),
  );

const reported = (event: RecordedEvent & FactsReported, rows: RowReader): RowChange[] => {
  const { pc_id, facts, digest } = event.data;
  if (factsProblem(facts) !== undefined) return []; // what no agent of ours sends is not taken
  const before = rows.get('agent_facts', { pc_id });
  if (before?.digest === digest) return [];
  return [
    put('agent_facts', { pc_id, facts: JSON.stringify(facts), digest, reported_at: event.at, seq: event.seq }),
    ...history(event, pc_id, 'agent', parseOr(before?.facts), facts),
  ];
};

// A successful run of an inventory job: its stdout, a JSON object within the limits, becomes that job's
// facts on the PC; anything else is kept as the reason it was skipped (the last good document stays).
const inventoryRun = (event: RecordedEvent & RunFinished, rows: RowReader): RowChange[] => {
  const { pc_id, job_id, result_id, outcome, stdout } = event.data;
  if (outcome !== 'succeeded' || rows.get('jobs', { job_id })?.inventory !== 1) return [];
  const before = rows.get('agent_inventory', { pc_id, job_id });
  let document: unknown;
  try {
    document = JSON.parse(stdout);
  } catch {
    document = undefined;
  }
  const problem = document === undefined ? 'is not JSON' : factsProblem(document);
  const common = { pc_id, job_id, result_id, reported_at: event.at, seq: event.seq };
  if (problem !== undefined)
    return [put('agent_inventory', { ...common, data: before?.data ?? null, skipped: `its output ${problem}` })];
  const data = JSON.stringify(document);
  return [
    put('agent_inventory', { ...common, data, skipped: null }),
    ...(data === before?.data ? [] : history(event, pc_id, job_id, parseOr(before?.data), document as Facts)),
  ];
};
