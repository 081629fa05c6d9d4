import { Hono } from 'hono';
import { stringify } from 'yaml';
import { knownAgents } from '../../app/execs/knownAgents.ts';
import { readModelsCaughtUp } from '../../app/readModels.ts';
import { namedGroups, unknownGroupIssues } from '../../domain/execs/index.ts';
import { evolve, initialState, JobInUse, jobStreamName } from '../../domain/jobs/index.ts';
import type { ScheduleManifest } from '../../domain/schedules/index.ts';
import { type Issue, isJobId } from '../../domain/shared/index.ts';
import { nextSlots } from '../../manifests/index.ts';
import { getSchedule, listSchedules, type ScheduleView, scheduleFires } from '../../projections/index.ts';
import { type ManifestBody, readScheduleManifests } from '../body.ts';
import { commitFor } from '../commit.ts';
import type { ScheduleDetail, ScheduleList, ScheduleListed } from '../contract.ts';
import type { ApiDeps, ApiEnv } from '../env.ts';
import { RequestRejected } from '../errors.ts';
import { flag, integer } from '../query.ts';
import { scheduleCatalog } from './catalog.ts';

const FIRES_SHOWN = 20;
const MAX_PREVIEW = 100;

const notFound = (id: string) => new RequestRejected(404, 'schedule-not-found', `schedule ${id} does not exist`);
const knownId = (id: string) => {
  if (!isJobId(id)) throw notFound(id);
  return id;
};

/** `/api/schedules`: cron schedules of catalog jobs. Writes become events; reads come from the read models. */
export const scheduleRoutes = (deps: ApiDeps) => {
  // Next fire times depend on the clock, so the API adds them; the read model stays a pure fold.
  // cron-parser can fail on some time zones' transitions: the schedule then shows why instead of a 500.
  const nextFires = (s: ScheduleView, count: number): { next: string[]; next_fire_error?: string } => {
    if (!s.enabled) return { next: [] };
    try {
      return { next: nextSlots(s.cron, s.tz, deps.now(), count) };
    } catch (error) {
      return { next: [], next_fire_error: error instanceof Error ? error.message : String(error) };
    }
  };
  const withNext = (s: ScheduleView, count: number): ScheduleListed & { next: string[] } => {
    const { next, next_fire_error } = nextFires(s, count);
    return { ...s, next_fire: next[0] ?? null, ...(next_fire_error === undefined ? {} : { next_fire_error }), next };
  };
  return new Hono<ApiEnv>()
    .post('/', async (c) => {
      const body = await readScheduleManifests(c);
      const { manifests } = body;
      await assertReferencesExist(deps, body);
      const dryRun = flag('dry_run', c.req.query('dry_run'));
      const prune = flag('prune', c.req.query('prune')) ? await idsMissingFrom(deps, manifests) : [];
      const schedules = await scheduleCatalog.applyAll(deps.store, { manifests, prune, dryRun }, () =>
        commitFor(c, deps),
      );
      const created = !dryRun && schedules.some((s) => s.status === 'created');
      return c.json(
        { schedules, seq: Math.max(0, ...schedules.map((s) => s.seq)), dry_run: dryRun },
        created ? 201 : 200,
      );
    })
    .get('/', async (c) => {
      const enabled = c.req.query('enabled');
      const job_id = c.req.query('job_id');
      const schedules = await listSchedules(deps.readModels.db(), {
        ...(enabled === undefined ? {} : { enabled: flag('enabled', enabled) }),
        ...(job_id === undefined ? {} : { job_id }),
      });
      return c.json({
        schedules: schedules.map((s) => {
          const { next: _, ...view } = withNext(s, 1);
          return view;
        }),
      } satisfies ScheduleList);
    })
    .get('/:id', async (c) => {
      const id = knownId(c.req.param('id'));
      const schedule = await getSchedule(deps.readModels.db(), id);
      if (schedule === undefined) throw notFound(id);
      if (/\b(application|text)\/(x-)?yaml\b/.test(c.req.header('Accept') ?? ''))
        return c.body(stringify(schedule.manifest), 200, { 'Content-Type': 'application/yaml; charset=utf-8' });
      const preview = integer('preview', c.req.query('preview'), 1, MAX_PREVIEW) ?? 5;
      const fires = await scheduleFires(deps.readModels.db(), id, FIRES_SHOWN);
      const { next, ...view } = withNext(schedule, preview);
      return c.json({ ...view, next_fires: next, fires } satisfies ScheduleDetail);
    })
    .delete('/:id', async (c) => {
      const schedule_id = knownId(c.req.param('id'));
      return c.json(
        await scheduleCatalog.run(deps.store, { type: 'DeleteSchedule', data: { schedule_id } }, commitFor(c, deps)),
      );
    })
    .post('/:id/enable', async (c) => {
      const schedule_id = knownId(c.req.param('id'));
      return c.json(
        await scheduleCatalog.run(deps.store, { type: 'EnableSchedule', data: { schedule_id } }, commitFor(c, deps)),
      );
    })
    .post('/:id/disable', async (c) => {
      const schedule_id = knownId(c.req.param('id'));
      return c.json(
        await scheduleCatalog.run(deps.store, { type: 'DisableSchedule', data: { schedule_id } }, commitFor(c, deps)),
      );
    });
};

// A schedule must name a job of the catalog (checked against the job streams, not a read model) and
// groups some approved agent is in, like an exec; each problem points at its manifest's line.
const assertReferencesExist = async (deps: ApiDeps, body: ManifestBody<ScheduleManifest>) => {
  const agents = await knownAgents(deps);
  const issues: Issue[] = [];
  for (const [index, m] of body.manifests.entries()) {
    const { state } = await deps.store.aggregateStream(jobStreamName(m.job_id), { evolve, initialState });
    if (state.status !== 'active')
      issues.push(body.issueAt(index, { path: 'job_id', message: `job ${m.job_id} is not in the catalog` }));
    for (const issue of unknownGroupIssues(namedGroups(m.target, m.rollout?.waves), agents))
      issues.push(body.issueAt(index, issue));
  }
  if (issues.length > 0)
    throw new RequestRejected(422, 'invalid-manifest', 'the schedules name jobs or groups that do not exist', issues);
};

const idsMissingFrom = async (deps: ApiDeps, manifests: readonly ScheduleManifest[]): Promise<string[]> => {
  if (manifests.length === 0)
    throw new RequestRejected(
      422,
      'empty-prune',
      'refusing to prune with no manifests: that would delete every schedule',
      [{ path: '', message: 'send at least one manifest with prune=true' }],
    );
  await readModelsCaughtUp(deps);
  const keep = new Set(manifests.map((m) => m.id));
  return (await listSchedules(deps.readModels.db())).map((s) => s.schedule_id).filter((id) => !keep.has(id));
};

/** Refuses to delete jobs that schedules still run (409), naming the schedules. */
export const assertNoScheduleRuns = async (deps: ApiDeps, jobIds: readonly string[]) => {
  if (jobIds.length === 0) return;
  await readModelsCaughtUp(deps);
  const wanted = new Set(jobIds);
  const users = (await listSchedules(deps.readModels.db())).filter((s) => wanted.has(s.job_id));
  if (users.length > 0) throw new JobInUse(users);
};
