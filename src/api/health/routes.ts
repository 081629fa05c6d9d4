import { Hono } from 'hono';
import { EVENTS_STREAM } from '../../infra/nats/streams.ts';
import type { ApiDeps, ApiEnv } from '../env.ts';

/** `/health`: is NATS reachable, and how far behind its stream is each projection. No token needed. */
export const healthRoutes = (deps: ApiDeps) =>
  new Hono<ApiEnv>().get('/', async (c) => {
    const models = deps.readModels.status();
    const streams = [...new Set([EVENTS_STREAM, ...models.projections.map((p) => p.stream).filter(Boolean)])];
    const heads = new Map(await Promise.all(streams.map(async (s) => [s, await streamHead(deps, s)] as const)));
    const head = heads.get(EVENTS_STREAM);
    const nats = {
      connected: head !== undefined,
      server: deps.nc.info?.server_name ?? null,
      version: deps.nc.info?.version ?? null,
    };
    const projections = models.projections.map((p) => {
      const last = heads.get(p.stream);
      return { ...p, lag: last === undefined ? null : Math.max(0, last - p.seq) };
    });
    const background = deps.background?.() ?? [];
    const healthy =
      nats.connected &&
      models.state === 'live' &&
      projections.every((p) => p.state !== 'failed') &&
      background.every((b) => b.state === 'ok');
    const body = {
      status: healthy ? 'ok' : 'degraded',
      // The one reason an operator must act on at once, when there is one.
      ...(models.stream_problem === undefined
        ? {}
        : {
            problem: `${models.stream_problem}: the read models are not served and writes are refused; restore the stream, or rebuild on purpose (kanade projections rebuild)`,
          }),
      nats,
      stream: { name: EVENTS_STREAM, last_seq: head ?? null },
      read_models: {
        state: models.state,
        seq: models.seq,
        skipped_events: models.skipped_events,
        ...(models.stream_problem === undefined ? {} : { stream_problem: models.stream_problem }),
        ...(models.rebuild === undefined ? {} : { rebuild: models.rebuild }),
      },
      projections,
      // Loops that fail as a whole turn health red; items they skipped (and go on past) are listed.
      background,
    };
    return c.json(body, healthy ? 200 : 503);
  });

const streamHead = async (deps: ApiDeps, stream: string): Promise<number | undefined> => {
  if (deps.nc.isClosed()) return undefined;
  try {
    return (await deps.jsm.streams.info(stream)).state.last_seq;
  } catch {
    return undefined;
  }
};
