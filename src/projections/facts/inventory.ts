import { type Kysely, sql } from 'kysely';
import type { Facts } from '../../domain/facts/index.ts';
import type { InventoryField, JobManifest } from '../../domain/jobs/index.ts';
import type { ReadModels } from '../schema.ts';

/** The built-in facts as an inventory: what the inventory page shows when no job is chosen. */
export const BUILT_IN = 'agent';
const BUILT_IN_DISPLAY: InventoryField[] = [
  { field: 'os.name', label: 'OS' },
  { field: 'os.version', label: 'Version' },
  { field: 'kernel', label: 'Kernel' },
  { field: 'arch', label: 'Arch' },
  { field: 'cpu.count', label: 'CPUs', type: 'number' },
  { field: 'memory.total_gb', label: 'Memory (GB)', type: 'number' },
  { field: 'disk.free_gb', label: 'Disk free (GB)', type: 'number' },
  { field: 'agent.version', label: 'Agent' },
];
const BUILT_IN_SUMMARY: InventoryField[] = [
  { field: 'os.family', label: 'OS family' },
  { field: 'os.version', label: 'OS version' },
  { field: 'agent.version', label: 'Agent version' },
];

/** One PC's row of an inventory: the display fields' values. */
export type InventoryRow = {
  pc_id: string;
  reported_at: string;
  skipped: string | null;
  values: Record<string, unknown>;
};

/** How many PCs have each value of a summary field (the 20 most common; `null`: the field is absent). */
export type InventorySummary = { field: string; label: string; counts: { value: unknown; count: number }[] };

/** An inventory: the columns its manifest displays, a page of PCs, and fleet-wide counts. */
export type InventoryPage = {
  source: string;
  columns: readonly InventoryField[];
  rows: InventoryRow[];
  total: number;
  summary: InventorySummary[];
};

/** The jobs whose output is an inventory (`inventory:` in their manifest). */
export const inventoryJobs = async (db: Kysely<ReadModels>): Promise<string[]> =>
  (await db.selectFrom('jobs').select('job_id').where('inventory', '=', 1).orderBy('job_id').execute()).map(
    (r) => r.job_id,
  );

// A dotted field as an SQLite JSON path (each key quoted); undefined for keys it cannot quote.
const jsonPath = (field: string): string | undefined => {
  const keys = field.split('.');
  return keys.some((k) => k === '' || /["\\]/.test(k)) ? undefined : `$${keys.map((k) => `."${k}"`).join('')}`;
};

/** The value at a dotted path of a document (own keys only), or undefined. */
export const valueAt = (document: unknown, field: string): unknown => {
  let at: unknown = document;
  for (const key of field.split('.')) {
    if (at === null || typeof at !== 'object' || !Object.hasOwn(at, key)) return undefined;
    at = (at as Record<string, unknown>)[key];
  }
  return at;
};

const SUMMARY_VALUES = 20;

/**
 * One inventory: of a job (its manifest's `display` columns and `summary` counts) or of the built-in
 * facts (`agent`), PCs by id, filtered by a substring of the pc id; undefined for a job that is not
 * an inventory job.
 */
export const inventoryPage = async (
  db: Kysely<ReadModels>,
  o: {
    source: string;
    q?: string;
    limit: number;
    offset: number;
    /** Only the PCs this keeps (a `where` selector): rows and counts are then taken in memory. */
    keep?: (pcId: string) => boolean;
  },
): Promise<InventoryPage | undefined> => {
  const builtIn = o.source === BUILT_IN;
  let hint: { display: readonly InventoryField[]; summary: readonly InventoryField[] } = {
    display: BUILT_IN_DISPLAY,
    summary: BUILT_IN_SUMMARY,
  };
  if (!builtIn) {
    const job = await db.selectFrom('jobs').select('manifest').where('job_id', '=', o.source).executeTakeFirst();
    const inventory = job === undefined ? undefined : (JSON.parse(job.manifest) as JobManifest).inventory;
    if (inventory === undefined) return undefined;
    hint = { display: inventory.display, summary: inventory.summary ?? [] };
  }
  // Both sources as (pc_id, document, reported_at, skipped).
  const source = builtIn
    ? db
        .selectFrom('agent_facts')
        .select(['pc_id', 'facts as data', 'reported_at', sql<string | null>`null`.as('skipped')])
    : db
        .selectFrom('agent_inventory')
        .select(['pc_id', 'data', 'reported_at', 'skipped'])
        .where('job_id', '=', o.source);
  const filtered = db
    .selectFrom(source.as('s'))
    .$if(o.q !== undefined && o.q !== '', (q) => q.where(sql<boolean>`instr(s.pc_id, ${o.q})`));
  if (o.keep !== undefined) return keptPage(await filtered.selectAll().orderBy('pc_id').execute(), o, hint, o.keep);
  const page = await filtered.selectAll().orderBy('pc_id').limit(o.limit).offset(o.offset).execute();
  const { total } = await filtered.select((eb) => eb.fn.countAll<number>().as('total')).executeTakeFirstOrThrow();
  const summary = await Promise.all(
    hint.summary.map(async ({ field, label }) => {
      const path = jsonPath(field);
      if (path === undefined) return { field, label, counts: [] };
      const counts = await filtered
        .select([sql<unknown>`json_extract(s.data, ${path})`.as('value'), (eb) => eb.fn.countAll<number>().as('count')])
        .groupBy('value')
        .orderBy('count', 'desc')
        .orderBy('value')
        .limit(SUMMARY_VALUES)
        .execute();
      return { field, label, counts };
    }),
  );
  const rows = page.map((r) => rowOf(r, hint.display));
  return { source: o.source, columns: hint.display, rows, total, summary };
};

type SourceRow = { pc_id: string; data: string | null; reported_at: string; skipped: string | null };
type Hint = { display: readonly InventoryField[]; summary: readonly InventoryField[] };

const rowOf = (r: SourceRow, display: readonly InventoryField[]): InventoryRow => {
  const document = r.data === null ? undefined : (JSON.parse(r.data) as Facts);
  return {
    pc_id: r.pc_id,
    reported_at: r.reported_at,
    skipped: r.skipped,
    values: Object.fromEntries(display.map(({ field }) => [field, valueAt(document, field) ?? null])),
  };
};

// The rows a selector keeps, paged, with the summary counted over them (as the SQL path counts).
const keptPage = (
  all: SourceRow[],
  o: { source: string; limit: number; offset: number },
  hint: Hint,
  keep: (pcId: string) => boolean,
): InventoryPage => {
  const kept = all.filter((r) => keep(r.pc_id));
  const documents = kept.map((r) => (r.data === null ? undefined : (JSON.parse(r.data) as unknown)));
  const summary = hint.summary.map(({ field, label }) => {
    const counts = new Map<string, { value: unknown; count: number }>();
    for (const d of documents) {
      const value = valueAt(d, field) ?? null;
      const key = JSON.stringify(value);
      const entry = counts.get(key) ?? { value, count: 0 };
      entry.count++;
      counts.set(key, entry);
    }
    const sorted = [...counts.entries()].sort(([ka, a], [kb, b]) => b.count - a.count || (ka < kb ? -1 : 1));
    return { field, label, counts: sorted.slice(0, SUMMARY_VALUES).map(([, c]) => c) };
  });
  const rows = kept.slice(o.offset, o.offset + o.limit).map((r) => rowOf(r, hint.display));
  return { source: o.source, columns: hint.display, rows, total: kept.length, summary };
};
