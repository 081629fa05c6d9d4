import { createHash } from 'node:crypto';
import type { ExecCommand } from '../domain/execs/index.ts';
import { type RunFinished, type RunIdentity, type RunStarted, runStreamName } from '../domain/runs/index.ts';
import { encodeCommit, subjectOf } from '../infra/eventStore/index.ts';
import type { OutboxEntry } from './outbox.ts';

/** One result per (command, pc), derived rather than random, so even a re-run could not record twice. */
export const resultIdOf = (requestId: string, pcId: string): string =>
  createHash('sha256').update(`${requestId}|${pcId}`).digest('hex').slice(0, 32);

/** The identity fields every run event carries. */
export const runIdentity = (command: ExecCommand, pcId: string): RunIdentity => ({
  result_id: resultIdOf(command.request_id, pcId),
  exec_id: command.exec_id,
  request_id: command.request_id,
  job_id: command.id,
  version: command.version,
  pc_id: pcId,
});

const entryFor = (event: RunStarted | RunFinished, kind: OutboxEntry['kind'], at: string): OutboxEntry => {
  const msgId = `${kind}:${event.data.result_id}`;
  const commit = { id: msgId, actor: `agent:${event.data.pc_id}`, at, via: 'agent', correlationId: event.data.exec_id };
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
