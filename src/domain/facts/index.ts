export type { FactChange, Facts, FactsEvent, FactsReported } from './facts.ts';
export {
  diffFacts,
  FACTS_EVENT_TYPES,
  factRows,
  factsProblem,
  factsStreamName,
  MAX_FACTS_BYTES,
  MAX_FACTS_DEPTH,
} from './facts.ts';
