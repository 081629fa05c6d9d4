import { VersionNotBumped } from '../../domain/jobs/index.ts';
import type { Issue } from '../../domain/shared/index.ts';
import { domainProblem, type Problem } from '../problem.ts';
import { CatalogPartiallyApplied, CatalogRejected } from './catalog.ts';

/** Problems of catalog requests that span many jobs; undefined for any other error. */
export const catalogProblem = (error: unknown): Problem | undefined => {
  if (error instanceof CatalogRejected) {
    const first = error.errors[0];
    const base = first === undefined ? undefined : domainProblem(first.error);
    return {
      type: base?.type ?? '/problems/catalog-rejected',
      title: 'nothing was applied: some manifests break catalog rules',
      status: base?.status ?? 409,
      detail: error.message,
      issues: error.errors.flatMap(({ index, error: e }): Issue[] =>
        e instanceof VersionNotBumped
          ? e.changed.map((path) => ({ document: index, path, message: `changed without a version bump (${e.jobId})` }))
          : [{ document: index, path: 'id', message: e.message }],
      ),
    };
  }
  if (error instanceof CatalogPartiallyApplied) {
    return {
      type: '/problems/partially-applied',
      title: 'the event store failed midway; apply the same manifests again to finish',
      status: 503,
      retryAfter: 2,
      extensions: { applied: error.applied, not_applied: error.pending },
    };
  }
  return undefined;
};
