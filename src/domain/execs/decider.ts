import { DomainError } from '../shared/errors.ts';
import type { DomainCommand } from '../shared/messages.ts';
import { unreachable } from '../shared/unreachable.ts';
import type { ExecEvent, ExecRequested } from './events.ts';

/** Record an exec request (idempotent for the same exec id). */
export type RequestExec = DomainCommand<'RequestExec', Omit<ExecRequested['data'], 'target_count'>>;
/** Record that the command went out. */
export type MarkDispatched = DomainCommand<'MarkDispatched', { exec_id: string; subjects: string[] }>;
/** Ask for the exec to be killed. */
export type RequestKill = DomainCommand<'RequestKill', { exec_id: string; reason?: string }>;
/** Every command of the exec aggregate. */
export type ExecAggregateCommand = RequestExec | MarkDispatched | RequestKill;

/** What is known of one exec id. */
export type ExecState =
  | { status: 'absent' }
  | { status: 'requested'; dispatched: boolean; killed: boolean; job_id: string };

/** The exec id is unknown. */
export class ExecNotFound extends DomainError {
  readonly code = 'exec-not-found';
  constructor(execId: string) {
    super(`no exec ${execId}`);
    this.name = 'ExecNotFound';
  }
}

const initialState = (): ExecState => ({ status: 'absent' });

const evolve = (state: ExecState, event: ExecEvent): ExecState => {
  switch (event.type) {
    case 'ExecRequested':
      return { status: 'requested', dispatched: false, killed: false, job_id: event.data.job_id };
    case 'ExecDispatched':
      return state.status === 'requested' ? { ...state, dispatched: true } : state;
    case 'KillRequested':
      return state.status === 'requested' ? { ...state, killed: true } : state;
    default:
      return unreachable(event);
  }
};

const decide = (command: ExecAggregateCommand, state: ExecState): ExecEvent[] => {
  switch (command.type) {
    case 'RequestExec':
      return state.status === 'absent'
        ? [{ type: 'ExecRequested', data: { ...command.data, target_count: command.data.pcs.length } }]
        : [];
    case 'MarkDispatched':
      if (state.status === 'absent') throw new ExecNotFound(command.data.exec_id);
      return state.dispatched || state.killed ? [] : [{ type: 'ExecDispatched', data: command.data }];
    case 'RequestKill':
      if (state.status === 'absent') throw new ExecNotFound(command.data.exec_id);
      return state.killed ? [] : [{ type: 'KillRequested', data: command.data }];
    default:
      return unreachable(command);
  }
};

/** The exec decider (Emmett's Decider shape). */
export const execDecider = { decide, evolve, initialState };
