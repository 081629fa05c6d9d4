import type { Comparison, FieldPath, Scalar, Segment, Selector, Subject } from './ast.ts';
import { globMatch } from './glob.ts';

const MISSING: unique symbol = Symbol('missing');
type Found = unknown | typeof MISSING;

/**
 * One step into a value, through own data properties only: a name into an object (not a list), an
 * index into a list. Never the prototype (`__proto__`, `constructor`), never a getter.
 */
const step = (value: unknown, segment: Segment): Found => {
  if (typeof value !== 'object' || value === null) return MISSING;
  if (Array.isArray(value) !== (typeof segment === 'number')) return MISSING;
  const own = Object.getOwnPropertyDescriptor(value, segment);
  return own === undefined || !('value' in own) || own.value === undefined ? MISSING : own.value;
};

/** The field's value in the subject, or MISSING. */
const lookup = (subject: Subject, path: FieldPath): Found => {
  let value: Found = path.root === 'pc_id' ? subject.pc_id : path.root === 'groups' ? subject.groups : subject.facts;
  for (const segment of path.segments) {
    value = step(value, segment);
    if (value === MISSING) return MISSING;
  }
  return value;
};

/** Equal only as the same type: `4` is not `"4"`, `true` is not `1`. */
const same = (a: unknown, b: Scalar): boolean => typeof a === typeof b && a === b;

/** Whether a list (own elements only) holds the value, or a string holds the string. */
const holds = (container: unknown, value: Scalar): boolean => {
  if (typeof container === 'string') return typeof value === 'string' && container.includes(value);
  if (!Array.isArray(container)) return false;
  for (let i = 0; i < container.length; i++) if (Object.hasOwn(container, i) && same(container[i], value)) return true;
  return false;
};

const compare = (c: Extract<Comparison, { kind: 'compare' }>, v: unknown): boolean => {
  switch (c.op) {
    case '==':
      return same(v, c.value);
    case '!=':
      return typeof v === typeof c.value && v !== c.value;
    case '<':
      return typeof v === 'number' && typeof c.value === 'number' && v < c.value;
    case '<=':
      return typeof v === 'number' && typeof c.value === 'number' && v <= c.value;
    case '>':
      return typeof v === 'number' && typeof c.value === 'number' && v > c.value;
    case '>=':
      return typeof v === 'number' && typeof c.value === 'number' && v >= c.value;
  }
};

const test = (c: Comparison, subject: Subject): boolean => {
  const v = lookup(subject, c.field);
  if (v === MISSING) return false;
  switch (c.kind) {
    case 'compare':
      return compare(c, v);
    case 'in':
      return c.values.some((x) => same(v, x));
    case 'contains':
      return holds(v, c.value);
    case 'startswith':
      return typeof v === 'string' && v.startsWith(c.value);
    case 'glob':
      return typeof v === 'string' && globMatch(c.pattern, v);
  }
};

const evaluate = (s: Selector, subject: Subject): boolean => {
  switch (s.kind) {
    case 'and':
      return s.terms.every((t) => evaluate(t, subject));
    case 'or':
      return s.terms.some((t) => evaluate(t, subject));
    case 'not':
      return !evaluate(s.term, subject);
    default:
      return test(s, subject);
  }
};

/**
 * Whether an agent matches a selector. A missing field fails every comparison (`!=` too; `not (x ==
 * v)` holds for it); values of different types are never equal or ordered. Total: any facts value
 * gives an answer, and one that throws while read (a Proxy, a getter: nothing JSON makes) matches
 * nothing.
 */
export const matches = (selector: Selector, subject: Subject): boolean => {
  try {
    return evaluate(selector, subject);
  } catch {
    return false;
  }
};
