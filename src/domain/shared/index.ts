export { canonicalJson } from './canonical.ts';
export { formatDuration, normalizeDuration, parseDuration } from './duration.ts';
export type { DomainErrorCode } from './errors.ts';
export { DomainError } from './errors.ts';
export { isJobId, JOB_ID_PATTERN } from './ids.ts';
export type { Issue, Parsed } from './issues.ts';
export { formatIssue } from './issues.ts';
export type { DomainCommand, DomainEvent } from './messages.ts';
export { unreachable } from './unreachable.ts';
