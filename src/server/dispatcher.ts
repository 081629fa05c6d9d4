import type { JetStreamClient } from '@nats-io/jetstream';
import type { KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { addressesOf, type ExecCommand, execDecider, execStreamName, type Target } from '../domain/execs/index.ts';
import { commandHandlerFor, type JetStreamEventStore } from '../infra/eventStore/index.ts';
import type { Logger } from '../infra/log.ts';
import { commandSubject, commandToken, killSubject } from '../infra/nats/subjects.ts';
import { getFleet, type ReadModelsService } from '../projections/index.ts';

const handleExec = commandHandlerFor(execDecider);
const TICK_MS = 2_000;
const BATCH = 100;

type Deps = {
  readModels: ReadModelsService;
  store: JetStreamEventStore;
  js: JetStreamClient;
  nc: NatsConnection;
  pins: KV;
  log: Logger;
  now: () => Date;
};

/**
 * Turns requested execs into commands on KANADE_COMMANDS. A process manager over the `executions`
 * read model: it picks execs not yet dispatched, pins the job version, publishes one command (one
 * request id) to every target subject, and records ExecDispatched — so a restart resumes where it
 * stopped and never dispatches twice. It also re-announces kills while killed execs still run.
 */
export const startDispatcher = (deps: Deps) => {
  let timer: NodeJS.Timeout | undefined;
  let busy: Promise<void> | undefined;
  let again = false;
  let stopped = false;
  const done = new Set<string>(); // dispatched by this process, until the read model shows it too

  const tick = async () => {
    // The emergency stop holds every dispatch (agents would refuse it anyway) until the fleet resumes.
    if (!(await getFleet(deps.readModels.db())).halted) await dispatchPending();
    await announceKills();
  };

  const dispatchPending = async () => {
    const pending = await deps.readModels
      .db()
      .selectFrom('executions')
      .select(['exec_id', 'kind', 'job_id', 'version', 'request_id', 'target', 'command'])
      .where('dispatched_at', 'is', null)
      .where('kill_requested_at', 'is', null)
      .orderBy('seq')
      .limit(BATCH)
      .execute();
    const stillPending = new Set(pending.map((e) => e.exec_id));
    for (const id of done) if (!stillPending.has(id)) done.delete(id); // the read model caught up
    for (const exec of pending) {
      if (stopped || done.has(exec.exec_id)) continue;
      await dispatch({
        ...exec,
        target: JSON.parse(exec.target) as Target,
        command: JSON.parse(exec.command) as ExecCommand,
      });
      done.add(exec.exec_id);
    }
  };

  const dispatch = async (exec: {
    exec_id: string;
    kind: string;
    job_id: string;
    version: string;
    target: Target;
    command: ExecCommand;
  }) => {
    // The pin first: an agent must never see a command whose version is not pinned yet (kanade #258).
    if (exec.kind === 'job') await deps.pins.put(exec.job_id, exec.version);
    const token = commandToken(exec.job_id, exec.kind === 'adhoc' ? 'adhoc' : 'job', exec.exec_id);
    const subjects = addressesOf(exec.target).map((address) => commandSubject(address, token));
    const body = JSON.stringify(exec.command);
    for (const subject of subjects)
      await deps.js.publish(subject, body, { msgID: `${exec.command.request_id}:${subject}` });
    await handleExec(
      deps.store,
      execStreamName(exec.exec_id),
      { type: 'MarkDispatched', data: { exec_id: exec.exec_id, subjects } },
      {
        id: `dispatch:${exec.exec_id}`,
        actor: 'dispatcher',
        at: deps.now().toISOString(),
        via: 'server',
        correlationId: exec.exec_id,
      },
    );
    deps.log.info('dispatched', { exec_id: exec.exec_id, job_id: exec.job_id, subjects: subjects.length });
  };

  // Kill messages are core NATS (best effort): repeat them while a killed exec still has runs going.
  const announceKills = async () => {
    const killed = await deps.readModels
      .db()
      .selectFrom('executions')
      .select('exec_id')
      .where('status', '=', 'killed')
      .where('running', '>', 0)
      .execute();
    for (const { exec_id } of killed) deps.nc.publish(killSubject(exec_id));
  };

  const schedule = () => {
    if (stopped) return;
    if (busy !== undefined) {
      again = true;
      return;
    }
    busy = tick()
      .catch((error: unknown) => deps.log.warn('dispatch failed; will retry', { error }))
      .finally(() => {
        busy = undefined;
        if (again) {
          again = false;
          schedule();
        }
      });
  };

  const unsubscribe = deps.readModels.onApplied(schedule);
  timer = setInterval(schedule, TICK_MS);
  schedule();
  return {
    stop: async () => {
      stopped = true;
      unsubscribe();
      clearInterval(timer);
      timer = undefined;
      await busy;
    },
  };
};
