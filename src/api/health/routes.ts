import { Hono } from 'hono';
import { EVENTS_STREAM } from '../../infra/nats/streams.ts';
import type { ApiDeps, ApiEnv } from '../env.ts';

/** `/health`: is NATS reachable, and how far behind the stream is each projection. No token needed. */
export const healthRoutes = (deps: ApiDeps) =>
  new Hono<ApiEnv>().get('/', async (c) => {
    const head = await streamHead(deps);
    const models = deps.readModels.status();
    const nats = {
      connected: head !== undefined,
      server: deps.nc.info?.server_name ?? null,
      version: deps.nc.info?.version ?? null,
    };
    const projections = models.projections.map((p) => ({
      ...p,
      lag: head === undefined ? null : Math.max(0, head - p.seq),
    }));
    const healthy = nats.connected && models.state === 'live' && projections.every((p) => p.state !== 'failed');
    const body = {
      status: healthy ? 'ok' : 'degraded',
      nats,
      stream: { name: EVENTS_STREAM, last_seq: head ?? null },
      read_models: {
        state: models.state,
        seq: models.seq,
        ...(models.rebuild === undefined ? {} : { rebuild: models.rebuild }),
      },
      projections,
    };
    return c.json(body, healthy ? 200 : 503);
  });

const streamHead = async (deps: ApiDeps): Promise<number | undefined> => {
  if (deps.nc.isClosed()) return undefined;
  try {
    return (await deps.jsm.streams.info(EVENTS_STREAM)).state.last_seq;
  } catch {
    return undefined;
  }
};
