import type { JetStreamClient } from '@nats-io/jetstream';
import type { KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { addressesOf, type ExecCommand, execDecider, execStreamName, type Target } from '../domain/execs/index.ts';
import { commandHandlerFor, type JetStreamEventStore } from '../infra/eventStore/index.ts';
import type { Logger } from '../infra/log.ts';
import { commandSubject, commandToken, killSubject } from '../infra/nats/subjects.ts';
import { getFleet, type ReadModelsService } from '../projections/index.ts';
import type { ViewsWriter } from './viewsWriter.ts';

const handleExec = commandHandlerFor(execDecider);
const TICK_MS = 2_000;
const BATCH = 100;
// Kill messages are repeated this long after the kill request (core messages are best effort).
const KILL_ANNOUNCE_MS = 10 * 60_000;

type Deps = {
  readModels: ReadModelsService;
  views: ViewsWriter;
  store: JetStreamEventStore;
  js: JetStreamClient;
  nc: NatsConnection;
  pins: KV;
  log: Logger;
  now: () => Date;
};

type PendingExec = {
  exec_id: string;
  kind: string;
  job_id: string;
  version: string;
  target: Target;
  command: ExecCommand;
};

/**
 * Turns requested execs into commands on KANADE_COMMANDS. A process manager over the `executions`
 * read model: it takes execs not yet dispatched once the agents' views reflect them (so a revoke or
 * group change just before an exec is what agents see), pins the job version, publishes one command
 * (one request id) to every target subject, and records ExecDispatched — so a restart resumes where
 * it stopped and never dispatches twice.
 */
export const startDispatcher = (deps: Deps) => {
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
      .select(['exec_id', 'kind', 'job_id', 'version', 'target', 'command'])
      .where('dispatched_at', 'is', null)
      .where('kill_requested_at', 'is', null)
      .where('seq', '<=', deps.views.position())
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

  const dispatch = async (exec: PendingExec) => {
    // The read model may lag (after a restart, say): the exec's own stream says whether it went out.
    const { state } = await deps.store.aggregateStream(execStreamName(exec.exec_id), execDecider);
    if (state.status !== 'requested' || state.dispatched || state.killed) return;
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

  const announceKills = async () => {
    const since = new Date(deps.now().getTime() - KILL_ANNOUNCE_MS).toISOString();
    const killed = await deps.readModels
      .db()
      .selectFrom('executions')
      .select('exec_id')
      .where('status', '=', 'killed')
      .where('running', '>', 0)
      .where('kill_requested_at', '>=', since)
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

  const unsubscribe = [deps.readModels.onApplied(schedule), deps.views.onAdvanced(schedule)];
  const timer = setInterval(schedule, TICK_MS);
  void reconcilePins(deps).then(schedule, (error: unknown) =>
    deps.log.warn('could not reconcile version pins', { error }),
  );
  return {
    stop: async () => {
      stopped = true;
      for (const u of unsubscribe) u();
      clearInterval(timer);
      await busy;
    },
  };
};

// Pins are a view too: the version of each job's latest dispatched exec. Rewritten where KV differs
// (after buckets were wiped, say).
const reconcilePins = async (deps: Deps) => {
  const latest = await deps.readModels
    .db()
    .selectFrom('executions')
    .select(['job_id', 'version'])
    .where('kind', '=', 'job')
    .where('dispatched_at', 'is not', null)
    .orderBy('seq')
    .execute();
  const pins = new Map(latest.map((e) => [e.job_id, e.version]));
  for (const [jobId, version] of pins) {
    const current = await deps.pins.get(jobId);
    if (current?.string() !== version) await deps.pins.put(jobId, version);
  }
};
