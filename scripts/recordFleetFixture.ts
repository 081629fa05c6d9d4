// Records fixtures/events/fleet.ndjson: agents, execs (plain, in waves, halted and resumed, aborted,
// killed), ad-hoc runs, the emergency stop and schedules, driven through a real server, real agent
// processes and a real nats-server, then dumped commit by commit. Run it again
// (node scripts/recordFleetFixture.ts) only when the history should change; then update the golden file.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { eventually, startAgentProcess } from '../src/testing/agentProcess.ts';
import { shJob } from '../src/testing/api.ts';
import { recordFixture } from '../src/testing/fixtures.ts';
import { startTestNats } from '../src/testing/nats.ts';
import { createEnrollToken, startTestServer } from '../src/testing/server.ts';

const nats = await startTestNats();
let server = await startTestServer(nats);
const sandbox = { nats, enrollToken: await createEnrollToken(server) };
const dir = mkdtempSync(join(tmpdir(), 'kanade-fixture-'));
const agents = [
  startAgentProcess({ id: 'pc-1', groups: ['canary'], sandbox, dataDir: join(dir, 'pc-1') }),
  startAgentProcess({ id: 'pc-2', groups: ['wave1'], sandbox, dataDir: join(dir, 'pc-2') }),
  startAgentProcess({ id: 'pc-3', groups: ['wave1'], sandbox, dataDir: join(dir, 'pc-3') }),
];

const api = async <T>(method: string, path: string, body?: unknown, source = 'cli'): Promise<T> => {
  const res = await server.api(method, path, body, { 'X-Kanade-Source': source });
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
};
type Execution = { status: string; running: number };
const settled = (id: string, status: string) =>
  eventually(
    async () => {
      const e = await api<Execution>('GET', `/api/executions/${id}`);
      return e.status === status && e.running === 0;
    },
    30_000,
    `exec ${id} ${status}`,
  );

await eventually(async () => (await api<{ total: number }>('GET', '/api/agents?status=online')).total === 3, 20_000);
await api(
  'POST',
  '/api/jobs',
  [shJob('hello', 'echo hello'), shJob('broken', '"echo broken >&2; exit 3"'), shJob('nap', 'sleep 30')].join('---\n'),
  'ci',
);
await api('PUT', '/api/agents/pc-3/groups', { groups: ['wave1', 'lab'] });

const plain = await api<{ exec_id: string }>('POST', '/api/exec/hello', { target: { all: true } });
await settled(plain.exec_id, 'completed');

const gated = await api<{ exec_id: string }>('POST', '/api/exec/broken', {
  rollout: { waves: [{ group: 'canary' }, { group: 'wave1', delay: '2s' }], gate: { max_failure_ratio: 0 } },
});
await settled(gated.exec_id, 'halted');
await api('POST', `/api/executions/${gated.exec_id}/resume`, {});
await settled(gated.exec_id, 'completed');

const aborted = await api<{ exec_id: string }>('POST', '/api/exec/hello', {
  rollout: { waves: [{ group: 'canary' }, { group: 'wave1', delay: '1h' }] },
});
await eventually(
  async () => (await api<{ succeeded: number }>('GET', `/api/executions/${aborted.exec_id}`)).succeeded === 1,
);
await api('POST', `/api/executions/${aborted.exec_id}/abort`, { reason: 'enough for today' });

const napping = await api<{ exec_id: string }>('POST', '/api/exec/nap', { target: { pcs: ['pc-1'] } });
await eventually(async () => (await api<Execution>('GET', `/api/executions/${napping.exec_id}`)).running === 1);
await api('POST', `/api/executions/${napping.exec_id}/kill`, { reason: 'too slow' });
await settled(napping.exec_id, 'killed');

const adhoc = await api<{ exec_id: string }>('POST', '/api/run', { pc_id: 'pc-2', script: 'uname -s' });
await settled(adhoc.exec_id, 'completed');

await api('POST', '/api/fleet/halt', { reason: 'incident drill' });
await api('POST', '/api/fleet/resume', { reason: 'drill over' });

await api('POST', '/api/schedules', 'id: tick\ncron: "* * * * * *"\njob_id: hello\ntarget: { pcs: [pc-2] }\n', 'ci');
await api(
  'POST',
  '/api/schedules',
  'id: once\ncron: "*/2 * * * * *"\njob_id: hello\ntarget: { groups: [wave1] }\nmode: once_per_pc\n',
  'ci',
);
await sleep(4_000);
await server.close(); // no scheduler for a while: the slots meanwhile are recorded as missed
await sleep(8_000);
server = await startTestServer(nats, { dataDir: server.dataDir });
await eventually(
  async () => (await api<{ skipped: number }>('GET', '/api/schedules/tick')).skipped > 0,
  20_000,
  'missed slots',
);
await api('POST', '/api/schedules/tick/disable', {});
await api('POST', '/api/schedules/once/disable', {});
await sleep(2_000); // let the last fired execs finish
await api('DELETE', '/api/schedules/once');

console.log(`recorded ${await recordFixture(nats, 'fleet')} commits`);
await Promise.all(agents.map((a) => a.stop()));
await server.close();
await nats.dispose();
rmSync(dir, { recursive: true, force: true });
rmSync(server.dataDir, { recursive: true, force: true });
