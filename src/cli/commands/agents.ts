import type { AgentDecision, AgentDetail, AgentFacts, AgentPage, Result, ResultList } from '../../api/contract.ts';
import { factRows } from '../../domain/facts/index.ts';
import { boolFlag, type CommandSpec, JSON_FLAG, str, stringFlag } from '../command.ts';
import { ApiProblem, UsageError } from '../errors.ts';
import { line, table, writeJson } from '../output.ts';

const RESULT_LIST: Omit<CommandSpec, 'path'> = {
  usage:
    'kanade results list [--pc P] [--job J] [--exec E] [--status succeeded|failed|skipped|killed|timed_out|lost|running] [--since TIME] [--limit N] [--json]',
  summary: 'Results, newest first (the output itself: kanade results get <result_id>)',
  options: {
    pc: str('results of this PC only', { value: 'pc' }),
    job: str('results of this job only', { value: 'job' }),
    exec: str('results of this exec only', { value: 'exec_id' }),
    status: str('succeeded, failed, skipped, killed, timed_out, lost or running (as the table prints them)', {
      value: 'outcome',
    }),
    since: str('finished at or after this time', { value: 'RFC 3339 time' }),
    limit: str('how many to show', { default: '50', value: 'n' }),
    ...JSON_FLAG,
  },
  run: async (args, ctx) => {
    if (args.positionals.length > 0)
      throw new UsageError(`unexpected ${args.positionals.join(' ')}: for one result, kanade results get <result_id>`);
    const { results } = await ctx.client().get<ResultList>('/api/results', {
      pc_id: stringFlag(args, 'pc'),
      job_id: stringFlag(args, 'job'),
      exec_id: stringFlag(args, 'exec'),
      status: stringFlag(args, 'status'),
      since: stringFlag(args, 'since'),
      limit: stringFlag(args, 'limit'),
    });
    if (boolFlag(args, 'json')) writeJson(ctx.io, { results });
    else
      line(
        ctx.io.out,
        table(
          ['RESULT', 'PC', 'JOB', 'OUTCOME', 'EXIT', 'FINISHED', 'REASON'],
          results.map((r) => [
            r.result_id,
            r.pc_id,
            r.job_id,
            r.outcome ?? 'running',
            r.exit_code,
            r.finished_at,
            r.reason ?? '',
          ]),
        ),
      );
    return 0;
  },
};

/** `kanade agents …` and `kanade ping`. */
export const agentCommands: CommandSpec[] = [
  {
    path: ['agents', 'list'],
    usage:
      'kanade agents list [--status online|offline] [--enrollment pending|approved|rejected|terminated] [--group G] [--q TEXT] [--limit N] [--offset N] [--json]',
    summary: 'The fleet: who is online, waiting for approval, versions, groups',
    options: {
      status: str('online or offline', { value: 'status' }),
      enrollment: str('pending, approved, rejected or terminated', { value: 'standing' }),
      group: str('members of this group only', { value: 'group' }),
      q: str('pc id or host name containing this text', { value: 'text' }),
      limit: str('how many to show', { default: '100', value: 'n' }),
      offset: str('how many to skip (paging)', { default: '0', value: 'n' }),
      ...JSON_FLAG,
    },
    run: async (args, ctx) => {
      const page = await ctx.client().get<AgentPage>('/api/agents', {
        status: stringFlag(args, 'status'),
        enrollment: stringFlag(args, 'enrollment'),
        group: stringFlag(args, 'group'),
        q: stringFlag(args, 'q'),
        limit: stringFlag(args, 'limit'),
        offset: stringFlag(args, 'offset'),
      });
      if (boolFlag(args, 'json')) writeJson(ctx.io, page);
      else {
        line(
          ctx.io.out,
          table(
            ['PC', 'STATUS', 'ENROLLMENT', 'VERSION', 'OS', 'GROUPS', 'LAST SEEN'],
            page.agents.map((a) => [
              a.pc_id,
              a.online ? 'online' : 'offline',
              a.pending_key !== null && a.enrollment === 'approved' ? 'approved (new key pending)' : a.enrollment,
              a.agent_version,
              a.os,
              a.groups.join(','),
              a.last_heartbeat,
            ]),
          ),
        );
        if (page.total > page.agents.length)
          line(ctx.io.err, `${page.agents.length} of ${page.total} shown (--limit/--offset)`);
      }
      return 0;
    },
  },
  {
    path: ['agents', 'get'],
    usage: 'kanade agents get <pc> [--json]',
    summary: 'One agent and its recent results',
    options: JSON_FLAG,
    run: async (args, ctx) => {
      const [pc] = args.positionals;
      if (pc === undefined) throw new UsageError('name a pc');
      const agent = await ctx.client().get<AgentDetail>(`/api/agents/${encodeURIComponent(pc)}`);
      if (boolFlag(args, 'json')) writeJson(ctx.io, agent);
      else {
        line(
          ctx.io.out,
          `${agent.pc_id}  ${agent.online ? 'online' : 'offline'}  ${agent.enrollment}  ${agent.agent_version}  ${agent.os}  groups: ${agent.groups.join(', ') || '-'}`,
        );
        if (agent.public_key !== null) line(ctx.io.out, `key: ${agent.public_key}`);
        if (agent.pending_key !== null)
          line(ctx.io.out, `waiting for approval: key ${agent.pending_key} (token ${agent.enrollment_token ?? '-'})`);
        line(
          ctx.io.out,
          table(
            ['JOB', 'OUTCOME', 'EXIT', 'FINISHED', 'EXEC'],
            agent.recent_results.map((r) => [r.job_id, r.outcome ?? 'running', r.exit_code, r.finished_at, r.exec_id]),
          ),
        );
      }
      return 0;
    },
  },
  {
    path: ['agents', 'facts'],
    usage: 'kanade agents facts <pc> [--since TIME] [--limit N] [--json]',
    summary: 'What a PC is: its built-in facts, what its inventory jobs reported, and what changed',
    options: {
      since: str('changes since this time only', { value: 'time' }),
      limit: str('at most this many changes', { default: '200', value: 'n' }),
      ...JSON_FLAG,
    },
    run: async (args, ctx) => {
      const [pc] = args.positionals;
      if (pc === undefined) throw new UsageError('name a pc');
      const since = stringFlag(args, 'since');
      const limit = stringFlag(args, 'limit');
      const facts = await ctx.client().get<AgentFacts>(`/api/agents/${encodeURIComponent(pc)}/facts`, {
        ...(since === undefined ? {} : { since }),
        ...(limit === undefined ? {} : { limit }),
      });
      if (boolFlag(args, 'json')) {
        writeJson(ctx.io, facts);
        return 0;
      }
      if (facts.facts === null) line(ctx.io.out, `${pc} has not reported its facts yet`);
      else {
        line(ctx.io.out, `facts of ${pc}, reported ${facts.reported_at}`);
        line(ctx.io.out, table(['FACT', 'VALUE'], factRows(facts.facts)));
      }
      for (const inv of facts.inventory) {
        line(
          ctx.io.out,
          `\n${inv.job_id}, reported ${inv.reported_at}${inv.skipped === null ? '' : ` (last output skipped: ${inv.skipped})`}`,
        );
        if (inv.data !== null) line(ctx.io.out, table(['FACT', 'VALUE'], factRows(inv.data)));
      }
      if (facts.history.length > 0) {
        line(ctx.io.out, '\nchanges, newest first');
        line(
          ctx.io.out,
          table(
            ['AT', 'FACT', 'FROM', 'TO'],
            facts.history.map((h) => [h.at, h.path, h.from ?? '-', h.to ?? '-']),
          ),
        );
      }
      return 0;
    },
  },
  ...decisionCommands(),
  {
    path: ['agents', 'groups', 'set'],
    usage: 'kanade agents groups set <pc> <group…>',
    summary: 'Set the groups of an agent (it follows the change live); no groups clears them',
    run: async (args, ctx) => {
      const [pc, ...groups] = args.positionals;
      if (pc === undefined) throw new UsageError('name a pc and its groups');
      const res = await ctx
        .client()
        .send<{ status: string; groups: string[]; seq: number }>(
          'PUT',
          `/api/agents/${encodeURIComponent(pc)}/groups`,
          { groups },
        );
      line(ctx.io.out, `${res.status} ${pc}: ${res.groups.join(', ') || '(no groups)'} (seq ${res.seq})`);
      return 0;
    },
  },
  {
    path: ['ping'],
    usage: 'kanade ping <pc>',
    summary: 'Ask an agent to answer now (exit 1 when it does not within 5 s)',
    run: async (args, ctx) => {
      const [pc] = args.positionals;
      if (pc === undefined) throw new UsageError('name a pc');
      try {
        const res = await ctx
          .client()
          .send<{ rtt_ms: number; heartbeat: { agent_version: string; running: number } }>(
            'POST',
            `/api/agents/${encodeURIComponent(pc)}/ping`,
          );
        line(
          ctx.io.out,
          `${pc} answered in ${res.rtt_ms} ms (agent ${res.heartbeat.agent_version}, ${res.heartbeat.running} running)`,
        );
        return 0;
      } catch (error) {
        if (error instanceof ApiProblem && error.status === 504) {
          line(ctx.io.err, `${pc} did not answer`);
          return 1;
        }
        throw error;
      }
    },
  },
  ...resultCommands(),
];

// `kanade results` lists (as `results list` does); `results get` shows one with its output.
function resultCommands(): CommandSpec[] {
  return [
    { path: ['results'], ...RESULT_LIST, hidden: true },
    { path: ['results', 'list'], ...RESULT_LIST },
    {
      path: ['results', 'get'],
      usage: 'kanade results get <result_id> [--json]',
      summary: 'One result: outcome, exit code, timing, why a gate skipped it, and its stdout and stderr',
      options: JSON_FLAG,
      run: async (args, ctx) => {
        const [id, ...extra] = args.positionals;
        if (id === undefined || extra.length > 0)
          throw new UsageError('name exactly one result id (kanade results list)');
        const r = await ctx.client().get<Result>(`/api/results/${encodeURIComponent(id)}`);
        if (boolFlag(args, 'json')) {
          writeJson(ctx.io, r);
          return 0;
        }
        line(ctx.io.out, `result ${r.result_id}: ${r.job_id} ${r.version} on ${r.pc_id} (exec ${r.exec_id})`);
        line(
          ctx.io.out,
          `outcome ${r.outcome ?? 'running'}, exit ${r.exit_code ?? '-'}${r.reason === null ? '' : `: ${r.reason}`}`,
        );
        line(ctx.io.out, `started ${r.started_at ?? '-'}, finished ${r.finished_at ?? '-'}`);
        line(ctx.io.out, '--- stdout');
        ctx.io.out.write(r.stdout.endsWith('\n') || r.stdout === '' ? r.stdout : `${r.stdout}\n`);
        line(ctx.io.out, '--- stderr');
        ctx.io.out.write(r.stderr.endsWith('\n') || r.stderr === '' ? r.stderr : `${r.stderr}\n`);
        return 0;
      },
    },
  ];
}

// approve / reject / terminate: one command each, answered with where the agent stands afterwards.
function decisionCommands(): CommandSpec[] {
  const decide = (
    verb: 'approve' | 'reject' | 'terminate',
    summary: string,
    usage: string,
    options: CommandSpec['options'],
    body: (args: Parameters<CommandSpec['run']>[0]) => Record<string, unknown>,
  ): CommandSpec => ({
    path: ['agents', verb],
    usage,
    summary,
    options: { ...options, ...JSON_FLAG },
    run: async (args, ctx) => {
      const [pc] = args.positionals;
      if (pc === undefined) throw new UsageError('name a pc');
      const res = await ctx
        .client()
        .send<AgentDecision>('POST', `/api/agents/${encodeURIComponent(pc)}/${verb}`, body(args));
      if (boolFlag(args, 'json')) writeJson(ctx.io, res);
      else
        line(
          ctx.io.out,
          `${res.status} ${pc}: ${res.enrollment}, groups ${res.groups.join(', ') || '-'} (seq ${res.seq})`,
        );
      return 0;
    },
  });
  const reason = (args: Parameters<CommandSpec['run']>[0]) => {
    const r = stringFlag(args, 'reason');
    return r === undefined ? {} : { reason: r };
  };
  return [
    decide(
      'approve',
      'Approve the enrollment request waiting for a PC: it gets a credential of its own and starts taking work',
      'kanade agents approve <pc> [--groups a,b] [--key PUBLIC_KEY] [--json]',
      {
        groups: str('the groups to give it', { default: 'the groups it asked for (or had)', value: 'a,b' }),
        key: str('approve only if this is the key waiting (as the agent printed it)', { value: 'public-key' }),
      },
      (args) => {
        const groups = stringFlag(args, 'groups');
        const key = stringFlag(args, 'key');
        return {
          ...(groups === undefined
            ? {}
            : {
                groups: groups
                  .split(',')
                  .map((g) => g.trim())
                  .filter(Boolean),
              }),
          ...(key === undefined ? {} : { public_key: key }),
        };
      },
    ),
    decide(
      'reject',
      'Reject the enrollment request waiting for a PC: it gets nothing',
      'kanade agents reject <pc> [--key PUBLIC_KEY] [--reason TEXT] [--json]',
      {
        reason: str('why, for the audit trail', { value: 'text' }),
        key: str('reject only if this is the key waiting', { value: 'public-key' }),
      },
      (args) => {
        const key = stringFlag(args, 'key');
        return { ...reason(args), ...(key === undefined ? {} : { public_key: key }) };
      },
    ),
    decide(
      'terminate',
      'Decommission a PC: its credential is revoked at the broker, it leaves every target',
      'kanade agents terminate <pc> [--reason TEXT] [--json]',
      { reason: str('why, for the audit trail', { value: 'text' }) },
      reason,
    ),
  ];
}
