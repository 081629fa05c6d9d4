import type { KnownAgent } from '../../domain/execs/index.ts';
import { targetableAgents } from '../../projections/index.ts';
import type { AppDeps } from '../deps.ts';
import { readModelsCaughtUp } from '../readModels.ts';

/**
 * The agents target resolution sees: approved ones (pending, rejected and terminated agents are in
 * no target), from the read model once it has caught up with the stream.
 */
export const knownAgents = async (deps: Pick<AppDeps, 'jsm' | 'readModels' | 'now'>): Promise<KnownAgent[]> => {
  await readModelsCaughtUp(deps);
  return targetableAgents(deps.readModels.db(), deps.now());
};
