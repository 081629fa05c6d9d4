import { type Context, Hono } from 'hono';
import * as v from 'valibot';
import { approveExec, rejectExec } from '../../app/execs/approvals.ts';
import { type ExecRequest, previewExec, requestExec } from '../../app/execs/requestExec.ts';
import { registeredManifest } from '../../app/jobs/registered.ts';
import {
  type ExecAggregateCommand,
  execDecider,
  execStreamName,
  normalizeTarget,
  wavePlanOf,
} from '../../domain/execs/index.ts';
import type { JobManifest } from '../../domain/jobs/index.ts';
import { isJobId } from '../../domain/shared/index.ts';
import { commandHandlerFor } from '../../infra/eventStore/index.ts';
import {
  DEFAULT_RESULTS_PAGE,
  type ExecutionView,
  getExecution,
  getExecutionProgress,
  listExecutions,
  listPendingApprovals,
  type ResultPage,
} from '../../projections/index.ts';
import { commitFor } from '../commit.ts';
import type { ExecutionDetail, ExecutionList } from '../contract.ts';
import type { ApiDeps, ApiEnv } from '../env.ts';
import { RequestRejected } from '../errors.ts';
import { integer } from '../query.ts';
import { validBody } from '../validate.ts';
import { execBodySchema, reasonBodySchema, runBodySchema } from './schemas.ts';

const rejectBodySchema = v.strictObject({
  reason: v.pipe(v.string('must say why'), v.minLength(1, 'must say why'), v.maxLength(500)),
});

const handleExec = commandHandlerFor(execDecider);
const MAX_WAIT_SECONDS = 60;

/** The job id ad-hoc runs are recorded under (kanade's). */
export const ADHOC_JOB_ID = 'adhoc-run';

/** `POST /api/exec/:jobId` and `POST /api/run`: requests become ExecRequested events (202). */
export const execRoutes = (deps: ApiDeps) =>
  new Hono<ApiEnv>()
    .post('/exec/:jobId', async (c) => {
      const jobId = c.req.param('jobId');
      if (!isJobId(jobId)) throw new RequestRejected(404, 'job-not-found', `job ${jobId} is not in the catalog`);
      const body = await validBody(c, execBodySchema);
      const manifest = await registeredManifest(deps, jobId);
      const request: ExecRequest = {
        kind: 'job',
        manifest,
        ...fanoutRequest(body),
        ...(body.where === undefined ? {} : { where: body.where }),
      };
      // `dry_run`: who it would reach, and nothing recorded.
      if (c.req.query('dry_run') === 'true') return c.json(await previewExec(deps, request));
      return c.json(await requestExec(deps, request, commitFor(c, deps)), 202);
    })
    .post('/run', async (c) => {
      const body = await validBody(c, runBodySchema);
      const manifest: JobManifest = {
        id: ADHOC_JOB_ID,
        version: '0.0.0',
        execute: {
          shell: body.shell,
          script: body.script,
          timeout: body.timeout,
          run_as: body.run_as,
          ...(body.cwd === undefined ? {} : { cwd: body.cwd }),
        },
        staleness: { mode: 'agent' }, // the PC's own default (its config's staleness)
        // A team may make ad-hoc runs wait for a second person too (--adhoc-approvers).
        require_approval: (deps.adhocApprovers ?? 0) > 0 ? { approvers: deps.adhocApprovers ?? 0 } : false,
        tags: [],
      };
      const accepted = await requestExec(
        deps,
        { kind: 'adhoc', manifest, target: { pcs: [body.pc_id] } },
        commitFor(c, deps),
      );
      return c.json(accepted, 202);
    });

/** `/api/executions`: progress and per-agent results, long-polling, kill. */
export const executionRoutes = (deps: ApiDeps) =>
  new Hono<ApiEnv>()
    .get('/', async (c) => {
      const job_id = c.req.query('job_id');
      const status = c.req.query('status');
      const page = await listExecutions(deps.readModels.db(), {
        limit: integer('limit', c.req.query('limit'), 0, 1000) ?? 100,
        ...(job_id === undefined ? {} : { job_id }),
        ...(status === undefined ? {} : { status }),
      });
      c.header('X-Total-Count', String(page.total));
      return c.json(page satisfies ExecutionList);
    })
    .get('/:execId', async (c) => {
      const wait = integer('wait', c.req.query('wait'), 0, MAX_WAIT_SECONDS) ?? 0;
      const limit = integer('results_limit', c.req.query('results_limit'), 0, DEFAULT_RESULTS_PAGE);
      const offset = integer('results_offset', c.req.query('results_offset'), 0, Number.MAX_SAFE_INTEGER);
      const page = { ...(limit === undefined ? {} : { limit }), ...(offset === undefined ? {} : { offset }) };
      return c.json((await waitForExecution(deps, c.req.param('execId'), wait * 1000, page)) satisfies ExecutionDetail);
    })
    .post('/:execId/kill', async (c) => {
      const exec_id = c.req.param('execId');
      const { reason } = await validBody(c, reasonBodySchema);
      return c.json(
        await onExec(c, deps, 'kill-requested', { type: 'RequestKill', data: withReason({ exec_id }, reason) }),
      );
    })
    .post('/:execId/abort', async (c) => {
      const exec_id = c.req.param('execId');
      const { reason } = await validBody(c, reasonBodySchema);
      return c.json(await onExec(c, deps, 'aborted', { type: 'AbortExec', data: withReason({ exec_id }, reason) }));
    })
    .post('/:execId/resume', async (c) => {
      const exec_id = c.req.param('execId');
      await validBody(c, v.strictObject({}));
      return c.json(await onExec(c, deps, 'resumed', { type: 'ResumeExec', data: { exec_id } }));
    })
    // Two people: the decider refuses the requester (403) and a second approval by the same person.
    .post('/:execId/approve', async (c) => {
      await validBody(c, v.strictObject({}));
      return c.json(await approveExec(deps, c.req.param('execId'), commitFor(c, deps)));
    })
    .post('/:execId/reject', async (c) => {
      const { reason } = await validBody(c, rejectBodySchema);
      return c.json(await rejectExec(deps, c.req.param('execId'), reason, commitFor(c, deps)));
    });

/** `GET /api/approvals`: execs waiting for approval, with the script and target an approver must see. */
export const approvalRoutes = (deps: ApiDeps) =>
  new Hono<ApiEnv>().get('/', async (c) => c.json({ approvals: await listPendingApprovals(deps.readModels.db()) }));

// Records an operator's command on an exec; `unchanged` when it had nothing left to do.
const onExec = async (c: Context<ApiEnv>, deps: ApiDeps, done: string, command: ExecAggregateCommand) => {
  const exec_id = command.data.exec_id;
  const handled = await handleExec(deps.store, execStreamName(exec_id), command, {
    ...commitFor(c, deps),
    correlationId: exec_id,
  });
  return { exec_id, status: handled.events.length > 0 ? done : 'unchanged', seq: handled.seq };
};

const withReason = <T extends object>(data: T, reason: string | undefined) =>
  reason === undefined ? data : { ...data, reason };

// The fan-out part of an exec body, as requestExec takes it.
const fanoutRequest = (body: v.InferOutput<typeof execBodySchema>): Omit<ExecRequest, 'kind' | 'manifest'> => ({
  ...(body.target === undefined ? {} : { target: normalizeTarget(body.target) }),
  ...(body.rollout === undefined
    ? {}
    : {
        rollout: {
          waves: body.rollout.waves.map(wavePlanOf),
          ...(body.rollout.gate === undefined ? {} : { gate: body.rollout.gate }),
        },
      }),
  ...(body.jitter === undefined ? {} : { jitter: body.jitter }),
  ...(body.starting_deadline === undefined ? {} : { startingDeadline: body.starting_deadline }),
});

// Finished, or waiting on an operator (halted, or for approval): either way a waiting client should hear of it.
const isSettled = (e: Pick<ExecutionView, 'status' | 'running'>) =>
  e.status === 'completed' ||
  e.status === 'halted' ||
  e.status === 'awaiting_approval' ||
  e.status === 'rejected' ||
  e.status === 'expired' ||
  ((e.status === 'killed' || e.status === 'aborted') && e.running === 0);

// Answers as soon as the exec is finished, or after `waitMs` with its progress so far. While it waits
// it reads the exec's row alone after each committed batch; the whole answer (its PCs, a page of
// results) is read once, at the end.
const waitForExecution = async (deps: ApiDeps, execId: string, waitMs: number, page: ResultPage) => {
  const deadline = Date.now() + waitMs;
  for (;;) {
    const progress = await getExecutionProgress(deps.readModels.db(), execId);
    if (progress === undefined) throw new RequestRejected(404, 'exec-not-found', `no exec ${execId}`);
    const left = deadline - Date.now();
    if (isSettled(progress) || left <= 0) {
      const exec = await getExecution(deps.readModels.db(), execId, page);
      if (exec === undefined) throw new RequestRejected(404, 'exec-not-found', `no exec ${execId}`);
      return exec;
    }
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, left);
      const unsubscribe = deps.readModels.onApplied(done);
      function done() {
        clearTimeout(timer);
        unsubscribe();
        resolve();
      }
    });
  }
};
