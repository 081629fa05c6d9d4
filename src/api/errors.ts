import type { Issue } from '../domain/shared/index.ts';

/** A request the API refuses at its edge (before any command): bad body, bad query, unknown route. */
export class RequestRejected extends Error {
  readonly status: 400 | 403 | 404 | 409 | 413 | 415 | 422 | 504;
  readonly code: string;
  readonly issues: readonly Issue[];
  constructor(status: RequestRejected['status'], code: string, message: string, issues: readonly Issue[] = []) {
    super(message);
    this.name = 'RequestRejected';
    this.status = status;
    this.code = code;
    this.issues = issues;
  }
}
