import { Hono } from 'hono';
import { execDecider, execStreamName, normalizeTarget } from '../../domain/execs/index.ts';
import type { JobManifest } from '../../domain/jobs/index.ts';
import { isJobId } from '../../domain/shared/index.ts';
import { commandHandlerFor } from '../../infra/eventStore/index.ts';
import { type ExecutionView, getExecution, listExecutions } from '../../projections/index.ts';
import { commitFor } from '../commit.ts';
import type { ApiDeps, ApiEnv } from '../env.ts';
import { RequestRejected } from '../errors.ts';
import { integer } from '../query.ts';
import { validBody } from '../validate.ts';
import { execBodySchema, reasonBodySchema, runBodySchema } from './schemas.ts';
import { registeredManifest, requestExec } from './service.ts';

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
      const accepted = await requestExec(
        deps,
        {
          kind: 'job',
          manifest,
          target: normalizeTarget(body.target),
          ...(body.jitter === undefined ? {} : { jitter: body.jitter }),
          ...(body.starting_deadline === undefined ? {} : { startingDeadline: body.starting_deadline }),
        },
        commitFor(c, deps),
      );
      return c.json(accepted, 202);
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
        staleness: { mode: 'cached' },
        require_approval: false,
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
      const executions = await listExecutions(deps.readModels.db(), {
        limit: integer('limit', c.req.query('limit'), 1, 1000) ?? 100,
        ...(job_id === undefined ? {} : { job_id }),
        ...(status === undefined ? {} : { status }),
      });
      return c.json({ executions });
    })
    .get('/:execId', async (c) => {
      const wait = integer('wait', c.req.query('wait'), 0, MAX_WAIT_SECONDS) ?? 0;
      return c.json(await waitForExecution(deps, c.req.param('execId'), wait * 1000));
    })
    .post('/:execId/kill', async (c) => {
      const exec_id = c.req.param('execId');
      const { reason } = await validBody(c, reasonBodySchema);
      const handled = await handleExec(
        deps.store,
        execStreamName(exec_id),
        { type: 'RequestKill', data: reason === undefined ? { exec_id } : { exec_id, reason } },
        { ...commitFor(c, deps), correlationId: exec_id },
      );
      return c.json({ exec_id, status: handled.events.length > 0 ? 'kill-requested' : 'unchanged', seq: handled.seq });
    });

const isFinished = (e: ExecutionView) => e.status === 'completed' || (e.status === 'killed' && e.running === 0);

// Answers as soon as the exec is finished, or after `waitMs` with its progress so far.
const waitForExecution = async (deps: ApiDeps, execId: string, waitMs: number) => {
  const deadline = Date.now() + waitMs;
  for (;;) {
    const exec = await getExecution(deps.readModels.db(), execId);
    if (exec === undefined) throw new RequestRejected(404, 'exec-not-found', `no exec ${execId}`);
    const left = deadline - Date.now();
    if (isFinished(exec) || left <= 0) return exec;
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
