import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeId } from '../../src/domain/shared/index.ts';
import { type AgentProcess, eventually, startAgentProcess } from '../../src/testing/agentProcess.ts';
import { agentsOnline, apiOf, shJob } from '../../src/testing/api.ts';
import { runKanade } from '../../src/testing/cli.ts';
import { useTestServer } from '../../src/testing/server.ts';

// Agent ids as real fleets have them: host names are often FQDNs (the default id is the host name),
// Windows names carry a domain, some are not ASCII. One of them once stopped dispatch for everybody.
const sandbox = useTestServer();
const api = apiOf(sandbox);
const dir = mkdtempSync(join(tmpdir(), 'kanade-ids-'));
const ODD = ['ws01.corp.example', 'CORP\\WS02', 'käse-pc.local'];
const agents: AgentProcess[] = [];

type Execution = {
  exec_id: string;
  status: string;
  results: { pc_id: string; outcome: string | null; stdout: string }[];
};
const finished = (execId: string) =>
  eventually(
    async () => {
      const e = await api<Execution>('GET', `/api/executions/${execId}`);
      return e.status === 'completed' ? e : false;
    },
    30_000,
    `exec ${execId} to finish`,
  );

beforeAll(async () => {
  for (const id of [...ODD, 'pc-plain'])
    agents.push(startAgentProcess({ id, groups: ['lab'], sandbox, dataDir: join(dir, encodeId(id)) }));
  await api('POST', '/api/jobs', shJob('whoami', 'echo "I am $KANADE_JOB_ID"'));
  await agentsOnline(sandbox, 4);
}, 60_000);

afterAll(async () => {
  await Promise.all(agents.map((a) => a.stop()));
  rmSync(dir, { recursive: true, force: true });
});

describe('agents with odd ids', () => {
  it('run jobs next to everybody else: to all, to a group, to each by name', async () => {
    const all = await finished(
      (await api<{ exec_id: string }>('POST', '/api/exec/whoami', { target: { all: true } })).exec_id,
    );
    expect(all.results.map((r) => [r.pc_id, r.outcome])).toEqual(
      [...ODD, 'pc-plain'].sort().map((pc) => [pc, 'succeeded']),
    );
    for (const pc of ODD) {
      const one = await finished(
        (await api<{ exec_id: string }>('POST', '/api/exec/whoami', { target: { pcs: [pc] } })).exec_id,
      );
      expect(one.results).toEqual([
        expect.objectContaining({ pc_id: pc, outcome: 'succeeded', stdout: 'I am whoami\n' }),
      ]);
    }
  });

  it('are read, regrouped and followed by their id in URLs', async () => {
    for (const pc of ODD) {
      const agent = await api<{ pc_id: string; recent_results: unknown[] }>(
        'GET',
        `/api/agents/${encodeURIComponent(pc)}`,
      );
      expect(agent.pc_id).toBe(pc);
      expect(agent.recent_results.length).toBeGreaterThan(0);
    }
    const pc = 'CORP\\WS02';
    await api('PUT', `/api/agents/${encodeURIComponent(pc)}/groups`, { groups: ['kiosk'] });
    const e = await eventually(
      async () => {
        const res = await sandbox.server.api('POST', '/api/exec/whoami', { target: { groups: ['kiosk'] } });
        return res.ok ? ((await res.json()) as { exec_id: string }) : false;
      },
      15_000,
      'the group change to be known',
    );
    const done = await finished(e.exec_id);
    expect(done.results.map((r) => r.pc_id)).toEqual([pc]);
    const ping = await runKanade(['ping', pc], {
      KANADE_API_URL: sandbox.server.url,
      KANADE_TOKEN: sandbox.server.token,
    });
    expect(ping).toMatchObject({ code: 0, out: expect.stringContaining(`${pc} answered`) });
  });
});

describe('ids nothing can carry', () => {
  it.each([
    ['../evil', /"\/"/],
    ['a b', /white space/],
    ['all>', /">"/],
  ])('are refused when an agent starts with --id %j (exit 2, the reason)', async (id, reason) => {
    const res = await runKanade(
      ['agent', '--id', id, '--nats-url', sandbox.nats.url, '--data-dir', join(dir, 'refused')],
      {},
    );
    expect(res.code).toBe(2);
    expect(res.err).toMatch(/is not a valid pc id/);
    expect(res.err).toMatch(reason);
  });

  it('are refused in a target, by the API, with the reason', async () => {
    const res = await sandbox.server.api('POST', '/api/exec/whoami', { target: { pcs: ['a/b', 'ok-pc', 'x*'] } });
    expect(res.status).toBe(422);
    const body = (await res.json()) as { issues: { path: string; message: string }[] };
    expect(body.issues.map((i) => i.path)).toEqual(['target.pcs[0]', 'target.pcs[2]']);
    expect(body.issues[0]?.message).toMatch(/is not a valid pc id/);
  });
});
