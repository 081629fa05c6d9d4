export type { CommandOptions, ExecCommand, WireStaleness } from './command.ts';
export { buildCommand } from './command.ts';
export type {
  AbortExec,
  DispatchWave,
  ExecAggregateCommand,
  ExecState,
  HaltExec,
  MarkDispatched,
  ReleaseWave,
  RequestExec,
  RequestKill,
  ResumeExec,
  WaveState,
  WaveTime,
} from './decider.ts';
export { ExecNotFound, ExecNotHalted, execDecider, nextWave } from './decider.ts';
export type {
  ExecAborted,
  ExecDispatched,
  ExecEvent,
  ExecHalted,
  ExecKind,
  ExecRequested,
  ExecResumed,
  KillRequested,
  Rollout,
  Wave,
  WaveDispatched,
  WaveGate,
  WaveReleased,
  WaveScheduled,
} from './events.ts';
export { execStreamName } from './events.ts';
export type { GateVerdict, RolloutSpec, WavePlan, WaveProgress } from './rollout.ts';
export { judgeGate, planRollout } from './rollout.ts';
export type { CommandAddress, KnownAgent, NamedGroup, Resolution, Target } from './target.ts';
export {
  addressesOf,
  isEmptyTarget,
  namedGroups,
  normalizeTarget,
  resolveTarget,
  unknownGroupIssues,
} from './target.ts';
