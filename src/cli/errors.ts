import type { Issue } from '../domain/shared/index.ts';

/**
 * The exit codes, one rule for every command: 0 only when everything asked for was done (with
 * `--wait`: every targeted PC succeeded); 1 when work failed (a PC failed, was skipped, killed, timed
 * out or lost; the API or broker failed or could not be reached); 2 for usage errors and input the
 * server rejected as invalid; 3 when the server refused in its current state (the fleet is halted, a
 * conflict, no permission, a bad token).
 */
export const EXIT = { ok: 0, failed: 1, usage: 2, refused: 3 } as const;

/** Wrong usage or invalid input: exit code 2. */
export class UsageError extends Error {
  readonly issues: readonly Issue[];
  constructor(message: string, issues: readonly Issue[] = []) {
    super(message);
    this.name = 'UsageError';
    this.issues = issues;
  }
}

/** The API answered with a problem document. */
export class ApiProblem extends Error {
  readonly status: number;
  readonly type: string;
  readonly issues: readonly Issue[];
  readonly body: Record<string, unknown>;
  constructor(status: number, body: Record<string, unknown>) {
    super(typeof body.title === 'string' ? body.title : `HTTP ${status}`);
    this.name = 'ApiProblem';
    this.status = status;
    this.type = typeof body.type === 'string' ? body.type : 'about:blank';
    this.issues = Array.isArray(body.issues) ? (body.issues as Issue[]) : [];
    this.body = body;
  }
}

// Conflicts that are the input's fault (fix the manifest) or the moment's (try again), not a refusal.
const INVALID_CONFLICTS = ['/problems/version-not-bumped'];
const FAILED_CONFLICTS = ['/problems/partially-applied', '/problems/concurrent-change'];

/** The exit code an error means (see `EXIT`). */
export const exitCodeOf = (error: unknown): number => {
  if (error instanceof UsageError) return EXIT.usage;
  if (!(error instanceof ApiProblem)) return EXIT.failed;
  if (INVALID_CONFLICTS.includes(error.type)) return EXIT.usage;
  if (FAILED_CONFLICTS.includes(error.type)) return EXIT.failed;
  if ([401, 403, 409].includes(error.status)) return EXIT.refused;
  if ([400, 404, 413, 415, 422].includes(error.status)) return EXIT.usage;
  return EXIT.failed;
};
