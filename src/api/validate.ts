import type { Context } from 'hono';
import * as v from 'valibot';
import { toIssues } from '../manifests/index.ts';
import { readJsonObject } from './body.ts';
import { RequestRejected } from './errors.ts';

/** Reads a JSON body and validates it strictly; every problem is reported with its path (422). */
export const validBody = async <S extends v.GenericSchema>(c: Context, schema: S): Promise<v.InferOutput<S>> => {
  const parsed = v.safeParse(schema, await readJsonObject(c));
  if (!parsed.success)
    throw new RequestRejected(
      422,
      'invalid-body',
      'the request body is not valid',
      toIssues(parsed.issues, {}, schema),
    );
  return parsed.output;
};
