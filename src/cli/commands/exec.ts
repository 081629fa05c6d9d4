import { setTimeout as sleep } from 'node:timers/promises';
import type {
  ExecAccepted,
  ExecPreview,
  ExecutionDetail as Execution,
  ExecutionList,
  Result,
  ResultList,
} from '../../api/contract.ts';
import { waveLabel } from '../../domain/execs/index.ts';
import { outcomeWords } from '../../domain/runs/index.ts';
import { parseDuration } from '../../domain/shared/index.ts';
import type { ApiClient } from '../client.ts';
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
import { EXIT, UsageError } from '../errors.ts';
import { type Io, line, table, writeJson } from '../output.ts';

const list = (raw: string | undefined) =>
  (raw ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

// The next wave of a rollout and when it is due (a wait of minutes should not look like a hang).
const nextWaveText = (e: Execution, now: number) => {
  const next = e.waves.find((w) => w.status === 'scheduled' || w.status === 'released');
  if (next === undefined) return '';
  const inS = Math.max(0, Math.round((Date.parse(next.due_at) - now) / 1000));
  return `; next: wave ${next.wave} (${waveLabel(next)}) due ${next.due_at}${inS > 0 ? ` (in ${inS} s)` : ''}`;
};

const progress = (e: Execution, now = Date.now()) => {
  const sent = e.waves.filter((w) => w.status === 'dispatched').length;
  const waves = e.waves.length > 0 ? `, wave ${sent}/${e.waves.length}` : '';
  return `${e.done}/${e.target_count} done, ${outcomeWords(e.outcomes, e.running)}${waves} (${e.status})${nextWaveText(e, now)}`;
};

/** True only when every targeted PC succeeded (the exit code of `--wait` says exactly that). */
export const allSucceeded = (e: Execution): boolean =>
  e.status === 'completed' &&
  e.target_count > 0 &&
  e.outcomes.succeeded >= e.target_count &&
  e.done === e.outcomes.succeeded;

// Finished, or waiting on an operator (a halted rollout, an approval).
const settled = (e: Execution) =>
  e.status === 'completed' ||
  e.status === 'halted' ||
  e.status === 'awaiting_approval' ||
  e.status === 'rejected' ||
  e.status === 'expired' ||
  ((e.status === 'killed' || e.status === 'aborted') && e.running === 0);

// What the server said of an exec that waits for approval (nothing runs until then).
const approvalWords = (accepted: ExecAccepted) =>
  accepted.approval === undefined
    ? ''
    : `; nothing runs until ${accepted.approval.approvers === 1 ? 'another person approves' : `${accepted.approval.approvers} other people approve`} it (kanade approvals approve ${accepted.exec_id}), by ${accepted.approval.expires_at}`;

const WHERE_WAVE = /^where\s+/;

/**
 * Parses `--wave group[:delay]` and `--wave 'where SELECTOR[:delay]'` flags into the API's waves. A
 * selector wave's delay is what follows its last `:` when that is a duration (a `:` inside the
 * selector stays the selector's); the server checks the selector.
 */
export const parseWaves = (
  flags: readonly string[],
): ({ group: string; delay: string } | { where: string; delay: string })[] =>
  flags.map((flag) => {
    if (WHERE_WAVE.test(flag)) {
      const text = flag.replace(WHERE_WAVE, '');
      const cut = text.lastIndexOf(':');
      const tail = cut < 0 ? '' : text.slice(cut + 1);
      const timed = cut >= 0 && parseDuration(tail) !== undefined;
      const where = (timed ? text.slice(0, cut) : text).trim();
      if (where === '')
        throw new UsageError(`--wave ${flag}: write 'where SELECTOR:delay', e.g. 'where os.family == "linux":10m'`);
      return { where, delay: timed ? tail.trim() : '0s' };
    }
    const [group = '', delay = '0s', ...rest] = flag.split(':');
    if (group === '' || rest.length > 0)
      throw new UsageError(`--wave ${flag}: write group:delay (e.g. canary:0s) or 'where SELECTOR:delay'`);
    return { group, delay };
  });

const numberFlag = (args: Args, name: string): number | undefined => {
  const raw = stringFlag(args, name);
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(n)) throw new UsageError(`--${name} ${raw}: must be a number`);
  return n;
};

const rolloutOf = (args: Args) => {
  const flags = args.values.wave;
  const waves = parseWaves(Array.isArray(flags) ? flags : []);
  const ratio = numberFlag(args, 'max-failure-ratio');
  const minSuccess = numberFlag(args, 'min-success');
  if (waves.length === 0) {
    if (ratio !== undefined || minSuccess !== undefined)
      throw new UsageError('--max-failure-ratio and --min-success gate waves: add --wave group:delay');
    return undefined;
  }
  const gate = {
    ...(ratio === undefined ? {} : { max_failure_ratio: ratio }),
    ...(minSuccess === undefined ? {} : { min_success: minSuccess }),
  };
  return { strategy: 'wave', waves, ...(Object.keys(gate).length === 0 ? {} : { gate }) };
};

/** Polls an exec until it is finished (the server holds each request up to `wait` seconds), showing progress. */
export const waitForExec = async (
  client: ApiClient,
  io: Io,
  execId: string,
  limitMs: number,
  quiet = false,
): Promise<Execution> => {
  const tty = (io.err as NodeJS.WriteStream).isTTY === true;
  let shown = '';
  for (const end = Date.now() + limitMs; ; ) {
    const e = await client.get<Execution>(`/api/executions/${execId}`, { wait: 5 });
    const text = progress(e);
    if (!quiet && text !== shown) io.err.write(tty ? `\r\u001b[2K${text}` : `${text}\n`);
    shown = text;
    if (settled(e) || Date.now() > end) {
      if (!quiet && tty) io.err.write('\n');
      return e;
    }
    await sleep(100);
  }
};

// Every PC that did not succeed, from the results (an exec's own answer carries one page of them).
const FAILURES_SHOWN = 1000;
const printFailures = async (client: ApiClient, io: Io, e: Execution) => {
  const notOk = async (status: 'failure' | 'skipped') =>
    (await client.get<ResultList>('/api/results', { exec_id: e.exec_id, status, limit: String(FAILURES_SHOWN) }))
      .results;
  const bad = [...(await notOk('failure')), ...(await notOk('skipped'))].sort((a, b) => a.pc_id.localeCompare(b.pc_id));
  if (bad.length === 0) return;
  line(
    io.out,
    table(
      ['PC', 'OUTCOME', 'EXIT', 'REASON'],
      bad.map((r) => [r.pc_id, r.outcome, r.exit_code, r.reason ?? lastLine(r.stderr)]),
    ),
  );
  const total = e.done - e.outcomes.succeeded;
  if (total > bad.length)
    line(
      io.err,
      `… ${total - bad.length} more: kanade results list --exec ${e.exec_id} --status failed|skipped|killed`,
    );
};

const lastLine = (text: string) => text.trim().split('\n').at(-1) ?? '';

// `kanade kill|executions resume|executions abort <exec_id>`: one operator command on an exec.
const execAction = (path: string[], verb: 'kill' | 'resume' | 'abort', summary: string): CommandSpec => ({
  path,
  usage: `kanade ${path.join(' ')} <exec_id>${verb === 'resume' ? '' : ' [--reason TEXT]'}`,
  summary,
  options: verb === 'resume' ? {} : { reason: str('why, for the audit trail', { value: 'text' }) },
  run: async (args, ctx) => {
    const [execId] = args.positionals;
    if (execId === undefined || args.positionals.length !== 1) throw new UsageError('name exactly one exec id');
    const reason = stringFlag(args, 'reason');
    const res = await ctx
      .client()
      .send<{ status: string; seq: number }>(
        'POST',
        `/api/executions/${encodeURIComponent(execId)}/${verb}`,
        reason === undefined ? {} : { reason },
      );
    line(ctx.io.out, `${res.status} ${execId} (seq ${res.seq})`);
    return 0;
  },
});

/** `kanade exec`, `kanade run`, `kanade kill`, `kanade executions …`. */
export const execCommands: CommandSpec[] = [
  {
    path: ['exec'],
    usage:
      'kanade exec <job> (--all | --groups a,b | --pcs x,y | --wave group:delay… | --wave "where EXPR:delay"… | --where EXPR) [--where EXPR] [--dry-run] [--max-failure-ratio R] [--min-success N] [--jitter 30s] [--starting-deadline 10m] [--wait] [--json]',
    summary:
      'Run a catalog job on a target, or in waves (each --wave a group and its delay from now, gated by the previous wave); --wait follows it to the end (exit 0 only when every targeted PC succeeded)',
    options: {
      wave: str("a wave: a group (or 'where SELECTOR') and its delay from now (repeat, in order)", {
        multiple: true,
        value: 'group:delay',
      }),
      'max-failure-ratio': str(
        'halt before the next wave when failed/(succeeded+failed) of the last one is above this',
        {
          value: '0..1',
        },
      ),
      'min-success': str('halt before the next wave unless the last one had this many successes', { value: 'n' }),
      all: bool('every approved agent that is online'),
      groups: str('the online members of these groups', { value: 'a,b' }),
      pcs: str('these PCs (online or not)', { value: 'x,y' }),
      where: str(
        'only the PCs whose facts and groups match (os.family == "linux" and "lab" in groups); alone: of all online',
        {
          value: 'expr',
        },
      ),
      'dry-run': bool('list who it would run on, and run nothing'),
      jitter: str('each agent waits a random time up to this before it starts', { default: '0s', value: 'duration' }),
      'starting-deadline': str('agents skip the command (125) when it reaches them later than this', {
        value: 'duration',
      }),
      wait: bool('follow it to the end; exit 0 only when every PC succeeded'),
      ...JSON_FLAG,
    },
    run: async (args, ctx) => {
      const [job, ...extra] = args.positionals;
      if (job === undefined || extra.length > 0) throw new UsageError('name exactly one job');
      const target = {
        ...(boolFlag(args, 'all') ? { all: true } : {}),
        ...(args.values.groups === undefined ? {} : { groups: list(stringFlag(args, 'groups')) }),
        ...(args.values.pcs === undefined ? {} : { pcs: list(stringFlag(args, 'pcs')) }),
      };
      const jitter = stringFlag(args, 'jitter');
      const deadline = stringFlag(args, 'starting-deadline');
      const rollout = rolloutOf(args);
      const where = stringFlag(args, 'where');
      const client = ctx.client();
      const body = {
        ...((rollout !== undefined || where !== undefined) && Object.keys(target).length === 0 ? {} : { target }),
        ...(rollout === undefined ? {} : { rollout }),
        ...(where === undefined ? {} : { where }),
        ...(jitter === undefined ? {} : { jitter }),
        ...(deadline === undefined ? {} : { starting_deadline: deadline }),
      };
      const path = `/api/exec/${encodeURIComponent(job)}`;
      if (boolFlag(args, 'dry-run')) {
        const preview = await client.send<ExecPreview>('POST', `${path}?dry_run=true`, body);
        if (boolFlag(args, 'json')) writeJson(ctx.io, preview);
        else {
          for (const pc of preview.pcs) line(ctx.io.out, pc);
          for (const [i, w] of (preview.waves ?? []).entries())
            line(ctx.io.err, `wave ${i} (${waveLabel(w)}, after ${w.delay_secs} s): ${w.pcs.join(', ') || 'no PC'}`);
          line(
            ctx.io.err,
            `${job} would run on ${preview.target_count} agent(s)${preview.where === undefined ? '' : ` matching ${preview.where}`} (dry run: nothing was recorded)`,
          );
        }
        return 0;
      }
      const accepted = await client.send<ExecAccepted>('POST', path, body);
      const said = `exec ${accepted.exec_id}: ${job} on ${accepted.target_count} agent(s)${approvalWords(accepted)}`;
      if (!boolFlag(args, 'wait')) {
        if (boolFlag(args, 'json')) writeJson(ctx.io, accepted);
        else line(ctx.io.out, said);
        return 0;
      }
      line(ctx.io.err, said);
      const done = await waitForExec(client, ctx.io, accepted.exec_id, 24 * 3_600_000, boolFlag(args, 'json'));
      if (boolFlag(args, 'json')) writeJson(ctx.io, done);
      else await printFailures(client, ctx.io, done);
      if (done.status === 'awaiting_approval') {
        line(ctx.io.err, `waiting for approval: kanade approvals approve ${done.exec_id} (by somebody else)`);
        return EXIT.failed;
      }
      if (done.status === 'halted')
        line(
          ctx.io.err,
          `rollout halted: ${done.halted_reason ?? 'no reason'}; kanade executions resume|abort ${done.exec_id}`,
        );
      return allSucceeded(done) ? EXIT.ok : EXIT.failed;
    },
  },
  {
    path: ['run'],
    usage: 'kanade run <pc> [--shell sh] [--timeout 60s] -- <script…>',
    summary: 'Run an ad-hoc script on one PC (recorded like any exec); prints its output and exits with its exit code',
    options: {
      shell: str('sh, bash, pwsh, powershell or cmd', { default: 'sh', value: 'shell' }),
      timeout: str('kill it after this long', { default: '60s', value: 'duration' }),
      cwd: str('working directory on the PC', { value: 'dir' }),
    },
    run: async (args, ctx) =>
      runAdhoc(
        args.positionals,
        { shell: stringFlag(args, 'shell'), timeout: stringFlag(args, 'timeout'), cwd: stringFlag(args, 'cwd') },
        ctx,
      ),
  },
  execAction(
    ['kill'],
    'kill',
    'Kill an exec: running processes (and their children) are killed, unstarted ones never start',
  ),
  execAction(
    ['executions', 'resume'],
    'resume',
    'Let a halted rollout go on: the halted wave goes out now, without its gate',
  ),
  execAction(
    ['executions', 'abort'],
    'abort',
    'Stop a rollout for good: waves not sent yet never are (running work goes on; kill stops it)',
  ),
  {
    path: ['executions', 'list'],
    usage: 'kanade executions list [--job J] [--status S] [--limit N] [--json]',
    summary: 'Recent executions with their progress, newest first',
    options: {
      job: str('executions of this job only', { value: 'job' }),
      status: str('pending, running, completed, halted, aborted or killed', { value: 'status' }),
      limit: str('how many to show', { default: '50', value: 'n' }),
      ...JSON_FLAG,
    },
    run: async (args, ctx) => {
      const { executions } = await ctx.client().get<ExecutionList>('/api/executions', {
        job_id: stringFlag(args, 'job'),
        status: stringFlag(args, 'status'),
        limit: stringFlag(args, 'limit'),
      });
      if (boolFlag(args, 'json')) writeJson(ctx.io, { executions });
      else
        line(
          ctx.io.out,
          table(
            ['EXEC', 'JOB', 'VERSION', 'STATUS', 'DONE', 'OUTCOMES', 'BY', 'AT'],
            executions.map((e) => [
              e.exec_id,
              e.job_id,
              e.version,
              e.status,
              `${e.done}/${e.target_count}`,
              Object.entries(e.outcomes)
                .filter(([, n]) => n > 0)
                .map(([outcome, n]) => `${n} ${outcome}`)
                .join(', '),
              e.requested_by,
              e.requested_at,
            ]),
          ),
        );
      return 0;
    },
  },
  {
    path: ['executions', 'get'],
    usage: 'kanade executions get <exec_id> [--json]',
    summary: 'One execution with every agent’s result',
    options: JSON_FLAG,
    run: async (args, ctx) => {
      const [execId] = args.positionals;
      if (execId === undefined) throw new UsageError('name an exec id');
      const e = await ctx.client().get<Execution>(`/api/executions/${encodeURIComponent(execId)}`);
      if (boolFlag(args, 'json')) writeJson(ctx.io, e);
      else {
        line(ctx.io.out, `${e.exec_id}  ${e.job_id} ${e.version}  ${progress(e)}`);
        if (e.halted_reason !== null) line(ctx.io.out, `halted: ${e.halted_reason}`);
        if (e.waves.length > 0)
          line(
            ctx.io.out,
            table(
              ['WAVE', 'GROUP/SELECTOR', 'STATUS', 'DUE', 'DONE', 'SUCCEEDED', 'UNSUCCESSFUL', 'SKIPPED'],
              e.waves.map((w) => [
                w.wave,
                waveLabel(w),
                w.status,
                w.due_at,
                `${w.done}/${w.target_count}`,
                w.succeeded,
                w.failed,
                w.skipped,
              ]),
            ),
          );
        line(
          ctx.io.out,
          table(
            ['PC', 'OUTCOME', 'EXIT', 'REASON'],
            e.results.map((r) => [r.pc_id, r.outcome ?? 'running', r.exit_code, r.reason ?? '']),
          ),
        );
      }
      return 0;
    },
  },
];

const runAdhoc = async (
  positionals: string[],
  o: { shell?: string | undefined; timeout?: string | undefined; cwd?: string | undefined },
  ctx: CliContext,
) => {
  const [pc, ...scriptParts] = positionals;
  if (pc === undefined || scriptParts.length === 0)
    throw new UsageError('name a pc and a script: kanade run <pc> -- <script…>');
  const client = ctx.client();
  const timeout = o.timeout ?? '60s';
  const accepted = await client.send<ExecAccepted>('POST', '/api/run', {
    pc_id: pc,
    script: scriptParts.join(' '),
    timeout,
    ...(o.shell === undefined ? {} : { shell: o.shell }),
    ...(o.cwd === undefined ? {} : { cwd: o.cwd }),
  });
  if (accepted.approval !== undefined) {
    line(ctx.io.err, `exec ${accepted.exec_id}${approvalWords(accepted)}`);
    return EXIT.failed;
  }
  // Wait as long as the script may run, plus time for the agent to start it and report.
  const e = await waitForExec(client, ctx.io, accepted.exec_id, (parseDuration(timeout) ?? 60) * 1000 + 30_000, true);
  const result = e.results.find((r) => r.outcome !== null);
  if (result === undefined) {
    line(
      ctx.io.err,
      `no result from ${pc} yet (exec ${accepted.exec_id}); it runs when the agent is back: kanade executions get ${accepted.exec_id}`,
    );
    return 1;
  }
  const full = await client.get<Result>(`/api/results/${result.result_id}`);
  ctx.io.out.write(full.stdout);
  ctx.io.err.write(full.stderr);
  const code = full.exit_code ?? 1;
  return code >= 0 && code <= 255 ? code : 1;
};
