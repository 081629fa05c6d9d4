export type { CommandOptions, ExecCommand, WireStaleness } from './command.ts';
export { buildCommand } from './command.ts';
export type {
  AbortExec,
  ApprovalState,
  ApproveExec,
  DispatchWave,
  ExecAggregateCommand,
  ExecRequestData,
  ExecState,
  ExpireApproval,
  HaltExec,
  MarkDispatched,
  RecordRequestPart,
  RejectExec,
  ReleaseWave,
  RequestExec,
  RequestKill,
  ResumeExec,
  WaveState,
  WaveTime,
} from './decider.ts';
export {
  AlreadyApproved,
  ApprovalByRequester,
  ExecNotFound,
  ExecNotHalted,
  execDecider,
  execRequestedData,
  heldForApproval,
  joinRequestParts,
  NotAwaitingApproval,
  nextWave,
  withRequestPart,
} from './decider.ts';
export {
  NoAgentMatches,
  RolloutCannotSucceed,
  SelectorInvalid,
  TargetOffline,
  UnknownGroup,
  UnknownPc,
} from './errors.ts';
export type {
  ApprovalRequest,
  ExecAborted,
  ExecApprovalExpired,
  ExecApproved,
  ExecDispatched,
  ExecEvent,
  ExecHalted,
  ExecKind,
  ExecRejected,
  ExecRequested,
  ExecRequestedInParts,
  ExecRequestPart,
  ExecResumed,
  KillRequested,
  Rollout,
  Wave,
  WaveDispatched,
  WaveGate,
  WaveReleased,
  WaveScheduled,
  WaveWhere,
} from './events.ts';
export { execStreamName } from './events.ts';
export type {
  FactsOf,
  GateVerdict,
  RolloutSpec,
  WaveInput,
  WavePlan,
  WaveProgress,
  WaveSpec,
} from './rollout.ts';
export { judgeGate, planRollout, waveChooser, waveLabel, wavePlanOf } from './rollout.ts';
export type { CommandAddress, KnownAgent, NamedGroup, Resolution, Target } from './target.ts';
export {
  addressesOf,
  isEmptyTarget,
  namedGroups,
  normalizeTarget,
  resolveTarget,
  unknownGroupIssues,
} from './target.ts';
