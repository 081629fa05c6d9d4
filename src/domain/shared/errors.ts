import type { Issue } from './issues.ts';

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
  | 'fleet-halted'
  | 'unknown-pc'
  | 'unknown-group'
  | 'target-offline'
  | 'rollout-cannot-succeed'
  | 'job-in-use'
  | 'user-not-found'
  | 'user-exists'
  | 'api-token-not-found'
  | 'role-above-owner'
  | 'approval-by-requester'
  | 'already-approved'
  | 'not-awaiting-approval'
  | 'config-layer-not-found';

/** A broken business rule. Carries a stable string code, never an HTTP status. */
export abstract class DomainError extends Error {
  abstract readonly code: DomainErrorCode;
  /** Every problem with the input, with its path, when the rule is about input (empty otherwise). */
  readonly issues: readonly Issue[];
  constructor(message: string, issues: readonly Issue[] = []) {
    super(message);
    this.issues = issues;
  }
}
