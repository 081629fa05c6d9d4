import type { EventPage, LoggedEvent } from '../../api/contract.ts';
import { bool, boolFlag, type CommandSpec, JSON_FLAG, str, stringFlag } from '../command.ts';
import { ApiProblem, UsageError } from '../errors.ts';
import { type Io, line, writeJson } from '../output.ts';

const print = (io: Io, e: LoggedEvent, asJson: boolean) => {
  if (asJson) line(io.out, JSON.stringify(e));
  else
    line(
      io.out,
      `${String(e.seq).padStart(6)}  ${e.at}  ${`${e.actor}${e.via === null ? '' : `(${e.via})`}`.padEnd(16)}  ${e.type.padEnd(14)}  ${e.summary}`,
    );
};

const positiveInt = (raw: string | undefined, name: string, fallback: number): number => {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < 1 || n > 1000)
    throw new UsageError(`--${name} must be an integer from 1 to 1000`);
  return n;
};

/** `kanade events …`: the audit log. */
export const eventCommands: CommandSpec[] = [
  {
    path: ['events', 'tail'],
    usage: 'kanade events tail [--follow] [--limit N] [--type T] [--actor A] [--json]',
    summary: 'Print the newest events (newest last); --follow keeps printing new ones',
    options: {
      follow: bool('keep printing events as they come', { short: 'f' }),
      limit: str('how many of the newest to show first', { default: '20', value: 'n' }),
      type: str('events of this type only (JobRevoked, AgentApproved, …)', { value: 'type' }),
      actor: str('events caused by this actor only (a token name, agent:<pc>, scheduler, …)', { value: 'actor' }),
      ...JSON_FLAG,
    },
    run: async (args, ctx) => {
      const client = ctx.client();
      const filter = { type: stringFlag(args, 'type'), actor: stringFlag(args, 'actor') };
      const asJson = boolFlag(args, 'json');
      const first = await client.get<EventPage>('/api/events', {
        ...filter,
        limit: positiveInt(stringFlag(args, 'limit'), 'limit', 20),
      });
      for (const e of first.events) print(ctx.io, e, asJson);
      if (!boolFlag(args, 'follow')) return 0;
      let after = first.next_after;
      let stop = false;
      void ctx.untilInterrupted().then(() => {
        stop = true;
      });
      while (!stop) {
        try {
          // Long poll: the server holds the request until the read models pass `after` (or about 5 s).
          const page = await client.get<EventPage>('/api/events', {
            ...filter,
            after,
            limit: 1000,
            min_seq: after + 1,
          });
          for (const e of page.events) print(ctx.io, e, asJson);
          after = page.next_after;
        } catch (error) {
          if (!(error instanceof ApiProblem && error.status === 503)) throw error;
        }
      }
      return 0;
    },
  },
  {
    path: ['events', 'show'],
    usage: 'kanade events show <seq> [--json]',
    summary: 'Print one commit in full, as stored in the stream (always JSON)',
    options: JSON_FLAG,
    run: async (args, ctx) => {
      const [seq] = args.positionals;
      if (args.positionals.length !== 1 || !/^\d+$/.test(seq ?? ''))
        throw new UsageError('name one stream sequence number');
      writeJson(ctx.io, await ctx.client().get(`/api/events/${seq}`));
      return 0;
    },
  },
];
