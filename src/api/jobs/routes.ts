import { Hono } from 'hono';
import { stringify } from 'yaml';
import { readModelsCaughtUp } from '../../app/readModels.ts';
import type { JobManifest } from '../../domain/jobs/index.ts';
import { isJobId } from '../../domain/shared/index.ts';
import { getJob, listJobs } from '../../projections/index.ts';
import { readJobManifests, readJsonObject } from '../body.ts';
import { commitFor } from '../commit.ts';
import type { JobDetail, JobList } from '../contract.ts';
import type { ApiDeps, ApiEnv } from '../env.ts';
import { RequestRejected } from '../errors.ts';
import { flag } from '../query.ts';
import { assertNoScheduleRuns } from '../schedules/routes.ts';
import { jobCatalog } from './catalog.ts';

/** `/api/jobs`: the job catalog. Writes become events; reads come from the `jobs` read model. */
export const jobRoutes = (deps: ApiDeps) =>
  new Hono<ApiEnv>()
    .post('/', async (c) => {
      const { manifests } = await readJobManifests(c);
      const dryRun = flag('dry_run', c.req.query('dry_run'));
      const prune = flag('prune', c.req.query('prune')) ? await idsMissingFrom(deps, manifests) : [];
      await assertNoScheduleRuns(deps, prune);
      const jobs = await jobCatalog.applyAll(deps.store, { manifests, prune, dryRun }, () => commitFor(c, deps));
      const created = !dryRun && jobs.some((j) => j.status === 'created');
      return c.json({ jobs, seq: Math.max(0, ...jobs.map((j) => j.seq)), dry_run: dryRun }, created ? 201 : 200);
    })
    .get('/', async (c) => {
      const revoked = c.req.query('revoked');
      const tag = c.req.query('tag');
      const jobs = await listJobs(deps.readModels.db(), {
        ...(revoked === undefined ? {} : { revoked: flag('revoked', revoked) }),
        ...(tag === undefined ? {} : { tag }),
      });
      return c.json({ jobs } satisfies JobList);
    })
    .get('/:id', async (c) => {
      const job = await getJob(deps.readModels.db(), knownId(c.req.param('id')));
      if (job === undefined) throw notFound(c.req.param('id'));
      if (wantsYaml(c.req.header('Accept'))) {
        return c.body(stringify(job.manifest), 200, { 'Content-Type': 'application/yaml; charset=utf-8' });
      }
      return c.json(job satisfies JobDetail);
    })
    .delete('/:id', async (c) => {
      const job_id = knownId(c.req.param('id'));
      await assertNoScheduleRuns(deps, [job_id]);
      return c.json(await jobCatalog.run(deps.store, { type: 'DeleteJob', data: { job_id } }, commitFor(c, deps)));
    })
    .post('/:id/revoke', async (c) => {
      const job_id = knownId(c.req.param('id'));
      const reason = reasonOf(await readJsonObject(c));
      const data = reason === undefined ? { job_id } : { job_id, reason };
      return c.json(await jobCatalog.run(deps.store, { type: 'RevokeJob', data }, commitFor(c, deps)));
    })
    .post('/:id/unrevoke', async (c) => {
      const job_id = knownId(c.req.param('id'));
      return c.json(await jobCatalog.run(deps.store, { type: 'UnrevokeJob', data: { job_id } }, commitFor(c, deps)));
    });

const notFound = (id: string) => new RequestRejected(404, 'job-not-found', `job ${id} is not in the catalog`);

// An id that cannot be valid cannot be in the catalog either.
const knownId = (id: string): string => {
  if (!isJobId(id)) throw notFound(id);
  return id;
};

const wantsYaml = (accept: string | undefined): boolean => /\b(application|text)\/(x-)?yaml\b/.test(accept ?? '');

const reasonOf = (body: Record<string, unknown>): string | undefined => {
  const { reason, ...rest } = body;
  const unknown = Object.keys(rest);
  if (unknown.length > 0) {
    throw new RequestRejected(
      422,
      'invalid-body',
      'unknown keys in the body',
      unknown.map((k) => ({ path: k, message: 'unknown key' })),
    );
  }
  if (reason === undefined) return undefined;
  if (typeof reason !== 'string' || reason.length > 500) {
    throw new RequestRejected(422, 'invalid-body', 'reason must be a string of at most 500 characters', [
      { path: 'reason', message: 'must be a string of at most 500 characters' },
    ]);
  }
  return reason;
};

// Prune compares with the catalog read model, so it first waits until that has seen the whole stream.
const idsMissingFrom = async (deps: ApiDeps, manifests: readonly JobManifest[]): Promise<string[]> => {
  if (manifests.length === 0) {
    throw new RequestRejected(422, 'empty-prune', 'refusing to prune with no manifests: that would empty the catalog', [
      { path: '', message: 'send at least one manifest with prune=true' },
    ]);
  }
  await readModelsCaughtUp(deps);
  const keep = new Set(manifests.map((m) => m.id));
  return (await listJobs(deps.readModels.db())).map((j) => j.id).filter((id) => !keep.has(id));
};
