import type { Inventory } from '../../api/contract.ts';
import { boolFlag, type CommandSpec, JSON_FLAG, str, stringFlag } from '../command.ts';
import { line, table, writeJson } from '../output.ts';

const cell = (value: unknown) => (value === null ? '-' : typeof value === 'string' ? value : JSON.stringify(value));

/** `kanade inventory`: facts per PC as a table (a job's display columns), and the fleet-wide counts. */
export const inventoryCommand: CommandSpec = {
  path: ['inventory'],
  usage: 'kanade inventory [--job J] [--where EXPR] [--q TEXT] [--limit N] [--offset N] [--json]',
  summary: "Facts per PC: an inventory job's display columns (or the built-in facts'), and its summary counts",
  options: {
    job: str('an inventory job (one with inventory: in its manifest)', { default: 'the built-in facts', value: 'job' }),
    where: str('only the PCs a selector matches (os.family == "linux" and "lab" in groups)', { value: 'expr' }),
    q: str('only PCs whose id contains this', { value: 'text' }),
    limit: str('at most this many PCs', { default: '100', value: 'n' }),
    offset: str('skip this many PCs (paging)', { default: '0', value: 'n' }),
    ...JSON_FLAG,
  },
  run: async (args, ctx) => {
    const query: Record<string, string> = {};
    for (const name of ['job', 'where', 'q', 'limit', 'offset']) {
      const value = stringFlag(args, name);
      if (value !== undefined) query[name] = value;
    }
    const inventory = await ctx.client().get<Inventory>('/api/inventory', query);
    if (boolFlag(args, 'json')) {
      writeJson(ctx.io, inventory);
      return 0;
    }
    line(
      ctx.io.out,
      table(
        ['PC', ...inventory.columns.map((c) => c.label.toUpperCase()), 'REPORTED'],
        inventory.rows.map((r) => [
          r.pc_id,
          ...inventory.columns.map((c) => cell(r.values[c.field])),
          r.skipped === null ? r.reported_at : `${r.reported_at} (last output skipped)`,
        ]),
      ),
    );
    if (inventory.total > inventory.rows.length)
      line(
        ctx.io.err,
        `${inventory.rows.length} of ${inventory.total} PCs shown: --offset ${inventory.rows.length} for more`,
      );
    for (const s of inventory.summary) {
      line(ctx.io.out, `\n${s.label}`);
      line(
        ctx.io.out,
        table(
          ['VALUE', 'PCS'],
          s.counts.map((c) => [cell(c.value), c.count]),
        ),
      );
    }
    return 0;
  },
};
