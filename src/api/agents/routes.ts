import { type Context, Hono } from 'hono';
import { type AgentCommand, agentDecider, agentStreamName } from '../../domain/agents/index.ts';
import { isPcId } from '../../domain/shared/index.ts';
import { commandHandlerFor } from '../../infra/eventStore/index.ts';
import { pingAgent } from '../../infra/nats/ping.ts';
import { getAgent, getAgentFacts, listAgents, listGroups, listResults } from '../../projections/index.ts';
import { commitFor } from '../commit.ts';
import { agentConfig } from '../config/effective.ts';
import type { AgentConfig, AgentDetail, AgentFacts, AgentPage, GroupList } from '../contract.ts';
import type { ApiDeps, ApiEnv } from '../env.ts';
import { RequestRejected } from '../errors.ts';
import { approveBodySchema, groupsBodySchema, reasonBodySchema, rejectBodySchema } from '../execs/schemas.ts';
import { integer } from '../query.ts';
import { validBody } from '../validate.ts';

const handleAgent = commandHandlerFor(agentDecider);
const PING_TIMEOUT_MS = 5_000;
const ENROLLMENT = ['pending', 'approved', 'rejected', 'terminated'] as const;

const notFound = (pc: string) => new RequestRejected(404, 'agent-not-found', `no agent ${pc} has enrolled`);

/** `/api/groups`: every group agents are in, with member counts (online and all). */
export const groupRoutes = (deps: ApiDeps) =>
  new Hono<ApiEnv>().get('/', async (c) =>
    c.json({ groups: await listGroups(deps.readModels.db(), deps.now()) } satisfies GroupList),
  );

const oneOf = <T extends string>(name: string, raw: string | undefined, allowed: readonly T[]): T | undefined => {
  if (raw === undefined) return undefined;
  if ((allowed as readonly string[]).includes(raw)) return raw as T;
  throw new RequestRejected(400, 'bad-query', `${name} must be one of ${allowed.join(', ')}`, [
    { path: name, message: `must be one of ${allowed.join(', ')}` },
  ]);
};

/** `/api/agents`: the fleet, one agent, its groups, enrollment decisions, and a ping. */
export const agentRoutes = (deps: ApiDeps) => {
  // Runs one command on an agent's stream, as the requester; answers what changed.
  const decide = async (c: Context<ApiEnv>, command: AgentCommand) => {
    const handled = await handleAgent(deps.store, agentStreamName(command.data.pc_id), command, commitFor(c, deps));
    return {
      pc_id: command.data.pc_id,
      enrollment: handled.state.status,
      groups: handled.state.groups,
      status: handled.events.length > 0 ? 'updated' : 'unchanged',
      seq: handled.seq,
    };
  };
  const pcParam = (raw: string) => {
    if (!isPcId(raw)) throw notFound(raw);
    return raw;
  };
  return new Hono<ApiEnv>()
    .get('/', async (c) => {
      const q = c.req.query();
      const status = oneOf('status', q.status, ['online', 'offline'] as const);
      const enrollment = oneOf('enrollment', q.enrollment, ENROLLMENT);
      const page = await listAgents(deps.readModels.db(), {
        now: deps.now(),
        limit: integer('limit', q.limit, 1, 1000) ?? 100,
        offset: integer('offset', q.offset, 0, Number.MAX_SAFE_INTEGER) ?? 0,
        ...(status === undefined ? {} : { status }),
        ...(enrollment === undefined ? {} : { enrollment }),
        ...(q.group === undefined ? {} : { group: q.group }),
        ...(q.q === undefined ? {} : { q: q.q }),
        ...(q.version === undefined ? {} : { version: q.version }),
        ...(q.after === undefined ? {} : { after: q.after }),
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
    .get('/:pcId/config', async (c) => {
      const pc = c.req.param('pcId');
      const agent = await getAgent(deps.readModels.db(), pc, deps.now());
      if (agent === undefined) throw notFound(pc);
      return c.json((await agentConfig(deps, pc, agent.groups)) satisfies AgentConfig);
    })
    .get('/:pcId/facts', async (c) => {
      const pc = c.req.param('pcId');
      if ((await getAgent(deps.readModels.db(), pc, deps.now())) === undefined) throw notFound(pc);
      const since = c.req.query('since');
      if (since !== undefined && Number.isNaN(Date.parse(since)))
        throw new RequestRejected(422, 'invalid-query', 'since must be a time such as 2026-12-01T00:00:00Z', [
          { path: 'since', message: 'must be an RFC 3339 time' },
        ]);
      const facts = await getAgentFacts(deps.readModels.db(), pc, {
        limit: integer('limit', c.req.query('limit'), 1, 1000) ?? 200,
        ...(since === undefined ? {} : { since: new Date(since).toISOString() }),
      });
      return c.json(facts satisfies AgentFacts);
    })
    .put('/:pcId/groups', async (c) => {
      const pc_id = pcParam(c.req.param('pcId'));
      const { groups } = await validBody(c, groupsBodySchema);
      return c.json(await decide(c, { type: 'SetAgentGroups', data: { pc_id, groups } }));
    })
    .post('/:pcId/approve', async (c) => {
      const pc_id = pcParam(c.req.param('pcId'));
      const { groups, public_key } = await validBody(c, approveBodySchema);
      const data = {
        pc_id,
        ...(groups === undefined ? {} : { groups }),
        ...(public_key === undefined ? {} : { public_key }),
      };
      return c.json(await decide(c, { type: 'ApproveAgent', data }));
    })
    .post('/:pcId/reject', async (c) => {
      const pc_id = pcParam(c.req.param('pcId'));
      const { reason, public_key } = await validBody(c, rejectBodySchema);
      const data = {
        pc_id,
        ...(reason === undefined ? {} : { reason }),
        ...(public_key === undefined ? {} : { public_key }),
      };
      return c.json(await decide(c, { type: 'RejectAgent', data }));
    })
    .post('/:pcId/terminate', async (c) => {
      const pc_id = pcParam(c.req.param('pcId'));
      const { reason } = await validBody(c, reasonBodySchema);
      return c.json(
        await decide(c, { type: 'TerminateAgent', data: { pc_id, ...(reason === undefined ? {} : { reason }) } }),
      );
    })
    .post('/:pcId/ping', async (c) => {
      const pc = pcParam(c.req.param('pcId'));
      const started = performance.now();
      const heartbeat = await pingAgent(deps.nc, pc, PING_TIMEOUT_MS);
      if (heartbeat === undefined)
        throw new RequestRejected(
          504,
          'agent-unreachable',
          `agent ${pc} did not answer within ${PING_TIMEOUT_MS / 1000} s`,
        );
      return c.json({ pc_id: pc, rtt_ms: Math.round(performance.now() - started), heartbeat });
    });
};
