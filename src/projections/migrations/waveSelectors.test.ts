import Database from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import { Migrator } from 'kysely/migration';
import { describe, expect, it } from 'vitest';
import { migrations } from './index.ts';

const WAVES = '2026_12_02_0016_wave_selectors';

describe(`migration ${WAVES}`, () => {
  it('keeps the waves of a file from before, lets group_name be null and adds selector', async () => {
    const sqlite = new Database(':memory:');
    const db = new Kysely<unknown>({ dialect: new SqliteDialect({ database: sqlite }) });
    const before = Object.fromEntries(Object.entries(migrations).filter(([name]) => name < WAVES));
    await new Migrator({ db, provider: { getMigrations: async () => before } }).migrateToLatest();
    sqlite
      .prepare(
        `INSERT INTO exec_waves (exec_id, wave, group_name, target_count, due_at, deadline_at, status, gate_waived,
           dispatched_at, halted_reason, started, running, succeeded, failed, skipped, seq)
         VALUES ('e1', 0, 'canary', 2, '2026-01-01T00:00:00.000Z', NULL, 'scheduled', 0, NULL, NULL, 1, 1, 0, 0, 0, 7)`,
      )
      .run();
    const { error } = await new Migrator({ db, provider: { getMigrations: async () => migrations } }).migrateToLatest();
    expect(error).toBeUndefined();
    expect(sqlite.prepare('SELECT * FROM exec_waves').all()).toEqual([
      {
        exec_id: 'e1',
        wave: 0,
        group_name: 'canary',
        selector: null,
        target_count: 2,
        due_at: '2026-01-01T00:00:00.000Z',
        deadline_at: null,
        status: 'scheduled',
        gate_waived: 0,
        dispatched_at: null,
        halted_reason: null,
        started: 1,
        running: 1,
        succeeded: 0,
        failed: 0,
        skipped: 0,
        seq: 7,
      },
    ]);
    sqlite
      .prepare(
        `INSERT INTO exec_waves (exec_id, wave, group_name, selector, target_count, due_at, status, gate_waived,
           started, running, succeeded, failed, skipped, seq)
         VALUES ('e1', 1, NULL, 'os.family == "linux"', 0, '2026-01-01T00:10:00.000Z', 'scheduled', 0, 0, 0, 0, 0, 0, 8)`,
      )
      .run();
    const index = sqlite.prepare("SELECT sql FROM sqlite_master WHERE name = 'exec_waves_due'").pluck().get();
    expect(index).toMatch(/\("due_at"\) where "status" = 'scheduled'/i);
    await db.destroy();
  });
});
