import * as v from 'valibot';
import type { ExecCommand, WireStaleness } from '../domain/execs/index.ts';
import type { RunIdentity } from '../domain/runs/index.ts';
import { runIdentity } from './results.ts';

// Tolerant on read: unknown fields are ignored, so an older agent accepts newer commands (kanade #492).
const schema = v.looseObject({
  id: v.string(),
  version: v.string(),
  request_id: v.pipe(v.string(), v.minLength(1)),
  exec_id: v.pipe(v.string(), v.minLength(1)),
  shell: v.string(),
  script: v.optional(v.string(), ''),
  script_object: v.optional(v.string()),
  timeout_secs: v.pipe(v.number(), v.minValue(1)),
  jitter_secs: v.optional(v.number()),
  run_as: v.optional(v.string(), 'system'),
  cwd: v.optional(v.string()),
  deadline_at: v.optional(v.string()),
  staleness: v.optional(v.looseObject({ mode: v.string(), max_cache_age_secs: v.optional(v.number()) }), {
    mode: 'cached',
  }),
});

/**
 * Reads a command from a NATS payload; undefined when it lacks what a result must name. A command
 * that leaves the staleness policy to the agent (`agent`: ad-hoc runs) gets `defaultStaleness`.
 */
export const parseCommand = (
  payload: string,
  defaultStaleness: WireStaleness = { mode: 'cached' },
): ExecCommand | undefined => {
  let json: unknown;
  try {
    json = JSON.parse(payload);
  } catch {
    return undefined;
  }
  const parsed = v.safeParse(schema, json);
  if (!parsed.success) return undefined;
  const { staleness, ...rest } = parsed.output;
  const wireStaleness: WireStaleness =
    staleness.mode === 'agent'
      ? defaultStaleness
      : staleness.mode === 'strict'
        ? { mode: 'strict' as const, max_cache_age_secs: staleness.max_cache_age_secs ?? 0 }
        : { mode: staleness.mode === 'unchecked' ? ('unchecked' as const) : ('cached' as const) };
  // Unknown shells and identities pass through: the platform gate refuses them with a reason.
  return { ...rest, staleness: wireStaleness } as ExecCommand;
};

const identitySchema = v.looseObject({
  id: v.string(),
  version: v.string(),
  request_id: v.pipe(v.string(), v.minLength(1)),
  exec_id: v.pipe(v.string(), v.minLength(1)),
});

/** Who asked, from a command this agent cannot otherwise read (so it can answer with a failed result). */
export const parseIdentity = (payload: string, pcId: string): RunIdentity | undefined => {
  try {
    const parsed = v.safeParse(identitySchema, JSON.parse(payload));
    return parsed.success ? runIdentity(parsed.output as unknown as ExecCommand, pcId) : undefined;
  } catch {
    return undefined;
  }
};
