import type { AgentConfig, ConfigLayerList } from '../../api/contract.ts';
import { sourceText } from '../../domain/config/index.ts';
import type { CommandSpec } from '../command.ts';
import { boolFlag, JSON_FLAG } from '../command.ts';
import { UsageError } from '../errors.ts';
import { manifestFileCommands, type PlanEntry } from '../manifestCommands.ts';
import { readConfigFiles } from '../manifestFiles.ts';
import { line, table, writeJson } from '../output.ts';

/** A setting's value as one cell: durations and numbers as they are, objects as compact JSON. */
const shown = (value: unknown): string =>
  value === undefined ? '-' : value === '' ? '""' : typeof value === 'string' ? value : JSON.stringify(value);

// `global`, `group:<g>` or `pc:<pc>` → the API path that deletes the layer.
const deletePath = (name: string): string => {
  if (name === 'global') return '/api/config/global';
  const colon = name.indexOf(':');
  const [layer, id] = [name.slice(0, colon), name.slice(colon + 1)];
  if (colon > 0 && id !== '' && (layer === 'group' || layer === 'pc'))
    return `/api/config/${layer}/${encodeURIComponent(id)}`;
  throw new UsageError(`name a layer as global, group:<group> or pc:<pc id> (not ${JSON.stringify(name)})`);
};

/** `kanade config …` (agent config layers) and `kanade agents config <pc>`. */
export const configCommands: CommandSpec[] = [
  ...manifestFileCommands({ noun: 'config', plural: 'layers', endpoint: '/api/config', read: readConfigFiles }),
  {
    path: ['config', 'list'],
    usage: 'kanade config list [--json]',
    summary: 'Every agent config layer in force (global, groups, PCs) and what each sets',
    options: JSON_FLAG,
    run: async (args, ctx) => {
      const list = await ctx.client().get<ConfigLayerList>('/api/config');
      if (boolFlag(args, 'json')) writeJson(ctx.io, list);
      else {
        line(
          ctx.io.out,
          table(
            ['LAYER', 'PRIORITY', 'SETTINGS', 'UPDATED', 'BY'],
            list.layers.map((l) => [
              l.layer_id,
              l.manifest.layer === 'group' ? String(l.manifest.priority ?? 0) : '-',
              Object.entries(l.manifest.settings)
                .map(([k, v]) => `${k}=${shown(v)}`)
                .join(' '),
              l.updated_at,
              l.updated_by,
            ]),
          ),
        );
        line(ctx.io.err, `rule: ${list.rule}`);
      }
      return 0;
    },
  },
  {
    path: ['config', 'delete'],
    usage: 'kanade config delete <global|group:G|pc:PC> [--json]',
    summary: 'Remove a config layer: what it set goes back to the next layer down',
    options: JSON_FLAG,
    run: async (args, ctx) => {
      if (args.positionals.length !== 1) throw new UsageError('name exactly one layer');
      const result = await ctx.client().send<PlanEntry>('DELETE', deletePath(args.positionals[0] as string));
      if (boolFlag(args, 'json')) writeJson(ctx.io, result);
      else line(ctx.io.out, `${result.status} ${result.id} (seq ${result.seq})`);
      return 0;
    },
  },
  {
    path: ['agents', 'config'],
    usage: 'kanade agents config <pc> [--json]',
    summary: 'A PC’s effective config: each setting, the layer it came from, and what the agent reports',
    options: JSON_FLAG,
    run: async (args, ctx) => {
      if (args.positionals.length !== 1) throw new UsageError('name exactly one pc');
      const pc = args.positionals[0] as string;
      const config = await ctx.client().get<AgentConfig>(`/api/agents/${encodeURIComponent(pc)}/config`);
      if (boolFlag(args, 'json')) {
        writeJson(ctx.io, config);
        return 0;
      }
      line(
        ctx.io.out,
        table(
          ['SETTING', 'VALUE', 'FROM', 'AGENT REPORTS'],
          config.settings.map((s) => [s.key, shown(s.value), sourceText(s.source), shown(s.reported)]),
        ),
      );
      const sync =
        config.in_sync === null
          ? 'the agent has not reported its settings yet'
          : config.in_sync
            ? `the agent runs with these (reported ${config.reported_at})`
            : `the agent does not run with these yet (last reported ${config.reported_at})`;
      line(ctx.io.err, `${sync}\nrule: ${config.rule}`);
      return 0;
    },
  },
];
