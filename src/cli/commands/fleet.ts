import { join } from 'node:path';
import type { Fleet } from '../../api/contract.ts';
import { createLogger } from '../../infra/log.ts';
import {
  type Args,
  bool,
  boolFlag,
  type CliContext,
  type CommandSpec,
  JSON_FLAG,
  str,
  stringFlag,
} from '../command.ts';
import { UsageError } from '../errors.ts';
import { NATS_FLAGS, natsSettings } from '../natsFlags.ts';
import { line, writeJson } from '../output.ts';

const direct = async (
  ctx: CliContext,
  args: Args,
  command:
    | { type: 'HaltFleet'; data: { reason: string; kill_running: boolean } }
    | { type: 'ResumeFleet'; data: { reason?: string } },
) => {
  const { fleetDirect } = await import('../../server/fleetDirect.ts');
  return fleetDirect({
    nats: natsSettings(args, ctx.config),
    command,
    signingKeyFile: ctx.config.signingKeyFile ?? join(ctx.config.dataDir, 'signing.nk'),
    log: createLogger('kanade', 'warn'),
  });
};

const DIRECT = bool('go through NATS, not the API (when the server is down); needs the server’s credential');

/** `kanade fleet …`: the emergency stop. */
export const fleetCommands: CommandSpec[] = [
  {
    path: ['fleet', 'halt'],
    usage: 'kanade fleet halt --reason TEXT [--kill-running] [--direct [--nats-url URL] [--nats-creds FILE]]',
    summary:
      'Emergency stop: agents refuse new work (exit 121); --kill-running kills what runs. --direct goes through NATS when the server is down',
    options: {
      reason: str('why the fleet stops (required; every agent reports it)', { value: 'text' }),
      'kill-running': bool('also kill what runs now (with its process tree)'),
      direct: DIRECT,
      ...NATS_FLAGS,
    },
    run: async (args, ctx) => {
      const reason = stringFlag(args, 'reason');
      if (reason === undefined || reason.trim() === '')
        throw new UsageError('--reason is required: say why the fleet stops');
      const data = { reason, kill_running: boolFlag(args, 'kill-running') };
      const result = boolFlag(args, 'direct')
        ? await direct(ctx, args, { type: 'HaltFleet', data }).then((r) => ({
            status: r.changed ? 'halted' : 'unchanged',
            seq: r.seq,
          }))
        : await ctx.client().send<{ status: string; seq: number }>('POST', '/api/fleet/halt', data);
      line(
        ctx.io.out,
        `${result.status}: the fleet is halted${data.kill_running ? ' and running work is killed' : ''} (seq ${result.seq})`,
      );
      return 0;
    },
  },
  {
    path: ['fleet', 'resume'],
    usage: 'kanade fleet resume [--reason TEXT] [--direct]',
    summary: 'Lift the emergency stop',
    options: { reason: str('why, for the audit trail', { value: 'text' }), direct: DIRECT, ...NATS_FLAGS },
    run: async (args, ctx) => {
      const reason = stringFlag(args, 'reason');
      const data = reason === undefined ? {} : { reason };
      const result = boolFlag(args, 'direct')
        ? await direct(ctx, args, { type: 'ResumeFleet', data }).then((r) => ({
            status: r.changed ? 'resumed' : 'unchanged',
            seq: r.seq,
            signed: r.signed,
          }))
        : await ctx.client().send<{ status: string; seq: number; signed?: boolean }>('POST', '/api/fleet/resume', data);
      line(ctx.io.out, `${result.status}: the fleet may work (seq ${result.seq})`);
      if (result.signed === false)
        line(
          ctx.io.err,
          'this machine has no signing key (KANADE_SIGNING_KEY), so the flag agents read is unsigned: they stay halted until the server is back and rewrites it',
        );
      return 0;
    },
  },
  {
    path: ['fleet', 'status'],
    usage: 'kanade fleet status [--json]',
    summary: 'Is the fleet halted, by whom and why',
    options: JSON_FLAG,
    run: async (args, ctx) => {
      const fleet = await ctx.client().get<Fleet>('/api/fleet');
      if (boolFlag(args, 'json')) writeJson(ctx.io, fleet);
      else if (!fleet.halted) line(ctx.io.out, 'the fleet is working');
      else
        line(
          ctx.io.out,
          `HALTED by ${fleet.changed_by} at ${fleet.changed_at}: ${fleet.reason}${fleet.kill_running ? ' (running work was killed)' : ''}`,
        );
      return 0;
    },
  },
];
