import type { KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { normalizeGroups } from '../domain/shared/index.ts';
import type { Logger } from '../infra/log.ts';
import { VIEWS } from '../infra/nats/fleet.ts';
import { groupsKey } from '../infra/nats/subjects.ts';
import { followKey } from './followKey.ts';
import { verifiedView } from './views.ts';

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
 * Follows this agent's group membership for as long as the agent runs. A read error, a deleted key or
 * an unreadable value never clears the membership (kanade #147): only a new, readable value changes it.
 */
export const followMembership = (deps: {
  nc: NatsConnection;
  kv: KV;
  trusted: () => readonly string[];
  pcId: string;
  onChange: (groups: string[]) => Promise<void>;
  log: Logger;
  signal: AbortSignal;
}): Promise<void> => {
  let current: string | undefined;
  return followKey({
    ...deps,
    bucket: VIEWS.groups,
    key: groupsKey(deps.pcId),
    onValue: async (value) => {
      // Only a membership the server signed counts; anything else leaves the membership as it is.
      const view = verifiedView(deps.trusted, VIEWS.groups, groupsKey(deps.pcId), value);
      if (view.kind === 'unverified') deps.log.warn('ignored a group membership not signed by the server', {});
      const groups = view.kind === 'signed' ? parseGroups(view.value) : undefined;
      if (groups === undefined || groups.join('\u0000') === current) return;
      current = groups.join('\u0000');
      await deps.onChange(groups);
    },
  });
};
