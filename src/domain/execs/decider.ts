import { DomainError } from '../shared/errors.ts';
import type { DomainCommand } from '../shared/messages.ts';
import { unreachable } from '../shared/unreachable.ts';
import type { ExecEvent, ExecRequested } from './events.ts';

/** When one wave is due, and the starting deadline of its command. */
export type WaveTime = { due_at: string; deadline_at?: string };

/** Record an exec request (idempotent for the same exec id); `wave_times` gives each wave its time. */
export type RequestExec = DomainCommand<
  'RequestExec',
  Omit<ExecRequested['data'], 'target_count'> & { wave_times?: WaveTime[] }
>;
/** Record that the (plain) command went out. */
export type MarkDispatched = DomainCommand<'MarkDispatched', { exec_id: string; subjects: string[] }>;
/** Let the next wave go out (its gate passed or was waived). */
export type ReleaseWave = DomainCommand<'ReleaseWave', { exec_id: string; wave: number; deadline_at?: string }>;
/** Record that one released wave went out. */
export type DispatchWave = DomainCommand<'DispatchWave', { exec_id: string; wave: number }>;
/** Stop a rollout before `wave` (its gate broke). */
export type HaltExec = DomainCommand<'HaltExec', { exec_id: string; wave: number; reason: string }>;
/** Let a halted rollout go on. */
export type ResumeExec = DomainCommand<'ResumeExec', { exec_id: string }>;
/** Stop a rollout for good. */
export type AbortExec = DomainCommand<'AbortExec', { exec_id: string; reason?: string }>;
/** Ask for the exec to be killed. */
export type RequestKill = DomainCommand<'RequestKill', { exec_id: string; reason?: string }>;
/** Every command of the exec aggregate. */
export type ExecAggregateCommand =
  | RequestExec
  | MarkDispatched
  | ReleaseWave
  | DispatchWave
  | HaltExec
  | ResumeExec
  | AbortExec
  | RequestKill;

/** What is known of one exec id. */
export type ExecState =
  | { status: 'absent' }
  | {
      status: 'requested';
      job_id: string;
      dispatched: boolean;
      killed: boolean;
      aborted: boolean;
      /** The wave a gate stopped the rollout before, while halted. */
      haltedAt: number | undefined;
      /** The wave an operator let go without its gate (by resuming). */
      waived: number | undefined;
      /** Per wave, in order (empty without a rollout). */
      waves: WaveState[];
    };

/** Where one wave is: waiting for its time (and gate), released (decided, being published), or sent. */
export type WaveState = { step: 'pending' } | { step: 'released'; deadline_at?: string } | { step: 'dispatched' };

/** The exec id is unknown. */
export class ExecNotFound extends DomainError {
  readonly code = 'exec-not-found';
  constructor(execId: string) {
    super(`no exec ${execId}`);
    this.name = 'ExecNotFound';
  }
}

/** Resume was asked of an exec that is not halted. */
export class ExecNotHalted extends DomainError {
  readonly code = 'exec-not-halted';
  constructor(execId: string) {
    super(`exec ${execId} is not halted`);
    this.name = 'ExecNotHalted';
  }
}

const initialState = (): ExecState => ({ status: 'absent' });

const evolve = (state: ExecState, event: ExecEvent): ExecState => {
  if (event.type === 'ExecRequested') {
    const waves = (event.data.rollout?.waves ?? []).map((): WaveState => ({ step: 'pending' }));
    return {
      status: 'requested',
      job_id: event.data.job_id,
      dispatched: false,
      killed: false,
      aborted: false,
      haltedAt: undefined,
      waived: undefined,
      waves,
    };
  }
  if (state.status !== 'requested') return state;
  switch (event.type) {
    case 'WaveScheduled':
      return state;
    case 'ExecDispatched':
      return { ...state, dispatched: true };
    case 'WaveReleased': {
      const { wave, deadline_at } = event.data;
      const released: WaveState = deadline_at === undefined ? { step: 'released' } : { step: 'released', deadline_at };
      return { ...state, waves: state.waves.map((w, i) => (i === wave ? released : w)) };
    }
    case 'WaveDispatched':
      return {
        ...state,
        waves: state.waves.map((w, i): WaveState => (i === event.data.wave ? { step: 'dispatched' } : w)),
      };
    case 'ExecHalted':
      return { ...state, haltedAt: event.data.wave };
    case 'ExecResumed':
      return { ...state, haltedAt: undefined, waived: event.data.wave };
    case 'ExecAborted':
      return { ...state, aborted: true };
    case 'KillRequested':
      return { ...state, killed: true };
    default:
      return unreachable(event);
  }
};

type Requested = Extract<ExecState, { status: 'requested' }>;

const live = (s: Requested) => !s.killed && !s.aborted && s.haltedAt === undefined;

/** The first wave not sent yet, when the rollout is live (not halted, aborted or killed). */
const nextIndex = (s: Requested): number | undefined => {
  const next = s.waves.findIndex((w) => w.step !== 'dispatched');
  return next >= 0 && live(s) ? next : undefined;
};

/** The wave that goes out next, and where it is, or undefined (none left, or the rollout is halted, aborted or killed). */
export const nextWave = (state: ExecState): { wave: number; state: WaveState } | undefined => {
  if (state.status !== 'requested') return undefined;
  const wave = nextIndex(state);
  const w = wave === undefined ? undefined : state.waves[wave];
  return wave === undefined || w === undefined ? undefined : { wave, state: w };
};

const isNext = (s: Requested, wave: number, step: WaveState['step']) =>
  nextIndex(s) === wave && s.waves[wave]?.step === step;

const requested = (id: string, state: ExecState): Requested => {
  if (state.status === 'absent') throw new ExecNotFound(id);
  return state;
};

const decide = (command: ExecAggregateCommand, state: ExecState): ExecEvent[] => {
  switch (command.type) {
    case 'RequestExec':
      return state.status === 'absent' ? requestExec(command) : [];
    case 'MarkDispatched': {
      const s = requested(command.data.exec_id, state);
      return s.dispatched || s.killed || s.aborted ? [] : [{ type: 'ExecDispatched', data: command.data }];
    }
    case 'ReleaseWave': {
      const s = requested(command.data.exec_id, state);
      return isNext(s, command.data.wave, 'pending') ? [{ type: 'WaveReleased', data: command.data }] : [];
    }
    case 'DispatchWave': {
      const s = requested(command.data.exec_id, state);
      return isNext(s, command.data.wave, 'released') ? [{ type: 'WaveDispatched', data: command.data }] : [];
    }
    case 'HaltExec': {
      const s = requested(command.data.exec_id, state);
      return isNext(s, command.data.wave, 'pending') ? [{ type: 'ExecHalted', data: command.data }] : [];
    }
    case 'ResumeExec': {
      const s = requested(command.data.exec_id, state);
      if (s.haltedAt === undefined || s.killed || s.aborted) throw new ExecNotHalted(command.data.exec_id);
      return [{ type: 'ExecResumed', data: { exec_id: command.data.exec_id, wave: s.haltedAt } }];
    }
    case 'AbortExec': {
      const s = requested(command.data.exec_id, state);
      const undispatched = s.waves.some((w) => w.step !== 'dispatched');
      return s.aborted || s.killed || !undispatched ? [] : [{ type: 'ExecAborted', data: command.data }];
    }
    case 'RequestKill': {
      const s = requested(command.data.exec_id, state);
      return s.killed ? [] : [{ type: 'KillRequested', data: command.data }];
    }
    default:
      return unreachable(command);
  }
};

const requestExec = ({ data }: RequestExec): ExecEvent[] => {
  const { wave_times, ...request } = data;
  const waves = request.rollout?.waves ?? [];
  if (waves.length !== (wave_times ?? []).length)
    throw new Error(`a rollout of ${waves.length} waves needs as many due times`);
  const scheduled = waves.map(
    (w, wave): ExecEvent => ({
      type: 'WaveScheduled',
      data: {
        exec_id: request.exec_id,
        wave,
        group: w.group,
        target_count: w.target_count,
        ...(wave_times?.[wave] as WaveTime),
      },
    }),
  );
  return [{ type: 'ExecRequested', data: { ...request, target_count: request.pcs.length } }, ...scheduled];
};

/** The exec decider (Emmett's Decider shape). */
export const execDecider = { decide, evolve, initialState };
