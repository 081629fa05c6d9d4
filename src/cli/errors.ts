import type { Issue } from '../domain/shared/index.ts';

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
  /** Rejections of what the user sent count as invalid input (exit 2); the rest are failures (exit 1). */
  get isInvalidInput(): boolean {
    return [400, 409, 413, 415, 422].includes(this.status);
  }
}
