import type { KV } from '@nats-io/kv';
import { normalizeGroups } from '../domain/shared/index.ts';
import { retryForever } from '../infra/backoff.ts';
import type { Logger } from '../infra/log.ts';
import { groupsKey } from '../infra/nats/subjects.ts';

/** Parses a groups value (`{"groups":[…]}`), tolerating anything else as "unknown". */
export const parseGroups = (value: string): string[] | undefined => {
  try {
    const parsed = JSON.parse(value) as { groups?: unknown };
    return Array.isArray(parsed.groups)
      ? normalizeGroups(parsed.groups.filter((g): g is string => typeof g === 'string'))
      : undefined;
  } catch {
    return undefined;
  }
};

/**
 * Follows this agent's group membership in KV for as long as the agent runs. A transient read error or
 * a broken watch never clears the membership (kanade #147): only a new value changes it.
 */
export const followMembership = async (deps: {
  kv: KV;
  pcId: string;
  onChange: (groups: string[]) => Promise<void>;
  log: Logger;
  signal: AbortSignal;
}): Promise<void> => {
  const key = groupsKey(deps.pcId);
  let current: string | undefined;
  while (!deps.signal.aborted) {
    const watch = await retryForever('watch group membership', () => deps.kv.watch({ key }), deps.log, {
      signal: deps.signal,
    });
    const stop = () => watch.stop();
    deps.signal.addEventListener('abort', stop, { once: true });
    try {
      for await (const entry of watch) {
        if (entry.operation !== 'PUT') continue;
        const groups = parseGroups(entry.string());
        if (groups === undefined || groups.join('\u0000') === current) continue;
        current = groups.join('\u0000');
        await deps.onChange(groups);
      }
    } catch (error) {
      deps.log.warn('group membership watch ended; reopening', { error });
    } finally {
      deps.signal.removeEventListener('abort', stop);
    }
    if (!deps.signal.aborted) await new Promise((r) => setTimeout(r, 1_000));
  }
};
