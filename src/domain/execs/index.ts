export type { CommandOptions, ExecCommand, WireStaleness } from './command.ts';
export { buildCommand } from './command.ts';
export type { ExecAggregateCommand, ExecState, MarkDispatched, RequestExec, RequestKill } from './decider.ts';
export { ExecNotFound, execDecider } from './decider.ts';
export type { ExecDispatched, ExecEvent, ExecKind, ExecRequested, KillRequested } from './events.ts';
export { execStreamName } from './events.ts';
export type { CommandAddress, KnownAgent, Resolution, Target } from './target.ts';
export { addressesOf, isEmptyTarget, normalizeTarget, resolveTarget } from './target.ts';
