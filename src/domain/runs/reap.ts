import type { DomainCommand, DomainEvent } from '../shared/messages.ts';
import type { RunEvent, RunIdentity } from './events.ts';

/**
 * The server gave up waiting for a run's result (its agent never reported within the command's
 * timeout and a grace period). A real RunFinished arriving later still wins over it (kanade #332).
 */
export type RunReaped = DomainEvent<'RunReaped', RunIdentity & { reason: string }>;

/** Reap a run that has started and has no result. */
export type ReapRun = DomainCommand<'ReapRun', RunIdentity & { reason: string }>;

type RunState = { started: boolean; finished: boolean; reaped: boolean };

/** The run decider: agents append RunStarted/RunFinished directly; the server only ever reaps. */
export const runDecider = {
  initialState: (): RunState => ({ started: false, finished: false, reaped: false }),
  evolve: (state: RunState, event: RunEvent | RunReaped): RunState => {
    switch (event.type) {
      case 'RunStarted':
        return { ...state, started: true };
      case 'RunFinished':
        return { ...state, finished: true };
      case 'RunReaped':
        return { ...state, reaped: true };
      default:
        return state;
    }
  },
  decide: (command: ReapRun, state: RunState): (RunEvent | RunReaped)[] =>
    state.started && !state.finished && !state.reaped ? [{ type: 'RunReaped', data: command.data }] : [],
};
