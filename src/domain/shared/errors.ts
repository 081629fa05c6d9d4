/** Every domain error code; `src/api/problem.ts` maps them to HTTP statuses. */
export type DomainErrorCode =
  | 'job-not-found'
  | 'version-not-bumped'
  | 'invalid-input'
  | 'agent-not-found'
  | 'agent-not-pending'
  | 'agent-terminated'
  | 'enrollment-refused'
  | 'enrollment-busy'
  | 'enrollment-token-not-found'
  | 'exec-not-found'
  | 'exec-not-halted'
  | 'schedule-not-found'
  | 'fleet-halted';

/** A broken business rule. Carries a stable string code, never an HTTP status. */
export abstract class DomainError extends Error {
  abstract readonly code: DomainErrorCode;
}
