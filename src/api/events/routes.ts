import { Hono } from 'hono';
import { decodeCommit, streamNameOf } from '../../infra/eventStore/index.ts';
import { EVENTS_STREAM } from '../../infra/nats/streams.ts';
import { listEvents } from '../../projections/index.ts';
import type { CommitDetail, EventPage } from '../contract.ts';
import type { ApiDeps, ApiEnv } from '../env.ts';
import { RequestRejected } from '../errors.ts';
import { integer, time } from '../query.ts';

/** `/api/events`: the audit log (from the read model), and any commit in full (from the stream itself). */
export const eventRoutes = (deps: ApiDeps) =>
  new Hono<ApiEnv>()
    .get('/', async (c) => {
      const after = integer('after', c.req.query('after'), 0, Number.MAX_SAFE_INTEGER);
      const limit = integer('limit', c.req.query('limit'), 1, 1000) ?? 100;
      const type = c.req.query('type');
      const actor = c.req.query('actor');
      const stream = c.req.query('stream');
      const before = integer('before', c.req.query('before'), 1, Number.MAX_SAFE_INTEGER);
      const since = time('since', c.req.query('since'));
      const until = time('until', c.req.query('until'));
      const at = deps.readModels.position(); // read before the query: everything up to it is in the answer
      const events = await listEvents(deps.readModels.db(), {
        limit,
        ...(after === undefined ? {} : { after }),
        ...(type === undefined ? {} : { type }),
        ...(actor === undefined ? {} : { actor }),
        ...(stream === undefined ? {} : { stream }),
        ...(before === undefined ? {} : { before }),
        ...(since === undefined ? {} : { since }),
        ...(until === undefined ? {} : { until }),
      });
      const last = events.at(-1);
      // A short page holds every match up to `at`, so the next page starts after it (a filter that
      // matches nothing must not make followers spin on the same cursor).
      const nextAfter = events.length < limit ? Math.max(last?.seq ?? 0, after ?? 0, at) : (last?.seq ?? at);
      return c.json({ events, next_after: nextAfter } satisfies EventPage);
    })
    .get('/:seq', async (c) => {
      const seq = integer('seq', c.req.param('seq'), 1, Number.MAX_SAFE_INTEGER) as number;
      const message = await deps.jsm.streams.getMessage(EVENTS_STREAM, { seq });
      if (message === null) throw new RequestRejected(404, 'event-not-found', `no commit at seq ${seq}`);
      const stream = streamNameOf(message.subject) ?? message.subject;
      const events = decodeCommit(stream, seq, message.string());
      return c.json({ seq, subject: message.subject, stream, events } satisfies CommitDetail);
    });
