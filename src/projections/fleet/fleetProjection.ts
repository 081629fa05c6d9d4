import type { Kysely } from 'kysely';
import type { FleetEvent } from '../../domain/fleet/index.ts';
import type { RecordedEvent } from '../../infra/eventStore/index.ts';
import { type Projection, put } from '../projection.ts';
import type { ReadModels } from '../schema.ts';

/** The emergency stop's current state (one row, "global"). */
export const fleetProjection: Projection = {
  name: 'fleet',
  version: 1,
  apply: (event) => {
    if (!event.stream.startsWith('fleet-')) return [];
    const e = event as unknown as RecordedEvent & FleetEvent;
    const halted = e.type === 'FleetHalted';
    if (!halted && e.type !== 'FleetResumed') return [];
    return [
      put('fleet', {
        id: 'global',
        halted: halted ? 1 : 0,
        reason: e.data.reason ?? null,
        kill_running: halted && e.type === 'FleetHalted' && e.data.kill_running ? 1 : 0,
        changed_at: event.at,
        changed_by: event.actor,
        seq: event.seq,
      }),
    ];
  },
};

/** The fleet state as the API shows it. */
export type FleetView = {
  halted: boolean;
  reason: string | null;
  kill_running: boolean;
  changed_at: string | null;
  changed_by: string | null;
};

/** The current fleet state (never halted when nothing was ever recorded). */
export const getFleet = async (db: Kysely<ReadModels>): Promise<FleetView> => {
  const row = await db.selectFrom('fleet').selectAll().where('id', '=', 'global').executeTakeFirst();
  return row === undefined
    ? { halted: false, reason: null, kill_running: false, changed_at: null, changed_by: null }
    : {
        halted: row.halted === 1,
        reason: row.reason,
        kill_running: row.kill_running === 1,
        changed_at: row.changed_at,
        changed_by: row.changed_by,
      };
};
