import type { Issue } from '../shared/index.ts';

/** A value a selector compares with: a string, a finite number, or a boolean. */
export type Scalar = string | number | boolean;

/** One step into the facts: a property name, or an index into a list. */
export type Segment = string | number;

/**
 * Where a field is read from: the agent's id, its groups, or a path into its facts (`os.family` is
 * `{ root: 'facts', segments: ['os', 'family'] }`).
 */
export type FieldPath = { readonly root: 'pc_id' | 'groups' | 'facts'; readonly segments: readonly Segment[] };

/** The comparison operators; the ordering ones compare numbers only. */
export type CompareOp = '==' | '!=' | '<' | '<=' | '>' | '>=';

/**
 * One test of one field. `"lab" in groups` is recorded as `groups contains "lab"`: one meaning, one
 * form.
 */
export type Comparison =
  | { readonly kind: 'compare'; readonly field: FieldPath; readonly op: CompareOp; readonly value: Scalar }
  | { readonly kind: 'in'; readonly field: FieldPath; readonly values: readonly Scalar[] }
  | { readonly kind: 'contains'; readonly field: FieldPath; readonly value: Scalar }
  | { readonly kind: 'startswith'; readonly field: FieldPath; readonly value: string }
  | { readonly kind: 'glob'; readonly field: FieldPath; readonly pattern: string };

/**
 * A parsed selector. `and` and `or` hold two or more terms, never one of their own kind (the
 * parser flattens `a and (b and c)`), so equal meanings written alike print alike.
 */
export type Selector =
  | Comparison
  | { readonly kind: 'not'; readonly term: Selector }
  | { readonly kind: 'and' | 'or'; readonly terms: readonly Selector[] };

/** What a selector is matched against: an agent's id, its groups, and its facts (any JSON value). */
export type Subject = { readonly pc_id: string; readonly groups: readonly string[]; readonly facts: unknown };

/** A problem in a selector's text: where (offset, 1-based line and column) and, for a typo, the nearest word. */
export type SelectorIssue = Issue & {
  readonly offset: number;
  readonly line: number;
  readonly column: number;
  readonly suggestion?: string;
};

/** The outcome of parsing a selector: the selector, or every problem found. */
export type ParsedSelector =
  | { readonly ok: true; readonly selector: Selector }
  | { readonly ok: false; readonly issues: SelectorIssue[] };

/** Words with a meaning of their own; a field path may not start with one (`facts.in` reaches such a fact). */
export const KEYWORDS = ['and', 'or', 'not', 'in', 'contains', 'startswith', 'true', 'false'] as const;

/** The roots a path may start with besides a fact's name. */
export const ROOTS = ['pc_id', 'groups', 'facts'] as const;

/** A name that needs no quoting after a dot: ASCII letters, digits and `_`, not starting with a digit. */
export const isName = (s: string): boolean => /^[A-Za-z_][A-Za-z0-9_]*$/.test(s);
