import type { ExecCommand } from '../domain/execs/index.ts';
import { runDecider, runStreamName } from '../domain/runs/index.ts';
import { commandHandlerFor, type JetStreamEventStore } from '../infra/eventStore/index.ts';
import type { Logger } from '../infra/log.ts';
import { isBrokerUnavailable } from '../infra/nats/errors.ts';
import type { ReadModelsService } from '../projections/index.ts';
import type { LoopReporter } from './loopHealth.ts';

const handleRun = commandHandlerFor(runDecider);
const EVERY_MS = 30_000;
/** How long past its timeout a run may stay silent before the server gives up on it. */
export const REAP_GRACE_MS = 10 * 60_000;

/**
 * Gives up on runs whose agent never reported (it died with the machine, say): RunReaped marks them
 * lost once they are past their timeout plus a grace period. A real result arriving later wins.
 */
export const startReaper = (deps: {
  readModels: ReadModelsService;
  store: JetStreamEventStore;
  log: Logger;
  now: () => Date;
  health: LoopReporter;
}) => {
  const sweep = async () => {
    const rows = await deps.readModels
      .db()
      .selectFrom('results as r')
      .innerJoin('executions as e', 'e.exec_id', 'r.exec_id')
      .select([
        'r.result_id',
        'r.exec_id',
        'r.request_id',
        'r.job_id',
        'r.version',
        'r.pc_id',
        'r.started_at',
        'e.command',
      ])
      .where('r.finished_at', 'is', null)
      .where('r.started_at', 'is not', null)
      .where('r.started_at', '<', new Date(deps.now().getTime() - REAP_GRACE_MS).toISOString())
      .limit(1000)
      .execute();
    for (const r of rows) {
      const timeoutMs = (JSON.parse(r.command) as ExecCommand).timeout_secs * 1000;
      if (Date.parse(r.started_at ?? '') + timeoutMs + REAP_GRACE_MS > deps.now().getTime()) continue;
      const reason = `no result from ${r.pc_id} within the ${timeoutMs / 1000}s timeout and ${REAP_GRACE_MS / 60_000} more minutes`;
      const identity = {
        result_id: r.result_id,
        exec_id: r.exec_id,
        request_id: r.request_id,
        job_id: r.job_id,
        version: r.version,
        pc_id: r.pc_id,
      };
      try {
        await handleRun(
          deps.store,
          runStreamName(r.pc_id, r.result_id),
          { type: 'ReapRun', data: { ...identity, reason } },
          {
            id: `reap:${r.result_id}`,
            actor: 'reaper',
            at: deps.now().toISOString(),
            via: 'server',
            correlationId: r.exec_id,
          },
        );
        deps.health.unstuck(`run ${r.result_id}`);
      } catch (error) {
        if (isBrokerUnavailable(error)) throw error;
        deps.health.stuck(`run ${r.result_id}`, error);
        continue;
      }
      deps.log.warn('reaped a run with no result', { result_id: r.result_id, pc_id: r.pc_id });
    }
  };
  const timer = setInterval(
    () =>
      void sweep().then(
        () => deps.health.ok(),
        (error: unknown) => deps.health.failed(error),
      ),
    EVERY_MS,
  );
  return { sweep, stop: () => clearInterval(timer) };
};
