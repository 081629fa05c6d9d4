import type { JetStreamClient, JetStreamManager } from '@nats-io/jetstream';
import type { KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { type ExecAggregateCommand, type ExecCommand, execDecider, execStreamName } from '../../domain/execs/index.ts';
import { commandHandlerFor, type JetStreamEventStore } from '../../infra/eventStore/index.ts';
import type { Logger } from '../../infra/log.ts';
import type { ServerMetrics } from '../../infra/metrics/server.ts';
import { VIEWS } from '../../infra/nats/fleet.ts';
import type { ReadModelsService } from '../../projections/index.ts';
import type { LoopReporter } from '../loopHealth.ts';
import type { CommandSigner } from '../signing.ts';
import type { ViewsWriter } from '../viewsWriter.ts';

/** What the dispatcher works with. */
export type DispatchDeps = {
  readModels: ReadModelsService;
  views: ViewsWriter;
  store: JetStreamEventStore;
  js: JetStreamClient;
  jsm: JetStreamManager;
  nc: NatsConnection;
  pins: KV;
  /** Signs every command for the subject it goes to: agents run nothing else. */
  signer: CommandSigner;
  /** Where the dispatcher reports failing ticks and execs it had to skip. */
  health: LoopReporter;
  log: Logger;
  now: () => Date;
  /** Times request (or a wave's due time) → published. */
  metrics?: Pick<ServerMetrics, 'dispatchLatency'>;
};

/** Records how long a command took to go out since `since` (the exec's request, or its wave's due time). */
export const timeDispatch = (deps: DispatchDeps, kind: 'exec' | 'wave', since: string): void => {
  deps.metrics?.dispatchLatency.observe({ kind }, Math.max(0, deps.now().getTime() - Date.parse(since)) / 1000);
};

const handleExec = commandHandlerFor(execDecider);
// Publishes in flight at once: acks are awaited in groups, not one by one.
const PUBLISH_WINDOW = 256;

/**
 * Publishes one command to each subject, signed for that subject, its message id derived from the
 * request id and the subject, so a publish repeated after a crash is dropped by JetStream's duplicate window.
 */
export const publishCommand = async (deps: DispatchDeps, command: ExecCommand, subjects: readonly string[]) => {
  const body = JSON.stringify(command);
  for (let i = 0; i < subjects.length; i += PUBLISH_WINDOW) {
    await Promise.all(
      subjects.slice(i, i + PUBLISH_WINDOW).map((subject) =>
        deps.js.publish(subject, body, {
          msgID: `${command.request_id}:${subject}`,
          headers: deps.signer.sign(subject, body),
        }),
      ),
    );
  }
};

/** Pins the version agents may run of a job (signed, like every view agents read). */
export const pin = async (deps: DispatchDeps, jobId: string, version: string): Promise<void> => {
  await deps.pins.put(jobId, deps.signer.signView(VIEWS.pins, jobId, version));
};

/** Loads what the exec's own stream says (the read model may lag, after a restart say). */
export const execState = async (deps: DispatchDeps, execId: string) =>
  (await deps.store.aggregateStream(execStreamName(execId), execDecider)).state;

/** Records a command of the dispatcher on an exec; the id makes a repeat (after a crash) a no-op. */
export const recordOnExec = (deps: DispatchDeps, id: string, command: ExecAggregateCommand) =>
  handleExec(deps.store, execStreamName(command.data.exec_id), command, {
    id,
    actor: 'dispatcher',
    at: deps.now().toISOString(),
    via: 'server',
    correlationId: command.data.exec_id,
  });
