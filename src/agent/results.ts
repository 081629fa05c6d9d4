import { monotonicFactory } from 'ulid';
import type { ExecCommand } from '../domain/execs/index.ts';
import { type RunFinished, type RunIdentity, type RunStarted, runStreamName } from '../domain/runs/index.ts';
import { encodeCommit } from '../infra/eventStore/envelope.ts';
import { subjectOf } from '../infra/eventStore/subjects.ts';
import { pooledRandom } from '../infra/random.ts';
import { resultIdOf } from '../infra/runIds.ts';

const nextNonce = monotonicFactory(pooledRandom);

import type { OutboxEntry } from './outbox.ts';

/** The identity fields every run event carries. */
export const runIdentity = (command: ExecCommand, pcId: string): RunIdentity => ({
  result_id: resultIdOf(command.request_id, pcId),
  exec_id: command.exec_id,
  request_id: command.request_id,
  job_id: command.id,
  version: command.version,
  pc_id: pcId,
});

// Message ids are random: JetStream deduplicates across the whole stream, so a predictable id (from
// the result id) would let another agent claim it first and make this result look like a duplicate.
// The commit id names the result; retries of one outbox entry reuse its message id.
const entryFor = (event: RunStarted | RunFinished, kind: OutboxEntry['kind'], at: string): OutboxEntry => {
  const msgId = `${kind}:${nextNonce()}`;
  const commit = {
    id: `${kind}:${event.data.result_id}`,
    actor: `agent:${event.data.pc_id}`,
    at,
    via: 'agent',
    correlationId: event.data.exec_id,
  };
  return {
    subject: subjectOf(runStreamName(event.data.pc_id, event.data.result_id)),
    msgId,
    body: encodeCommit(commit, [event]),
    kind,
  };
};

/** The outbox entry of a RunStarted. */
export const startedEntry = (identity: RunIdentity, startedAt: string): OutboxEntry =>
  entryFor({ type: 'RunStarted', data: { ...identity, started_at: startedAt } }, 'run-started', startedAt);

/** The outbox entry of a RunFinished. */
export const finishedEntry = (data: RunFinished['data']): OutboxEntry =>
  entryFor({ type: 'RunFinished', data }, 'run-finished', data.finished_at);
