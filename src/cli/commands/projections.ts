import { setTimeout as sleep } from 'node:timers/promises';
import { boolFlag, type CommandSpec } from '../command.ts';
import { type Io, line, table, writeJson } from '../output.ts';

type Status = {
  state: string;
  file: string | null;
  seq: number;
  projections: { name: string; version: number; seq: number; state: string; error?: string }[];
  rebuild?: { seq: number; file: string };
};

const printStatus = (io: Io, s: Status) => {
  line(io.out, `read models: ${s.state} at seq ${s.seq}${s.file === null ? '' : ` (${s.file})`}`);
  if (s.rebuild !== undefined) line(io.out, `rebuilding: at seq ${s.rebuild.seq} into ${s.rebuild.file}`);
  const rows = s.projections.map((p) => [p.name, p.version, p.seq, p.state, p.error ?? '']);
  line(io.out, table(['PROJECTION', 'VERSION', 'SEQ', 'STATE', 'ERROR'], rows));
};

/** `kanade projections …`: read-model status and rebuilds. */
export const projectionCommands: CommandSpec[] = [
  {
    path: ['projections', 'status'],
    usage: 'kanade projections status [--json]',
    summary: 'Show each projection: version, last applied sequence, state',
    options: { json: { type: 'boolean' } },
    run: async (args, ctx) => {
      const status = await ctx.client().get<Status>('/api/projections');
      if (boolFlag(args, 'json')) writeJson(ctx.io, status);
      else printStatus(ctx.io, status);
      return 0;
    },
  },
  {
    path: ['projections', 'rebuild'],
    usage: 'kanade projections rebuild [--wait]',
    summary: 'Rebuild every read model from the stream into a new file, then swap (blue/green)',
    options: { wait: { type: 'boolean' } },
    run: async (args, ctx) => {
      const client = ctx.client();
      let status = await client.send<Status>('POST', '/api/projections/rebuild');
      line(ctx.io.out, 'rebuild started');
      while (boolFlag(args, 'wait') && (status.rebuild !== undefined || status.state !== 'live')) {
        await sleep(250);
        status = await client.get<Status>('/api/projections');
      }
      if (boolFlag(args, 'wait')) printStatus(ctx.io, status);
      return 0;
    },
  },
];
