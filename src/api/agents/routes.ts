import { Hono } from 'hono';
import { agentDecider, agentStreamName } from '../../domain/agents/index.ts';
import { isPcId } from '../../domain/shared/index.ts';
import { commandHandlerFor } from '../../infra/eventStore/index.ts';
import { pingSubject } from '../../infra/nats/subjects.ts';
import { getAgent, listAgents, listGroups, listResults } from '../../projections/index.ts';
import { commitFor } from '../commit.ts';
import type { AgentDetail, AgentPage, GroupList } from '../contract.ts';
import type { ApiDeps, ApiEnv } from '../env.ts';
import { RequestRejected } from '../errors.ts';
import { groupsBodySchema } from '../execs/schemas.ts';
import { integer } from '../query.ts';
import { validBody } from '../validate.ts';

const handleAgent = commandHandlerFor(agentDecider);
const PING_TIMEOUT_MS = 5_000;

const notFound = (pc: string) => new RequestRejected(404, 'agent-not-found', `no agent ${pc} has enrolled`);

/** `/api/groups`: every group agents are in, with member counts (online and all). */
export const groupRoutes = (deps: ApiDeps) =>
  new Hono<ApiEnv>().get('/', async (c) =>
    c.json({ groups: await listGroups(deps.readModels.db(), deps.now()) } satisfies GroupList),
  );

/** `/api/agents`: the fleet, one agent, its groups, and a ping. */
export const agentRoutes = (deps: ApiDeps) =>
  new Hono<ApiEnv>()
    .get('/', async (c) => {
      const q = c.req.query();
      if (q.status !== undefined && q.status !== 'online' && q.status !== 'offline') {
        throw new RequestRejected(400, 'bad-query', 'status must be online or offline', [
          { path: 'status', message: 'must be online or offline' },
        ]);
      }
      const page = await listAgents(deps.readModels.db(), {
        now: deps.now(),
        limit: integer('limit', q.limit, 1, 1000) ?? 100,
        offset: integer('offset', q.offset, 0, Number.MAX_SAFE_INTEGER) ?? 0,
        ...(q.status === undefined ? {} : { status: q.status }),
        ...(q.group === undefined ? {} : { group: q.group }),
        ...(q.q === undefined ? {} : { q: q.q }),
        ...(q.version === undefined ? {} : { version: q.version }),
      });
      c.header('X-Total-Count', String(page.total));
      return c.json(page satisfies AgentPage);
    })
    .get('/:pcId', async (c) => {
      const pc = c.req.param('pcId');
      const agent = await getAgent(deps.readModels.db(), pc, deps.now());
      if (agent === undefined) throw notFound(pc);
      const recent = await listResults(deps.readModels.db(), { pc_id: pc, limit: 20 });
      return c.json({ ...agent, recent_results: recent } satisfies AgentDetail);
    })
    .put('/:pcId/groups', async (c) => {
      const pc_id = c.req.param('pcId');
      if (!isPcId(pc_id)) throw notFound(pc_id);
      const { groups } = await validBody(c, groupsBodySchema);
      const handled = await handleAgent(
        deps.store,
        agentStreamName(pc_id),
        { type: 'SetAgentGroups', data: { pc_id, groups } },
        commitFor(c, deps),
      );
      const state = handled.state;
      return c.json({
        pc_id,
        groups: state.enrolled ? state.groups : [],
        status: handled.events.length > 0 ? 'updated' : 'unchanged',
        seq: handled.seq,
      });
    })
    .post('/:pcId/ping', async (c) => {
      const pc = c.req.param('pcId');
      if (!isPcId(pc)) throw notFound(pc);
      const started = performance.now();
      try {
        const reply = await deps.nc.request(pingSubject(pc), '', { timeout: PING_TIMEOUT_MS });
        return c.json({ pc_id: pc, rtt_ms: Math.round(performance.now() - started), heartbeat: reply.json() });
      } catch {
        throw new RequestRejected(
          504,
          'agent-unreachable',
          `agent ${pc} did not answer within ${PING_TIMEOUT_MS / 1000} s`,
        );
      }
    });
