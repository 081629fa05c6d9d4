import type { MiddlewareHandler } from 'hono';
import { ReadModelsBehind } from '../app/readModels.ts';
import { EVENTS_STREAM } from '../infra/nats/streams.ts';
import type { ApiDeps, ApiEnv } from './env.ts';
import { RequestRejected } from './errors.ts';

const DEFAULT_WAIT_MS = 5_000;

/**
 * Read-your-writes: a GET with `min_seq=N` waits (bounded) until the read models have applied N;
 * `min_seq=latest` waits for whatever the stream holds right now. Every answer says how far the read
 * models are in `Kanade-Seq`.
 */
export const consistentReads = (deps: ApiDeps): MiddlewareHandler<ApiEnv> =>
  async function consistentRead(c, next) {
    const raw = c.req.query('min_seq');
    if (c.req.method === 'GET' && raw !== undefined) {
      const wanted =
        raw === 'latest'
          ? (await deps.jsm.streams.info(EVENTS_STREAM)).state.last_seq
          : /^\d{1,15}$/.test(raw)
            ? Number(raw)
            : Number.NaN;
      if (Number.isNaN(wanted)) {
        throw new RequestRejected(400, 'bad-query', 'min_seq must be a non-negative integer or "latest"', [
          { path: 'min_seq', message: 'must be a non-negative integer or "latest"' },
        ]);
      }
      const reached = await deps.readModels.waitFor(wanted, deps.minSeqWaitMs ?? DEFAULT_WAIT_MS);
      if (!reached) throw new ReadModelsBehind(wanted, deps.readModels.position());
    }
    await next();
    // On the response's own headers: c.header() after the handler rebuilds the response as a stream,
    // which cost more than the agents listing's query (measured at 50,000 agents).
    c.res.headers.set('Kanade-Seq', String(deps.readModels.position()));
  };
