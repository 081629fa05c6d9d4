import { Hono } from 'hono';
import * as v from 'valibot';
import { FLEET_STREAM, fleetDecider } from '../../domain/fleet/index.ts';
import { commandHandlerFor } from '../../infra/eventStore/index.ts';
import { getFleet } from '../../projections/index.ts';
import { commitFor } from '../commit.ts';
import type { ApiDeps, ApiEnv } from '../env.ts';
import { validBody } from '../validate.ts';

const handleFleet = commandHandlerFor(fleetDecider);

const haltSchema = v.strictObject({
  reason: v.pipe(v.string('must be a string'), v.minLength(1, 'say why the fleet is halted'), v.maxLength(500)),
  kill_running: v.optional(v.boolean('must be true or false'), false),
});
const resumeSchema = v.strictObject({ reason: v.optional(v.pipe(v.string(), v.maxLength(500))) });

/** `/api/fleet`: the emergency stop. Agents obey the flag in KV, with or without the server. */
export const fleetRoutes = (deps: ApiDeps) =>
  new Hono<ApiEnv>()
    .get('/', async (c) => c.json(await getFleet(deps.readModels.db())))
    .post('/halt', async (c) => {
      const body = await validBody(c, haltSchema);
      const handled = await handleFleet(
        deps.store,
        FLEET_STREAM,
        { type: 'HaltFleet', data: body },
        commitFor(c, deps),
      );
      return c.json({
        halted: true,
        kill_running: handled.state.killRunning,
        status: handled.events.length > 0 ? 'halted' : 'unchanged',
        seq: handled.seq,
      });
    })
    .post('/resume', async (c) => {
      const { reason } = await validBody(c, resumeSchema);
      const handled = await handleFleet(
        deps.store,
        FLEET_STREAM,
        { type: 'ResumeFleet', data: reason === undefined ? {} : { reason } },
        commitFor(c, deps),
      );
      return c.json({ halted: false, status: handled.events.length > 0 ? 'resumed' : 'unchanged', seq: handled.seq });
    });
