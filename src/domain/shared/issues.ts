/** One problem found in user input: where it is (path, and line/column for YAML) and what is wrong. */
export type Issue = {
  readonly path: string;
  readonly message: string;
  readonly document?: number;
  readonly line?: number;
  readonly column?: number;
  readonly source?: string;
};

/** The outcome of parsing input at an edge: a typed value, or every issue found. */
export type Parsed<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly issues: Issue[] };

/** Formats an issue the way compilers do: `source:line:column: path: message`. */
export const formatIssue = (issue: Issue): string => {
  const where = [issue.source, issue.line, issue.column].filter((x) => x !== undefined).join(':');
  const doc = issue.document !== undefined && issue.document > 0 ? ` (document ${issue.document + 1})` : '';
  const path = issue.path === '' ? '' : `${issue.path}: `;
  return `${where === '' ? '' : `${where}: `}${path}${issue.message}${doc}`;
};
