import { type ExecCommand, judgeGate, nextWave, type WaveGate } from '../../domain/execs/index.ts';
import { commandSubject, commandToken } from '../../infra/nats/subjects.ts';
import { type DispatchDeps, execState, publishCommand, recordOnExec } from './deps.ts';

const BATCH = 100;

type DueWave = {
  exec_id: string;
  wave: number;
  kind: string;
  job_id: string;
  version: string;
  command: string;
  rollout: string | null;
  deadline_at: string | null;
};

/**
 * Dispatches the waves that are due, in order, each once: the gate between waves is judged at the
 * moment a wave is due, on the previous wave's finished results (unless an operator waived it by
 * resuming); a breach halts the rollout with its reason. Everything is decided from the events
 * (WaveScheduled carries the due time), so a restarted server picks up where it stopped, on time.
 */
export const dispatchDueWaves = async (deps: DispatchDeps, isStopped: () => boolean) => {
  const due = await deps.readModels
    .db()
    .selectFrom('exec_waves as w')
    .innerJoin('executions as e', 'e.exec_id', 'w.exec_id')
    .select(['w.exec_id', 'w.wave', 'w.deadline_at', 'e.kind', 'e.job_id', 'e.version', 'e.command', 'e.rollout'])
    .where('w.status', '=', 'scheduled')
    .where('w.due_at', '<=', deps.now().toISOString())
    .where('e.seq', '<=', deps.views.position())
    .orderBy('w.due_at')
    .limit(BATCH)
    .execute();
  for (const wave of due) {
    if (isStopped()) return;
    await dispatchWave(deps, wave);
  }
};

/** When the next scheduled wave is due (to wake up for it), or undefined. */
export const nextDueAt = async (deps: DispatchDeps): Promise<string | undefined> => {
  const row = await deps.readModels
    .db()
    .selectFrom('exec_waves')
    .select((eb) => eb.fn.min('due_at').as('due_at'))
    .where('status', '=', 'scheduled')
    .executeTakeFirst();
  return row?.due_at ?? undefined;
};

const dispatchWave = async (deps: DispatchDeps, due: DueWave) => {
  const state = await execState(deps, due.exec_id);
  if (nextWave(state) !== due.wave || state.status !== 'requested') return;
  const gate = (JSON.parse(due.rollout ?? '{}') as { gate?: WaveGate }).gate;
  if (due.wave > 0 && state.waived !== due.wave) {
    const previous = await deps.readModels
      .db()
      .selectFrom('exec_waves')
      .select(['target_count', 'succeeded', 'failed', 'skipped'])
      .where('exec_id', '=', due.exec_id)
      .where('wave', '=', due.wave - 1)
      .executeTakeFirstOrThrow();
    const verdict = judgeGate(gate, previous, due.wave - 1);
    if (!verdict.pass) {
      await recordOnExec(deps, `halt:${due.exec_id}:${due.wave}`, {
        type: 'HaltExec',
        data: { exec_id: due.exec_id, wave: due.wave, reason: verdict.reason },
      });
      deps.log.warn('rollout halted', { exec_id: due.exec_id, wave: due.wave, reason: verdict.reason });
      return;
    }
  }
  const pcs = await deps.readModels
    .db()
    .selectFrom('exec_targets')
    .select('pc_id')
    .where('exec_id', '=', due.exec_id)
    .where('wave', '=', due.wave)
    .orderBy('pc_id')
    .execute();
  // The pin goes with the first wave; a newer exec of the job may re-pin before later waves (they then skip, 124).
  if (due.wave === 0 && due.kind === 'job') await deps.pins.put(due.job_id, due.version);
  const recorded = JSON.parse(due.command) as ExecCommand;
  const command: ExecCommand = {
    ...recorded,
    ...(due.deadline_at === null ? {} : { deadline_at: due.deadline_at }),
  };
  const token = commandToken(due.job_id, due.kind === 'adhoc' ? 'adhoc' : 'job', due.exec_id);
  const subjects = pcs.map(({ pc_id }) => commandSubject({ kind: 'pc', pc: pc_id }, token));
  await publishCommand(deps, command, subjects);
  await recordOnExec(deps, `dispatch:${due.exec_id}:${due.wave}`, {
    type: 'DispatchWave',
    data: { exec_id: due.exec_id, wave: due.wave },
  });
  deps.log.info('wave dispatched', { exec_id: due.exec_id, wave: due.wave, pcs: subjects.length });
};
