import type { Kysely } from 'kysely';
import type { Facts } from '../../domain/facts/index.ts';
import type { ReadModels } from '../schema.ts';

/** What an inventory job last reported on a PC (or why its last output was not taken). */
export type InventoryView = {
  job_id: string;
  data: Facts | null;
  skipped: string | null;
  result_id: string;
  reported_at: string;
};

/** One changed fact (values as JSON text; null when absent before or after). */
export type FactChangeView = {
  seq: number;
  at: string;
  path: string;
  source: string;
  from: string | null;
  to: string | null;
};

/** A PC's facts: built-in, per inventory job, and what changed (newest first). */
export type AgentFactsView = {
  pc_id: string;
  facts: Facts | null;
  reported_at: string | null;
  inventory: InventoryView[];
  history: FactChangeView[];
};

/** A PC's facts with the newest `limit` changes (since `since`, when given). */
export const getAgentFacts = async (
  db: Kysely<ReadModels>,
  pcId: string,
  o: { limit: number; since?: string },
): Promise<AgentFactsView> => {
  const row = await db.selectFrom('agent_facts').selectAll().where('pc_id', '=', pcId).executeTakeFirst();
  const inventory = await db
    .selectFrom('agent_inventory')
    .select(['job_id', 'data', 'skipped', 'result_id', 'reported_at'])
    .where('pc_id', '=', pcId)
    .orderBy('job_id')
    .execute();
  let changes = db
    .selectFrom('agent_fact_changes')
    .select(['seq', 'at', 'path', 'source', 'from_value', 'to_value'])
    .where('pc_id', '=', pcId);
  if (o.since !== undefined) changes = changes.where('at', '>=', o.since);
  const history = await changes.orderBy('seq', 'desc').orderBy('path').limit(o.limit).execute();
  return {
    pc_id: pcId,
    facts: row === undefined ? null : (JSON.parse(row.facts) as Facts),
    reported_at: row?.reported_at ?? null,
    inventory: inventory.map((i) => ({ ...i, data: i.data === null ? null : (JSON.parse(i.data) as Facts) })),
    history: history.map(({ from_value, to_value, ...c }) => ({ ...c, from: from_value, to: to_value })),
  };
};

/**
 * What selectors see of each PC: its built-in facts with every inventory job's document under
 * `inventory.<job id>` (PCs that reported nothing have `{}`), read in chunks.
 */
export const selectorFacts = async (
  db: Kysely<ReadModels>,
  pcIds: readonly string[],
): Promise<Map<string, Record<string, unknown>>> => {
  const out = new Map<string, Record<string, unknown>>(pcIds.map((pc) => [pc, {}]));
  for (let i = 0; i < pcIds.length; i += 500) {
    const chunk = pcIds.slice(i, i + 500);
    for (const r of await db.selectFrom('agent_facts').select(['pc_id', 'facts']).where('pc_id', 'in', chunk).execute())
      out.set(r.pc_id, { ...(JSON.parse(r.facts) as Record<string, unknown>), ...out.get(r.pc_id) });
    const docs = await db
      .selectFrom('agent_inventory')
      .select(['pc_id', 'job_id', 'data'])
      .where('pc_id', 'in', chunk)
      .where('data', 'is not', null)
      .execute();
    for (const r of docs) {
      const facts = out.get(r.pc_id) ?? {};
      const inventory = (facts.inventory ?? {}) as Record<string, unknown>;
      out.set(r.pc_id, { ...facts, inventory: { ...inventory, [r.job_id]: JSON.parse(r.data as string) } });
    }
  }
  return out;
};
