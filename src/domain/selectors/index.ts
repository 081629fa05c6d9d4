export type {
  CompareOp,
  Comparison,
  FieldPath,
  ParsedSelector,
  Scalar,
  Segment,
  Selector,
  SelectorIssue,
  Subject,
} from './ast.ts';
export { matches } from './evaluate.ts';
export { globMatch } from './glob.ts';
export {
  MAX_GLOB_CHARS,
  MAX_SELECTOR_BYTES,
  MAX_SELECTOR_DEPTH,
  MAX_SELECTOR_ISSUES,
  MAX_SELECTOR_TERMS,
} from './limits.ts';
export { parseSelector } from './parser.ts';
export { selectorText } from './print.ts';
