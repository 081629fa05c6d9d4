import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Kysely } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { recorded } from '../../testing/projectionSpec.ts';
import { createBatchWriter } from '../batchWriter.ts';
import { openReadModelDatabase } from '../database.ts';
import type { ReadModels } from '../schema.ts';
import { agentsProjection } from './agentsProjection.ts';
import { heartbeatsProjection } from './heartbeatsProjection.ts';
import { type AgentFilter, listAgents } from './queries.ts';

const dir = mkdtempSync(join(tmpdir(), 'kanade-agent-counts-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const agent = (pc_id: string) => `agent-${pc_id}`;
const facts = (pc_id: string, groups: string[]) => ({
  pc_id,
  hostname: `host-${pc_id}`,
  os: 'linux',
  arch: 'x64',
  agent_version: '1',
  groups,
});
// A fleet that goes through every enrollment standing, group changes and key replacement.
const history = () => [
  recorded(agent('a'), 'AgentEnrolled', facts('a', ['lab', 'wave1'])),
  recorded(agent('b'), 'AgentEnrolled', facts('b', ['lab'])),
  recorded(agent('c'), 'AgentEnrollmentRequested', {
    ...facts('c', ['kiosk']),
    public_key: 'KC',
    token_id: 't',
    token_name: 'tok',
  }),
  recorded(agent('d'), 'AgentEnrollmentRequested', {
    ...facts('d', ['lab']),
    public_key: 'KD',
    token_id: 't',
    token_name: 'tok',
  }),
  recorded(agent('d'), 'AgentApproved', { pc_id: 'd', public_key: 'KD', groups: ['wave1'], auto_approved: false }),
  recorded(agent('e'), 'AgentEnrollmentRequested', {
    ...facts('e', []),
    public_key: 'KE',
    token_id: 't',
    token_name: 'tok',
  }),
  recorded(agent('e'), 'AgentRejected', { pc_id: 'e', public_key: 'KE' }),
  recorded(agent('b'), 'AgentGroupsSet', { pc_id: 'b', groups: ['kiosk', 'wave1'], previous: ['lab'] }),
  recorded(agent('a'), 'AgentTerminated', { pc_id: 'a' }),
  recorded(agent('d'), 'AgentEnrollmentRequested', {
    ...facts('d', ['lab']),
    public_key: 'KD2',
    token_id: 't',
    token_name: 'tok',
  }),
  recorded(agent('zz'), 'AgentApproved', { pc_id: 'zz', public_key: 'KZ', groups: ['lab'], auto_approved: false }),
];
const beat = (pc_id: string, at: string, version = '1') =>
  recorded(`hb-${pc_id}`, 'Heartbeat', {
    pc_id,
    received_at: at,
    at,
    agent_version: version,
    hostname: pc_id,
    os: 'linux',
  });
const now = new Date('2026-11-22T12:00:00.000Z');
const filters: Omit<AgentFilter, 'now' | 'limit' | 'offset'>[] = [];
for (const status of [undefined, 'online', 'offline'] as const)
  for (const enrollment of [undefined, 'approved', 'pending', 'rejected', 'terminated'] as const)
    for (const group of [undefined, 'lab', 'wave1', 'kiosk', 'none'])
      filters.push({
        ...(status === undefined ? {} : { status }),
        ...(enrollment === undefined ? {} : { enrollment }),
        ...(group === undefined ? {} : { group }),
      });
filters.push({ q: 'host-b' }, { q: 'c', status: 'online' }, { version: '2' }, { version: '1', group: 'lab' });

// Every filter's total is the number of agents its listing shows.
const expectTotalsMatchListings = async (db: Kysely<ReadModels>) => {
  for (const f of filters) {
    const { agents, total } = await listAgents(db, { now, limit: 1000, offset: 0, ...f });
    expect({ f, total }).toEqual({ f, total: agents.length });
  }
};

describe('agent counts', () => {
  it.each([
    ['in memory (counted inline)', ':memory:'],
    ['in a file (counted on the count thread)', join(dir, 'counts.sqlite')],
  ])('give every listing filter the total its listing shows, %s', async (_name, file) => {
    const { sqlite, db } = await openReadModelDatabase(file);
    const events = history();
    createBatchWriter(sqlite, [agentsProjection]).apply(events, events.at(-1)?.seq ?? 0);
    const beats = [
      beat('b', '2026-11-22T11:59:30.000Z', '2'),
      beat('c', '2026-11-22T11:59:00.000Z'),
      beat('ghost', '2026-11-22T11:59:59.000Z'),
    ];
    createBatchWriter(sqlite, [heartbeatsProjection]).apply(beats, beats.at(-1)?.seq ?? 0);
    await expectTotalsMatchListings(db);
    // counts that are only ever read, never counted, have no row when no agent is in them
    const scopes = sqlite.prepare('SELECT scope, agents FROM agent_counts ORDER BY scope').all();
    expect(scopes).toEqual([
      { scope: 'all', agents: 5 },
      { scope: 'enrollment:approved', agents: 2 },
      { scope: 'enrollment:pending', agents: 1 },
      { scope: 'enrollment:rejected', agents: 1 },
      { scope: 'enrollment:terminated', agents: 1 },
      { scope: 'group:kiosk', agents: 2 },
      { scope: 'group:kiosk|enrollment:approved', agents: 1 },
      { scope: 'group:kiosk|enrollment:pending', agents: 1 },
      { scope: 'group:lab', agents: 1 },
      { scope: 'group:lab|enrollment:terminated', agents: 1 },
      { scope: 'group:wave1', agents: 3 },
      { scope: 'group:wave1|enrollment:approved', agents: 2 },
      { scope: 'group:wave1|enrollment:terminated', agents: 1 },
    ]);
    await db.destroy();
  });

  it('are the same whether the events come in one batch or one at a time', async () => {
    const events = history();
    const dump = async (batches: (typeof events)[]) => {
      const { sqlite, db } = await openReadModelDatabase(':memory:');
      const writer = createBatchWriter(sqlite, [agentsProjection]);
      for (const b of batches) writer.apply(b, b.at(-1)?.seq ?? 0);
      const rows = sqlite.prepare('SELECT * FROM agent_counts ORDER BY scope').all();
      await db.destroy();
      return rows;
    };
    expect(await dump(events.map((e) => [e]))).toEqual(await dump([events]));
  });
});

describe('agents queries › keyset pages', () => {
  it('walk the same agents as offsets, each page after the last pc id of the one before, with the whole total', async () => {
    const { sqlite, db } = await openReadModelDatabase(':memory:');
    const events = history();
    createBatchWriter(sqlite, [agentsProjection]).apply(events, events.at(-1)?.seq ?? 0);
    const all = (await listAgents(db, { now, limit: 1000, offset: 0 })).agents.map((a) => a.pc_id);
    const walked: string[] = [];
    let after: string | undefined;
    // bounded: a query that ignored `after` would serve the first page forever
    for (let pages = 0; pages < all.length; pages++) {
      const page = await listAgents(db, { now, limit: 2, offset: 0, ...(after === undefined ? {} : { after }) });
      expect(page.total).toBe(all.length);
      walked.push(...page.agents.map((a) => a.pc_id));
      if (page.agents.length < 2) break;
      after = page.agents.at(-1)?.pc_id;
    }
    expect(walked).toEqual(all);
    await db.destroy();
  });
});

describe('agents queries › totals on a file', () => {
  it('follow the agents at once, and heartbeats within TOTAL_TRAILS_MS', async () => {
    const { sqlite, db } = await openReadModelDatabase(join(dir, 'follow.sqlite'));
    const events = createBatchWriter(sqlite, [agentsProjection]);
    const heartbeats = createBatchWriter(sqlite, [heartbeatsProjection]);
    const first = recorded(agent('p'), 'AgentEnrolled', facts('p', ['lab']));
    events.apply([first], first.seq);
    const online = (at: string) => listAgents(db, { now: new Date(at), limit: 1, offset: 0, status: 'online' });
    expect((await online('2026-11-22T12:00:00.000Z')).total).toBe(0);
    const b = beat('p', '2026-11-22T11:59:59.000Z');
    heartbeats.apply([b], b.seq);
    await online('2026-11-22T12:00:01.000Z');
    expect((await online('2026-11-22T12:00:04.000Z')).total).toBe(1);
    const second = recorded(agent('q'), 'AgentEnrolled', facts('q', ['lab']));
    events.apply([second], second.seq);
    const q = await listAgents(db, {
      now: new Date('2026-11-22T12:00:04.000Z'),
      limit: 1,
      offset: 0,
      status: 'offline',
    });
    expect(q.total).toBe(1);
    expect((await listAgents(db, { now, limit: 1, offset: 0, group: 'lab' })).total).toBe(2);
    await db.destroy();
  });
});
