import { VersionNotBumped } from '../../domain/jobs/index.ts';
import { DomainError, type Issue } from '../../domain/shared/index.ts';
import { domainProblem, type Problem } from '../problem.ts';
import { CatalogPartiallyApplied, CatalogRejected } from './manifestCatalog.ts';

/** Problems of catalog requests that span many manifests (jobs, schedules); undefined for any other error. */
export const catalogProblem = (error: unknown): Problem | undefined => {
  if (error instanceof CatalogRejected) return rejected(error);
  if (error instanceof CatalogPartiallyApplied) return partiallyApplied(error);
  return undefined;
};

const rejected = (error: CatalogRejected): Problem => {
  const first = error.errors[0];
  const base = first === undefined ? undefined : domainProblem(first.error);
  return {
    type: base?.type ?? '/problems/catalog-rejected',
    title: 'nothing was applied: some manifests break catalog rules',
    status: base?.status ?? 409,
    detail: error.message,
    issues: error.errors.flatMap(({ index, error: e }): Issue[] => {
      const at = index === undefined ? {} : { document: index };
      return e instanceof VersionNotBumped
        ? e.changed.map((path) => ({ ...at, path, message: `changed without a version bump (${e.jobId})` }))
        : [{ ...at, path: 'id', message: e.message }];
    }),
  };
};

// Some changes went through: say which, and why the rest did not (a concurrent change, or the broker).
const partiallyApplied = (error: CatalogPartiallyApplied): Problem => {
  const conflict = error.cause instanceof DomainError ? error.cause : undefined;
  return {
    type: '/problems/partially-applied',
    title:
      conflict === undefined
        ? 'the event store failed midway; apply the same manifests again to finish'
        : 'the catalog changed while this request was applied; some changes went through',
    status: conflict === undefined ? 503 : 409,
    ...(conflict === undefined ? { retryAfter: 2 } : { detail: conflict.message }),
    extensions: { applied: error.applied, not_applied: error.pending },
  };
};
