import type { JobList } from '../../api/contract.ts';
import type { CommandSpec } from '../command.ts';
import { bool, boolFlag, JSON_FLAG, str, stringFlag } from '../command.ts';
import { UsageError } from '../errors.ts';
import { manifestFileCommands } from '../manifestCommands.ts';
import { readJobFiles } from '../manifestFiles.ts';
import { line, table, writeJson } from '../output.ts';

type Entry = { id: string; version: string; status: string; seq: number; changed?: string[] };

const json = JSON_FLAG;

const single = (positionals: string[], what: string): string => {
  if (positionals.length !== 1) throw new UsageError(`name exactly one ${what}`);
  return positionals[0] as string;
};

/** `kanade job …`: the catalog, as CI pipelines and operators use it. */
export const jobCommands: CommandSpec[] = [
  ...manifestFileCommands({ noun: 'job', plural: 'jobs', endpoint: '/api/jobs', read: readJobFiles }),
  {
    path: ['job', 'list'],
    usage: 'kanade job list [--tag T] [--revoked] [--json]',
    summary: 'List the catalog',
    options: { tag: str('jobs with this tag only', { value: 'tag' }), revoked: bool('revoked jobs only'), ...json },
    run: async (args, ctx) => {
      const { jobs } = await ctx.client().get<JobList>('/api/jobs', {
        tag: stringFlag(args, 'tag'),
        revoked: boolFlag(args, 'revoked') ? 'true' : undefined,
      });
      if (boolFlag(args, 'json')) writeJson(ctx.io, { jobs });
      else {
        const rows = jobs.map((j) => [
          j.id,
          j.version,
          j.shell,
          j.revoked ? 'revoked' : 'active',
          j.tags.join(','),
          j.description,
        ]);
        line(ctx.io.out, table(['ID', 'VERSION', 'SHELL', 'STATUS', 'TAGS', 'DESCRIPTION'], rows));
      }
      return 0;
    },
  },
  {
    path: ['job', 'get'],
    usage: 'kanade job get <id> [--json]',
    summary: 'Show one job; prints its manifest as YAML unless --json',
    options: json,
    run: async (args, ctx) => {
      const id = encodeURIComponent(single(args.positionals, 'job id'));
      if (boolFlag(args, 'json')) writeJson(ctx.io, await ctx.client().get(`/api/jobs/${id}`));
      else ctx.io.out.write(await ctx.client().getText(`/api/jobs/${id}`, 'application/yaml'));
      return 0;
    },
  },
  ...(['delete', 'revoke', 'unrevoke'] as const).map(
    (verb): CommandSpec => ({
      path: ['job', verb],
      usage: `kanade job ${verb} <id>${verb === 'revoke' ? ' [--reason TEXT]' : ''} [--json]`,
      summary: {
        delete: 'Remove a job from the catalog',
        revoke: 'Stop agents from running a job',
        unrevoke: 'Let agents run a revoked job again',
      }[verb],
      options: {
        ...json,
        ...(verb === 'revoke' ? { reason: str('why, for the audit trail', { value: 'text' }) } : {}),
      },
      run: async (args, ctx) => {
        const id = encodeURIComponent(single(args.positionals, 'job id'));
        const reason = stringFlag(args, 'reason');
        const client = ctx.client();
        const result =
          verb === 'delete'
            ? await client.send<Entry>('DELETE', `/api/jobs/${id}`)
            : await client.send<Entry>('POST', `/api/jobs/${id}/${verb}`, reason === undefined ? {} : { reason });
        if (boolFlag(args, 'json')) writeJson(ctx.io, result);
        else line(ctx.io.out, `${result.status} ${result.id} ${result.version} (seq ${result.seq})`);
        return 0;
      },
    }),
  ),
];
