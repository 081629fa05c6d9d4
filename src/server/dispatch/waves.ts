import type { Kysely } from 'kysely';
import { type ExecCommand, type ExecRequested, judgeGate, nextWave, type WaveGate } from '../../domain/execs/index.ts';
import { EVENTS_STREAM } from '../../infra/nats/streams.ts';
import { commandSubject, commandToken } from '../../infra/nats/subjects.ts';
import type { ReadModels } from '../../projections/index.ts';
import { NotYet } from '../loopHealth.ts';
import { type DispatchDeps, execState, pin, publishCommand, recordOnExec, timeDispatch } from './deps.ts';

const BATCH = 100;
// The gate reads the previous wave's results: the read models must have seen what the stream holds.
const GATE_CATCH_UP_MS = 10_000;

/** A wave the dispatcher works on, with what it needs of its exec. */
export type DueWave = { exec_id: string; wave: number; due_at: string; deadline_at: string | null };

// The waves that are next in a live rollout: the first, or one whose previous wave went out. Waves
// behind a halted, aborted or killed rollout never show up here (they would be re-read every tick).
const nextWaves = (db: Kysely<ReadModels>) =>
  db
    .selectFrom('exec_waves as w')
    .innerJoin('executions as e', 'e.exec_id', 'w.exec_id')
    .leftJoin('exec_waves as p', (join) =>
      join.onRef('p.exec_id', '=', 'w.exec_id').on((eb) => eb('p.wave', '=', eb('w.wave', '-', 1))),
    )
    .where('e.halted_at', 'is', null)
    .where('e.aborted_at', 'is', null)
    .where('e.kill_requested_at', 'is', null)
    .where((eb) => eb.or([eb('w.wave', '=', 0), eb('p.status', '=', 'dispatched')]));

/**
 * Dispatches the waves that are due, in order, each once, in two recorded steps: the gate between
 * waves is judged when a wave is due, on the previous wave's finished results (unless an operator
 * waived it by resuming), and the verdict is appended first — WaveReleased, or ExecHalted with the
 * reason — so no server, before or after a crash, can decide otherwise; then the released wave is
 * published and WaveDispatched recorded. Everything comes from events (WaveScheduled carries the due
 * time), so a restarted server picks up where it stopped, on time.
 */
export const dispatchDueWaves = async (
  deps: DispatchDeps,
  isStopped: () => boolean,
  isolated: (item: string, work: () => Promise<void>) => Promise<void> = (_item, work) => work(),
) => {
  const due = await dueWaves(deps.readModels.db(), deps.now(), deps.views.position());
  for (const wave of due) {
    if (isStopped()) return;
    await isolated(`exec ${wave.exec_id} wave ${wave.wave}`, () => dispatchWave(deps, wave));
  }
};

/** Waves to work on now: due and next in a live rollout, or released and not published yet. */
export const dueWaves = (db: Kysely<ReadModels>, now: Date, viewsPosition: number): Promise<DueWave[]> =>
  nextWaves(db)
    .select(['w.exec_id', 'w.wave', 'w.due_at', 'w.deadline_at'])
    .where((eb) =>
      eb.or([
        eb.and([eb('w.status', '=', 'scheduled'), eb('w.due_at', '<=', now.toISOString())]),
        eb('w.status', '=', 'released'),
      ]),
    )
    .where('e.seq', '<=', viewsPosition)
    .orderBy('w.due_at')
    .limit(BATCH)
    .execute();

/** When the next wave of a live rollout falls due, if that is still ahead (to wake up for it). */
export const nextDueAt = async (db: Kysely<ReadModels>, now: Date): Promise<string | undefined> => {
  const row = await nextWaves(db)
    .select((eb) => eb.fn.min('w.due_at').as('due_at'))
    .where('w.status', '=', 'scheduled')
    .where('w.due_at', '>', now.toISOString())
    .executeTakeFirst();
  return row?.due_at ?? undefined;
};

const dispatchWave = async (deps: DispatchDeps, due: DueWave) => {
  const state = await execState(deps, due.exec_id);
  let next = nextWave(state);
  if (next?.wave !== due.wave || state.status !== 'requested') return;
  if (next.state.step === 'pending') {
    const waived = state.waived === due.wave;
    const gate = state.request.rollout?.gate;
    if (due.wave > 0 && !waived && gate !== undefined) {
      const breach = await judge(deps, due, gate);
      if (breach !== undefined) {
        await recordOnExec(deps, `halt:${due.exec_id}:${due.wave}`, {
          type: 'HaltExec',
          data: { exec_id: due.exec_id, wave: due.wave, reason: breach },
        });
        deps.log.warn('rollout halted', { exec_id: due.exec_id, wave: due.wave, reason: breach });
        return;
      }
    }
    const deadline = shiftedDeadline(due, deps.now());
    const released = await recordOnExec(deps, `release:${due.exec_id}:${due.wave}`, {
      type: 'ReleaseWave',
      data: { exec_id: due.exec_id, wave: due.wave, ...(deadline === undefined ? {} : { deadline_at: deadline }) },
    });
    next = nextWave(released.state);
    if (next?.wave !== due.wave) return;
  }
  if (next.state.step !== 'released') return;
  await publishWave(deps, due, state.request, next.state.deadline_at);
};

// The gate's verdict on the previous wave, once the read models hold every result recorded so far.
const judge = async (deps: DispatchDeps, due: DueWave, gate: WaveGate): Promise<string | undefined> => {
  const head = (await deps.jsm.streams.info(EVENTS_STREAM)).state.last_seq;
  if (!(await deps.readModels.waitFor(head, GATE_CATCH_UP_MS)))
    throw new NotYet('read models are behind the event stream; the gate waits for them');
  const previous = await deps.readModels
    .db()
    .selectFrom('exec_waves')
    .select(['target_count', 'succeeded', 'failed', 'skipped'])
    .where('exec_id', '=', due.exec_id)
    .where('wave', '=', due.wave - 1)
    .executeTakeFirstOrThrow();
  const verdict = judgeGate(gate, previous, due.wave - 1);
  return verdict.pass ? undefined : verdict.reason;
};

// A wave that goes out late (after a halt or an emergency stop) keeps its whole starting window.
const shiftedDeadline = (due: DueWave, now: Date): string | undefined => {
  if (due.deadline_at === null) return undefined;
  const late = Math.max(0, now.getTime() - Date.parse(due.due_at));
  return new Date(Date.parse(due.deadline_at) + late).toISOString();
};

// A wave goes to each of its PCs (not to its group: members of earlier waves are not in it).
const publishWave = async (
  deps: DispatchDeps,
  due: DueWave,
  request: ExecRequested['data'],
  deadline: string | undefined,
) => {
  const { kind, job_id, version } = request;
  const pcs = request.rollout?.waves[due.wave]?.pcs ?? [];
  // The pin goes with the first wave; a newer exec of the job may re-pin before later waves (they then skip, 124).
  if (due.wave === 0 && kind === 'job') await pin(deps, job_id, version);
  const command: ExecCommand = { ...request.command, ...(deadline === undefined ? {} : { deadline_at: deadline }) };
  const token = commandToken(job_id, kind === 'adhoc' ? 'adhoc' : 'job', due.exec_id);
  const subjects = pcs.map((pc) => commandSubject({ kind: 'pc', pc }, token));
  await publishCommand(deps, command, subjects);
  timeDispatch(deps, 'wave', due.due_at);
  await recordOnExec(deps, `dispatch:${due.exec_id}:${due.wave}`, {
    type: 'DispatchWave',
    data: { exec_id: due.exec_id, wave: due.wave },
  });
  deps.log.info('wave dispatched', { exec_id: due.exec_id, wave: due.wave, pcs: subjects.length });
};
