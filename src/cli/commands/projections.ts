import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ReadModelsStatus as Status } from '../../api/contract.ts';
import { createLogger } from '../../infra/log.ts';
import { bool, boolFlag, type CommandSpec, JSON_FLAG, str, stringFlag } from '../command.ts';
import { UsageError } from '../errors.ts';
import { NATS_FLAGS, natsSettings } from '../natsFlags.ts';
import { type Io, line, table, writeJson } from '../output.ts';

const printStatus = (io: Io, s: Status) => {
  line(io.out, `read models: ${s.state} at seq ${s.seq}${s.file === undefined ? '' : ` (${s.file})`}`);
  if (s.rebuild !== undefined) line(io.out, `rebuilding: at seq ${s.rebuild.seq} into ${s.rebuild.file}`);
  const rows = s.projections.map((p) => [p.name, p.version, p.seq, p.state, p.error ?? '']);
  line(io.out, table(['PROJECTION', 'VERSION', 'SEQ', 'STATE', 'ERROR'], rows));
};

/** `kanade projections …`: read-model status and rebuilds. */
export const projectionCommands: CommandSpec[] = [
  {
    path: ['projections', 'build'],
    usage: 'kanade projections build --out FILE [--until-seq N] [--nats-url URL] [--nats-creds FILE] [--json]',
    summary:
      'Replay the event stream into a new SQLite file (as of --until-seq), without a server; prints table checksums',
    options: {
      out: str('the new SQLite file to write', { value: 'file' }),
      'until-seq': str('replay up to this stream sequence (the read models as of then)', {
        default: 'the head',
        value: 'seq',
      }),
      ...JSON_FLAG,
      ...NATS_FLAGS,
    },
    run: async (args, ctx) => {
      const out = stringFlag(args, 'out');
      if (out === undefined) throw new UsageError('--out FILE is required');
      if (existsSync(out)) throw new UsageError(`${out} exists; name a new file`);
      const until = stringFlag(args, 'until-seq');
      if (until !== undefined && !/^\d+$/.test(until))
        throw new UsageError('--until-seq must be a stream sequence number');
      const { buildReadModelFile } = await import('../../projections/offlineBuild.ts');
      const build = await buildReadModelFile({
        nats: natsSettings(args, ctx.config),
        file: resolve(out),
        ...(until === undefined ? {} : { untilSeq: Number(until) }),
        log: createLogger('kanade', 'warn'),
      });
      if (boolFlag(args, 'json')) writeJson(ctx.io, build);
      else {
        line(ctx.io.out, `built ${build.file} as of seq ${build.seq}`);
        line(ctx.io.out, table(['TABLE', 'SHA-256'], Object.entries(build.checksums)));
      }
      return 0;
    },
  },
  {
    path: ['projections', 'status'],
    usage: 'kanade projections status [--json]',
    summary: 'Show each projection: version, last applied sequence, state',
    options: JSON_FLAG,
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
    options: { wait: bool('wait until the new read models are live, then print their status') },
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
