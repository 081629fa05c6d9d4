import type { KnownAgent } from '../../domain/execs/index.ts';
import { ONLINE_WINDOW_MS } from '../../projections/index.ts';
import type { AppDeps } from '../deps.ts';
import { readModelsCaughtUp } from '../readModels.ts';

/**
 * The agents target resolution sees: approved ones (pending, rejected and terminated agents are in
 * no target), from the read model once it has caught up with the stream.
 */
export const knownAgents = async (deps: Pick<AppDeps, 'jsm' | 'readModels' | 'now'>): Promise<KnownAgent[]> => {
  await readModelsCaughtUp(deps);
  const cutoff = new Date(deps.now().getTime() - ONLINE_WINDOW_MS).toISOString();
  const rows = await deps.readModels
    .db()
    .selectFrom('agents as a')
    .leftJoin('agent_heartbeats as h', 'h.pc_id', 'a.pc_id')
    .leftJoin('agent_enrollment as en', 'en.pc_id', 'a.pc_id')
    .select(['a.pc_id', 'a.groups', 'h.at'])
    .where((eb) => eb.or([eb('en.status', 'is', null), eb('en.status', '=', 'approved')]))
    .execute();
  return rows.map((r) => ({
    pc_id: r.pc_id,
    groups: JSON.parse(r.groups) as string[],
    online: r.at !== null && r.at >= cutoff,
  }));
};
