export type { OutputRef, RunEvent, RunFinished, RunIdentity, RunStarted } from './events.ts';
export { runStreamName } from './events.ts';
export type { GateDecision, GateInput } from './gates.ts';
export { gate } from './gates.ts';
export type { Outcome } from './outcome.ts';
export { EXIT, OUTCOMES, outcomeOf, outcomeWords } from './outcome.ts';
export type { ReapRun, RunReaped } from './reap.ts';
export { runDecider } from './reap.ts';
