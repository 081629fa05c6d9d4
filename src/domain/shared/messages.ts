/** A past-tense fact. `data` is JSON-safe: ISO time strings, no Date, no bigint. Structurally an Emmett Event. */
export type DomainEvent<Type extends string, Data extends Record<string, unknown>> = Readonly<{
  type: Type;
  data: Readonly<Data>;
}>;

/** An imperative request to an aggregate. Time and actor travel with the commit, not inside the decider. */
export type DomainCommand<Type extends string, Data extends Record<string, unknown>> = Readonly<{
  type: Type;
  data: Readonly<Data>;
}>;
