import { isExpectedVersionConflictError } from '@event-driven-io/emmett';
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { ReadModelsBehind } from '../app/readModels.ts';
import { DomainError, type DomainErrorCode, type Issue } from '../domain/shared/index.ts';
import { ReadModelsNotReady, StreamMismatch } from '../projections/index.ts';
import { RequestRejected } from './errors.ts';

/** An RFC 9457 problem document; `issues` lists every problem with the input, with its path. */
export type Problem = {
  type: string;
  title: string;
  status: ContentfulStatusCode;
  detail?: string;
  issues?: readonly Issue[];
  retryAfter?: number;
  /** Extension members (RFC 9457 §3.2), e.g. what a partly applied request did apply. */
  extensions?: Record<string, unknown>;
};

// The one place where domain error codes meet HTTP statuses.
const STATUS_OF: Record<DomainErrorCode, ContentfulStatusCode> = {
  'job-not-found': 404,
  'version-not-bumped': 409,
  'invalid-input': 422,
  'agent-not-found': 404,
  'agent-not-pending': 409,
  'agent-terminated': 409,
  'enrollment-refused': 403,
  'enrollment-busy': 409,
  'enrollment-token-not-found': 404,
  'exec-not-found': 404,
  'exec-not-halted': 409,
  'schedule-not-found': 404,
  'fleet-halted': 409,
  'unknown-pc': 422,
  'unknown-group': 422,
  'target-offline': 422,
  'rollout-cannot-succeed': 422,
  'job-in-use': 409,
  'user-not-found': 404,
  'user-exists': 409,
  'api-token-not-found': 404,
  'role-above-owner': 422,
  'approval-by-requester': 403,
  'already-approved': 409,
  'not-awaiting-approval': 409,
  'config-layer-not-found': 404,
};

const typeOf = (code: string) => `/problems/${code}`;

/** Maps anything thrown while handling a request to a problem; unknown errors become a bare 500. */
export const toProblem = (error: unknown): Problem => {
  if (error instanceof RequestRejected) {
    return { type: typeOf(error.code), title: error.message, status: error.status, ...issuesOf(error.issues) };
  }
  if (error instanceof DomainError) return domainProblem(error);
  if (error instanceof ReadModelsNotReady) {
    return { type: typeOf('read-models-building'), title: error.message, status: 503, retryAfter: 2 };
  }
  if (error instanceof StreamMismatch) {
    return {
      type: typeOf('stream-mismatch'),
      title: 'the read models belong to another history of the event stream; nothing is served or written',
      status: 503,
      detail: error.message,
    };
  }
  if (error instanceof ReadModelsBehind) {
    return { type: typeOf('read-models-behind'), title: error.message, status: 503, retryAfter: 1 };
  }
  if (isExpectedVersionConflictError(error)) {
    return {
      type: typeOf('concurrent-change'),
      title: 'another change to the same item won the race; retry',
      status: 409,
    };
  }
  if (error instanceof HTTPException) {
    return { type: 'about:blank', title: error.message || 'HTTP error', status: error.status as ContentfulStatusCode };
  }
  if (isBrokerError(error)) {
    return {
      type: typeOf('event-store-unavailable'),
      title: 'the event store (NATS JetStream) is not reachable',
      status: 503,
      retryAfter: 2,
    };
  }
  return { type: 'about:blank', title: 'Internal Server Error', status: 500 };
};

/** Problem for one domain error. */
export const domainProblem = (error: DomainError): Problem => ({
  type: typeOf(error.code),
  title: error.message,
  status: STATUS_OF[error.code],
  ...issuesOf(error.issues),
});

/** Sends a problem as `application/problem+json`. */
export const problemResponse = (c: Context, problem: Problem): Response => {
  const { retryAfter, extensions, ...body } = problem;
  const headers: Record<string, string> = { 'Content-Type': 'application/problem+json' };
  if (retryAfter !== undefined) headers['Retry-After'] = String(retryAfter);
  return c.body(JSON.stringify({ ...body, ...extensions, instance: c.req.path }), problem.status, headers);
};

const issuesOf = (issues: readonly Issue[]) => (issues.length === 0 ? {} : { issues });

const isBrokerError = (error: unknown): boolean => {
  const name = error instanceof Error ? error.name : '';
  return ['TimeoutError', 'RequestError', 'ClosedConnectionError', 'NoRespondersError', 'JetStreamNotEnabled'].includes(
    name,
  );
};
