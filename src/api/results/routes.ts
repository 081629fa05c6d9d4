import { Hono } from 'hono';
import * as v from 'valibot';
import { closest } from '../../domain/shared/index.ts';
import {
  getResult,
  listResults,
  RESULT_STATUSES,
  type ResultFilter,
  type ResultStatus,
} from '../../projections/index.ts';
import type { Result, ResultList } from '../contract.ts';
import type { ApiDeps, ApiEnv } from '../env.ts';
import { RequestRejected } from '../errors.ts';
import { integer, time } from '../query.ts';

/** `/api/results`: one row per run and PC, newest first (kanade's filters). */
export const resultRoutes = (deps: ApiDeps) =>
  new Hono<ApiEnv>()
    .get('/', async (c) => {
      const q = c.req.query();
      const status = q.status;
      if (status !== undefined && !v.is(v.picklist(RESULT_STATUSES), status)) {
        const near = closest(status, RESULT_STATUSES);
        const message = `must be one of ${RESULT_STATUSES.join(', ')}${near === undefined ? '' : ` (did you mean ${near}?)`}`;
        throw new RequestRejected(400, 'bad-query', `status ${message}`, [{ path: 'status', message }]);
      }
      const since = time('since', q.since);
      const filter: ResultFilter = {
        limit: integer('limit', q.limit, 1, 1000) ?? 50,
        ...(q.pc_id === undefined ? {} : { pc_id: q.pc_id }),
        ...(q.job_id === undefined ? {} : { job_id: q.job_id }),
        ...(q.exec_id === undefined ? {} : { exec_id: q.exec_id }),
        ...(status === undefined ? {} : { status: status as ResultStatus }),
        ...(since === undefined ? {} : { since }),
      };
      return c.json({ results: await listResults(deps.readModels.db(), filter) } satisfies ResultList);
    })
    .get('/:resultId', async (c) => {
      const result = await getResult(deps.readModels.db(), c.req.param('resultId'));
      if (result === undefined)
        throw new RequestRejected(404, 'result-not-found', `no result ${c.req.param('resultId')}`);
      return c.json(result satisfies Result);
    });
