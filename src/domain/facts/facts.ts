import { canonicalJson } from '../shared/canonical.ts';
import type { DomainEvent } from '../shared/messages.ts';

/** What is known of a machine: a nested JSON object (`os.family`, `disk.free_gb`, …). */
export type Facts = Readonly<Record<string, unknown>>;

/**
 * An agent reported its built-in facts (at start, then whenever they changed, checked every facts
 * interval). `digest` is the SHA-256 of their canonical JSON, so an unchanged report is never sent.
 */
export type FactsReported = DomainEvent<'FactsReported', { pc_id: string; facts: Facts; digest: string }>;

/** Every event of a PC's facts. */
export type FactsEvent = FactsReported;

/** The event types of facts (what may be recorded under `kanade.ev.facts.<pc>`). */
export const FACTS_EVENT_TYPES: readonly FactsEvent['type'][] = ['FactsReported'];

/** The event-store stream of one PC's facts. */
export const factsStreamName = (pcId: string): string => `facts-${pcId}`;

const utf8 = new TextEncoder();

/** Facts larger than this (their JSON, in UTF-8 bytes) are not recorded: built-in or from an inventory job. */
export const MAX_FACTS_BYTES = 64 * 1024;
/** Deeper than this, facts are refused (a document nested to break readers, not a machine's state). */
export const MAX_FACTS_DEPTH = 16;

/** Why a value cannot be facts, or undefined when it can: a JSON object, within the size and depth limits. */
export const factsProblem = (value: unknown): string | undefined => {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return 'is not a JSON object';
  if (depthOf(value) > MAX_FACTS_DEPTH) return `is nested deeper than ${MAX_FACTS_DEPTH} levels`;
  const bytes = utf8.encode(JSON.stringify(value)).length;
  if (bytes > MAX_FACTS_BYTES) return `is ${bytes} bytes, more than the ${MAX_FACTS_BYTES} allowed`;
  return undefined;
};

const depthOf = (value: unknown, depth = 0): number => {
  if (value === null || typeof value !== 'object' || depth > MAX_FACTS_DEPTH) return depth;
  let deepest = depth + 1;
  for (const v of Object.values(value)) deepest = Math.max(deepest, depthOf(v, depth + 1));
  return deepest;
};

/** One changed fact: its dotted path, and its value before and after (canonical JSON; null when absent). */
export type FactChange = { path: string; from: string | null; to: string | null };

/**
 * The facts that differ between two reports, as dotted paths to leaves (arrays are compared whole),
 * sorted by path. Keys are read as own properties only, so `__proto__` is an ordinary key.
 */
export const diffFacts = (before: Facts | undefined, after: Facts): FactChange[] => {
  const a = leaves(before ?? {});
  const b = leaves(after);
  const paths = [...new Set([...a.keys(), ...b.keys()])].sort();
  return paths.flatMap((path) => {
    const from = a.get(path) ?? null;
    const to = b.get(path) ?? null;
    return from === to ? [] : [{ path, from, to }];
  });
};

const leaves = (value: unknown, prefix = '', out = new Map<string, string>()): Map<string, string> => {
  if (value !== null && typeof value === 'object' && !Array.isArray(value) && Object.keys(value).length > 0) {
    for (const key of Object.keys(value))
      leaves((value as Record<string, unknown>)[key], prefix === '' ? key : `${prefix}.${key}`, out);
  } else if (prefix !== '') out.set(prefix, canonicalJson(value));
  return out;
};

/** Facts as rows of dotted path and value, for tables (strings as they are, anything else as JSON). */
export const factRows = (value: unknown, prefix = ''): [string, string][] => {
  if (value !== null && typeof value === 'object' && !Array.isArray(value) && Object.keys(value).length > 0)
    return Object.keys(value).flatMap((k) =>
      factRows((value as Record<string, unknown>)[k], prefix === '' ? k : `${prefix}.${k}`),
    );
  return prefix === '' ? [] : [[prefix, typeof value === 'string' ? value : JSON.stringify(value)]];
};
