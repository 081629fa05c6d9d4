import { Kysely, SqliteDialect } from 'kysely';
import { describe, expect, it } from 'vitest';
import { project, recorded } from '../../testing/projectionSpec.ts';
import { createBatchWriter } from '../batchWriter.ts';
import type { ReadModels } from '../schema.ts';
import { agentsProjection } from './agentsProjection.ts';
import { heartbeatsProjection } from './heartbeatsProjection.ts';
import { listAgents } from './queries.ts';

const projections = [agentsProjection, heartbeatsProjection];
const enrolled = (pc_id: string, groups: string[]) =>
  recorded(`agent-${pc_id}`, 'AgentEnrolled', {
    pc_id,
    hostname: pc_id,
    os: 'linux',
    arch: 'x64',
    agent_version: '1',
    groups,
  });
const heartbeat = (pc_id: string, at: string) =>
  recorded(`hb-${pc_id}`, 'Heartbeat', {
    pc_id,
    received_at: at,
    at,
    agent_version: '1',
    hostname: pc_id,
    os: 'linux',
  });
const now = new Date('2026-11-22T12:00:00.000Z');

describe('agents queries › the total of a filter', () => {
  it('follows every change of the read models, though it is kept between requests', async () => {
    const sqlite = await project(projections, [enrolled('a', ['lab']), enrolled('b', ['lab']), enrolled('c', [])]);
    const db = new Kysely<ReadModels>({ dialect: new SqliteDialect({ database: sqlite }) });
    const page = (f: { group?: string; status?: 'online' }) => listAgents(db, { now, limit: 1, offset: 0, ...f });
    expect((await page({ group: 'lab' })).total).toBe(2);
    expect((await page({})).total).toBe(3);
    expect((await page({ status: 'online' })).total).toBe(0);
    const events = createBatchWriter(sqlite, [agentsProjection]);
    const heartbeats = createBatchWriter(sqlite, [heartbeatsProjection]);
    const more = enrolled('d', ['lab']);
    events.apply([more], more.seq);
    expect((await page({ group: 'lab' })).total).toBe(3);
    const beat = heartbeat('a', '2026-11-22T11:59:30.000Z');
    heartbeats.apply([beat], beat.seq);
    // a heartbeat shows in the online total within TOTAL_TRAILS_MS (the flag itself is judged to the second)
    await listAgents(db, { now: new Date('2026-11-22T12:00:01.000Z'), limit: 1, offset: 0, status: 'online' });
    const soon = await listAgents(db, {
      now: new Date('2026-11-22T12:00:04.000Z'),
      limit: 1,
      offset: 0,
      status: 'online',
    });
    expect(soon.total).toBe(1);
    // time alone moves agents offline: the total is per second of `now`, not only per change
    const later = await listAgents(db, {
      now: new Date('2026-11-22T12:01:40.000Z'),
      limit: 1,
      offset: 0,
      status: 'online',
    });
    expect(later.total).toBe(0);
  });
});
