import type { ScheduleFire as Fire, ScheduleDetail, ScheduleList } from '../../api/contract.ts';
import type { CommandSpec } from '../command.ts';
import { bool, boolFlag, JSON_FLAG, str, stringFlag } from '../command.ts';
import { UsageError } from '../errors.ts';
import { manifestFileCommands, type PlanEntry } from '../manifestCommands.ts';
import { readScheduleFiles } from '../manifestFiles.ts';
import { line, table, writeJson } from '../output.ts';

const json = JSON_FLAG;

const single = (positionals: string[]): string => {
  if (positionals.length !== 1) throw new UsageError('name exactly one schedule id');
  return encodeURIComponent(positionals[0] as string);
};

const outcome = (f: Fire) => {
  if (f.kind === 'skipped') return `skipped ${f.count} slot(s) to ${f.to_slot}: ${f.reason ?? ''}`;
  const e = f.exec;
  return e === null
    ? `exec ${f.exec_id ?? ''}`
    : `exec ${f.exec_id ?? ''} ${e.status}: ${e.succeeded}/${e.target_count} succeeded, ${e.failed} unsuccessful, ${e.skipped} skipped`;
};

/** `kanade schedule …`: cron schedules of catalog jobs. */
export const scheduleCommands: CommandSpec[] = [
  ...manifestFileCommands({
    noun: 'schedule',
    plural: 'schedules',
    endpoint: '/api/schedules',
    read: readScheduleFiles,
  }),
  {
    path: ['schedule', 'list'],
    usage: 'kanade schedule list [--enabled | --disabled] [--job J] [--json]',
    summary: 'Every schedule with its next fire time and last fire',
    options: {
      enabled: bool('enabled schedules only'),
      disabled: bool('disabled schedules only'),
      job: str('schedules of this job only', { value: 'job' }),
      ...json,
    },
    run: async (args, ctx) => {
      const enabled = boolFlag(args, 'enabled') ? 'true' : boolFlag(args, 'disabled') ? 'false' : undefined;
      const { schedules } = await ctx
        .client()
        .get<ScheduleList>('/api/schedules', { enabled, job_id: stringFlag(args, 'job') });
      if (boolFlag(args, 'json')) writeJson(ctx.io, { schedules });
      else
        line(
          ctx.io.out,
          table(
            ['ID', 'JOB', 'CRON', 'TZ', 'MODE', 'STATE', 'NEXT FIRE', 'LAST FIRE', 'FIRED', 'SKIPPED'],
            schedules.map((s) => [
              s.schedule_id,
              s.job_id,
              s.cron,
              s.tz,
              s.mode,
              s.enabled ? 'enabled' : 'disabled',
              s.next_fire,
              s.last_fired_slot,
              s.fired,
              s.skipped,
            ]),
          ),
        );
      return 0;
    },
  },
  {
    path: ['schedule', 'get'],
    usage: 'kanade schedule get <id> [--json]',
    summary: 'One schedule: its manifest as YAML, or (--json) with next fires and recent slots',
    options: json,
    run: async (args, ctx) => {
      const id = single(args.positionals);
      if (boolFlag(args, 'json')) writeJson(ctx.io, await ctx.client().get(`/api/schedules/${id}`));
      else ctx.io.out.write(await ctx.client().getText(`/api/schedules/${id}`, 'application/yaml'));
      return 0;
    },
  },
  {
    path: ['schedule', 'preview'],
    usage: 'kanade schedule preview <id> [--count N] [--json]',
    summary: 'The next fire times of a schedule, then its recent slots and their outcomes',
    options: { count: str('how many fire times to show', { default: '5', value: 'n' }), ...json },
    run: async (args, ctx) => {
      const id = single(args.positionals);
      const s = await ctx.client().get<ScheduleDetail>(`/api/schedules/${id}`, {
        preview: stringFlag(args, 'count') ?? 5,
      });
      if (boolFlag(args, 'json')) writeJson(ctx.io, { next_fires: s.next_fires, fires: s.fires });
      else {
        for (const at of s.next_fires) line(ctx.io.out, at);
        for (const f of s.fires) line(ctx.io.err, `${f.slot}  ${outcome(f)}`);
      }
      return 0;
    },
  },
  ...(['delete', 'enable', 'disable'] as const).map(
    (verb): CommandSpec => ({
      path: ['schedule', verb],
      usage: `kanade schedule ${verb} <id> [--json]`,
      summary: { delete: 'Remove a schedule', enable: 'Turn a schedule on', disable: 'Turn a schedule off' }[verb],
      options: json,
      run: async (args, ctx) => {
        const id = single(args.positionals);
        const client = ctx.client();
        const result =
          verb === 'delete'
            ? await client.send<PlanEntry>('DELETE', `/api/schedules/${id}`)
            : await client.send<PlanEntry>('POST', `/api/schedules/${id}/${verb}`, {});
        if (boolFlag(args, 'json')) writeJson(ctx.io, result);
        else line(ctx.io.out, `${result.status} ${result.id} (seq ${result.seq})`);
        return 0;
      },
    }),
  ),
];
