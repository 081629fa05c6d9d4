import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstream } from '@nats-io/jetstream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeCommit } from '../../src/infra/eventStore/index.ts';
import { type AgentProcess, eventually, startAgentProcess } from '../../src/testing/agentProcess.ts';
import { agentsOnline, apiOf, shJob } from '../../src/testing/api.ts';
import { rebuildChecksums } from '../../src/testing/rebuild.ts';
import { useTestServer } from '../../src/testing/server.ts';

// One bad record of each kind, planted straight into the event stream (with the server's own broker
// credential: what a bug in an older server, or a hand-made repair, could leave behind). Each
// background loop must record it, go past it, and keep the rest of the fleet working.
const sandbox = useTestServer();
const api = apiOf(sandbox);
const dir = mkdtempSync(join(tmpdir(), 'kanade-poison-'));
let agent: AgentProcess;

type Health = {
  status: string;
  read_models: { skipped_events: number };
  projections: { name: string; errors: number }[];
  background: { loop: string; state: string; stuck: { item: string; error: string }[] }[];
};

const plant = async (subject: string, type: string, data: Record<string, unknown>) => {
  const nc = await sandbox.nats.connect();
  try {
    const commit = { id: `poison-${type}-${Math.random()}`, actor: 'admin', at: new Date().toISOString(), via: 'cli' };
    await jetstream(nc).publish(subject, encodeCommit(commit, [{ type, data }]));
  } finally {
    await nc.close();
  }
};

beforeAll(async () => {
  agent = startAgentProcess({ id: 'pc-a', groups: ['lab'], sandbox, dataDir: join(dir, 'pc-a') });
  await api('POST', '/api/jobs', shJob('hello', 'echo hello'));
  await agentsOnline(sandbox, 1);
}, 60_000);

afterAll(async () => {
  await agent.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('one poison record per background loop', () => {
  it('is recorded and gone past; everybody else keeps working', { timeout: 60_000 }, async () => {
    // The views writer and the job projection: a job id that is not a string.
    await plant('kanade.ev.job.poison', 'JobRevoked', { job_id: 42, version: '1', reason: 'poison' });
    await plant('kanade.ev.job.poison2', 'JobRevoked', { job_id: 'j'.repeat(5000), version: '1', reason: 'poison' });
    // The dispatcher: an exec whose command cannot be signed or published (there is none).
    await plant('kanade.ev.exec.01POISONPOISONPOISON00000', 'ExecRequested', {
      exec_id: '01POISONPOISONPOISON00000',
      kind: 'job',
      job_id: 'hello',
      version: '1',
      request_id: '01POISONPOISONPOISON00000',
      target: { pcs: ['pc-a'] },
      pcs: ['pc-a'],
      target_count: 1,
      command: null,
    });
    // The scheduler: a schedule whose cron cannot be read.
    await plant('kanade.ev.schedule.poison', 'ScheduleCreated', {
      schedule_id: 'poison',
      manifest: {
        id: 'poison',
        cron: 'every full moon',
        tz: 'Mars/Olympus',
        job_id: 'hello',
        target: { all: true },
        mode: 'every_tick',
        enabled: true,
      },
    });
    // The reaper: a run that started at a time that is not a time.
    await plant('kanade.ev.run.pc-a.poisonrun', 'RunStarted', {
      result_id: 'poisonrun',
      exec_id: '01POISONPOISONPOISON00000',
      request_id: '01POISONPOISONPOISON00000',
      job_id: 'hello',
      version: '1',
      pc_id: 'pc-a',
      started_at: 'yesterday-ish',
    });

    // Everybody else keeps working: a real exec runs to the end.
    const { exec_id } = await api<{ exec_id: string }>('POST', '/api/exec/hello', { target: { pcs: ['pc-a'] } });
    const done = await eventually(
      async () => {
        const e = await api<{ status: string; results: { outcome: string }[] }>('GET', `/api/executions/${exec_id}`);
        return e.status === 'completed' ? e : false;
      },
      30_000,
      'a real exec to finish beside the poison',
    );
    expect(done.results).toEqual([expect.objectContaining({ outcome: 'succeeded' })]);
    expect((await sandbox.server.api('POST', '/api/jobs', shJob('after', 'echo after'))).status).toBe(201);

    // …and the poison is on record where an operator looks: the loops list what they went past, the
    // read boundary counts what it refused (the bad job ids and the run with no time never reach the
    // views writer or the reaper). Health stays ok: one bad record is not an outage.
    const health = await eventually(
      async () => {
        const h = (await (await fetch(`${sandbox.server.url}/health`)).json()) as Health;
        const stuck = (loop: string) => h.background.find((b) => b.loop === loop)?.stuck.map((s) => s.item) ?? [];
        return stuck('dispatcher').length > 0 && stuck('scheduler').length > 0 ? h : false;
      },
      15_000,
      'the poison to be listed in /health',
    );
    expect(health.status).toBe('ok');
    const loop = (name: string) => health.background.find((b) => b.loop === name);
    expect(loop('dispatcher')).toMatchObject({ state: 'ok', stuck: [{ item: 'exec 01POISONPOISONPOISON00000' }] });
    expect(loop('scheduler')).toMatchObject({ state: 'ok', stuck: [{ item: 'schedule poison' }] });
    expect(loop('views')).toMatchObject({ state: 'ok', stuck: [] });
    expect(loop('reaper')).toMatchObject({ state: 'ok', stuck: [] });
    expect(health.projections.find((p) => p.name === 'boundary')?.errors).toBe(3);
    expect(health.projections.filter((p) => p.name !== 'boundary' && p.errors > 0)).toEqual([]);
  });

  it('rebuilds to identical tables, poison included', async () => {
    const { before, after } = await rebuildChecksums(sandbox, ['jobs', 'executions', 'schedules', 'results']);
    expect(after).toEqual(before);
  });
});
