import type { Kysely, Selectable } from 'kysely';
import type { EventLogTable, ReadModels } from '../schema.ts';

/**
 * Filters for the audit log: `after` pages oldest first from a sequence; without it, the newest
 * `limit` events (before `before`, when given). `since`/`until` bound the event time (RFC 3339).
 */
export type EventFilter = {
  after?: number;
  before?: number;
  limit: number;
  type?: string;
  /** An actor; a person's name also matches their tokens (`alice` finds `alice:ci`). */
  actor?: string;
  stream?: string;
  since?: string;
  until?: string;
};

/** One event of the audit log: who did what, when, through which channel, summarised. */
export type LoggedEvent = Selectable<EventLogTable>;

/** Audit-log rows, oldest first (newest last). */
export const listEvents = async (db: Kysely<ReadModels>, filter: EventFilter): Promise<LoggedEvent[]> => {
  let query = db.selectFrom('event_log').selectAll();
  if (filter.type !== undefined) query = query.where('type', '=', filter.type);
  // A person's events include those of their tokens (`alice` matches `alice` and `alice:<token>`).
  if (filter.actor !== undefined) {
    const person = filter.actor;
    query = query.where((eb) =>
      eb.or([
        eb('actor', '=', person),
        eb(eb.fn('substr', ['actor', eb.val(1), eb.val(person.length + 1)]), '=', `${person}:`),
      ]),
    );
  }
  if (filter.stream !== undefined) query = query.where('stream', '=', filter.stream);
  if (filter.since !== undefined) query = query.where('at', '>=', filter.since);
  if (filter.until !== undefined) query = query.where('at', '<', filter.until);
  if (filter.before !== undefined) query = query.where('seq', '<', filter.before);
  if (filter.after !== undefined) {
    const page = await query
      .where('seq', '>', filter.after)
      .orderBy('seq')
      .orderBy('idx')
      .limit(filter.limit)
      .execute();
    const last = page.at(-1);
    if (last === undefined || page.length < filter.limit) return page;
    // Never end a page inside a commit: `after` is a commit sequence, so the rest would be skipped.
    const rest = await query.where('seq', '=', last.seq).where('idx', '>', last.idx).orderBy('idx').execute();
    return [...page, ...rest];
  }
  const newest = await query.orderBy('seq', 'desc').orderBy('idx', 'desc').limit(filter.limit).execute();
  const oldest = newest.at(-1);
  if (oldest === undefined || newest.length < filter.limit) return newest.reverse();
  // The same for paging back with `before`: a page never ends inside a commit.
  const rest = await query.where('seq', '=', oldest.seq).where('idx', '<', oldest.idx).orderBy('idx', 'desc').execute();
  return [...newest, ...rest].reverse();
};
