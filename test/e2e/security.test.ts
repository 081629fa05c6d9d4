import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstream } from '@nats-io/jetstream';
import { createServer, fromSeed } from '@nats-io/nkeys';
import { connect, credsAuthenticator, type headers, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeCommit } from '../../src/infra/eventStore/index.ts';
import { agentInboxPrefix } from '../../src/infra/nats/subjects.ts';
import { signCommand } from '../../src/infra/signing/commandSignature.ts';
import { type AgentProcess, eventually, startAgentProcess } from '../../src/testing/agentProcess.ts';
import { agentsOnline, apiOf, shJob } from '../../src/testing/api.ts';
import { testSigningKey, useTestServer } from '../../src/testing/server.ts';

const sandbox = useTestServer();
const api = apiOf(sandbox);
const dir = mkdtempSync(join(tmpdir(), 'kanade-security-'));
const marker = join(dir, 'pwned');
const agents: AgentProcess[] = [];
let asAgent: NatsConnection;
let refusals: string[] = [];

type Result = { pc_id: string; exit_code: number | null; outcome: string | null; reason: string | null };

beforeAll(async () => {
  for (const [id, group] of [
    ['pc-a', 'canary'],
    ['pc-b', 'wave1'],
  ] as const)
    agents.push(startAgentProcess({ id, groups: [group], sandbox, dataDir: join(dir, id) }));
  await Promise.all(agents.map((a) => a.ready()));
  await agentsOnline(sandbox, 2);
  await api('POST', '/api/jobs', shJob('hello', 'echo hello'));
  await api('POST', '/api/exec/hello', { target: { all: true } });
  // The attacker holds pc-a's real credential, as a thief on that machine would.
  asAgent = await connect({
    servers: sandbox.nats.url,
    authenticator: credsAuthenticator(readFileSync(join(dir, 'pc-a', 'agent.creds'))),
    inboxPrefix: agentInboxPrefix('pc-a'),
  });
  void (async () => {
    for await (const s of asAgent.status()) if (s.type === 'error') refusals.push(String(s.error?.message));
  })();
});

afterAll(async () => {
  await asAgent?.close();
  await Promise.all(agents.map((a) => a.stop()));
});

// A core publish is refused asynchronously: the broker's -ERR arrives before the flush's PONG.
const publishRefused = async (subject: string, body = '{}') => {
  refusals = [];
  asAgent.publish(subject, body);
  await asAgent.flush();
  const refused = () => refusals.some((r) => r.includes('Permissions Violation') && r.includes(subject));
  await eventually(async () => refused(), 1_000, `a refusal of ${subject}`).catch(() => {});
  return refused();
};
const requestRefused = async (subject: string, body = '') => {
  try {
    await asAgent.request(subject, body, { timeout: 2_000 });
    return false;
  } catch (error) {
    return /Permissions Violation/.test(String((error as Error).cause ?? error));
  }
};
const subscribeRefused = async (subject: string) => {
  refusals = [];
  const sub = asAgent.subscribe(subject);
  await asAgent.flush();
  await eventually(async () => refusals.length > 0, 2_000, `a refusal of the subscription to ${subject}`).catch(
    () => {},
  );
  sub.unsubscribe();
  return refusals.some((r) => r.includes('Permissions Violation for Subscription') && r.includes(subject));
};
const forgedCommit = (type: string, data: Record<string, unknown>) =>
  encodeCommit({ id: `forged-${type}-${Math.random()}`, actor: 'admin', at: new Date().toISOString(), via: 'cli' }, [
    { type, data },
  ]);

describe("an approved agent's own credential, used against the rest of the fleet", () => {
  it('may do its own work: heartbeat, read its commands', async () => {
    expect(await publishRefused('kanade.hb.pc-a', JSON.stringify({ at: new Date().toISOString() }))).toBe(false);
    expect(await subscribeRefused('kanade.cmd.pc.pc-a.>')).toBe(false);
  });

  it('cannot publish any command', async () => {
    for (const subject of ['kanade.cmd.all.hello', 'kanade.cmd.group.canary.hello', 'kanade.cmd.pc.pc-a.hello'])
      expect(await publishRefused(subject, '{"script":"touch /tmp/x"}'), subject).toBe(true);
  });

  it('cannot speak for another PC: results, heartbeats, facts, agent events', async () => {
    const result = forgedCommit('RunFinished', { pc_id: 'pc-b', result_id: 'r1', exit_code: 0, outcome: 'succeeded' });
    expect(await publishRefused('kanade.ev.run.pc-b.r1', result)).toBe(true);
    expect(await publishRefused('kanade.ev.facts.pc-b', forgedCommit('FactsReported', { pc_id: 'pc-b' }))).toBe(true);
    expect(await publishRefused('kanade.hb.pc-b')).toBe(true);
    expect(await publishRefused('kanade.ev.agent.pc-b', forgedCommit('AgentGroupsSet', { pc_id: 'pc-b' }))).toBe(true);
    // Not even its own agent stream: approvals and groups are the operators' to record.
    expect(await publishRefused('kanade.ev.agent.pc-a', forgedCommit('AgentApproved', { pc_id: 'pc-a' }))).toBe(true);
  });

  it('cannot append job, exec, fleet, schedule or user events', async () => {
    const forged = {
      'kanade.ev.user.mallory': forgedCommit('UserAdded', { user: 'mallory', role: 'admin' }),
      'kanade.ev.job.evil': forgedCommit('JobRegistered', { job_id: 'evil' }),
      'kanade.ev.exec.01EVIL': forgedCommit('ExecRequested', { exec_id: '01EVIL' }),
      'kanade.ev.fleet.global': forgedCommit('FleetResumed', {}),
      'kanade.ev.schedule.nightly': forgedCommit('ScheduleEnabled', { schedule_id: 'nightly' }),
      'kanade.ev.config.global': forgedCommit('ConfigLayerDeleted', { layer: 'global' }),
    };
    for (const [subject, body] of Object.entries(forged))
      expect(await publishRefused(subject, body), subject).toBe(true);
    const jobs = await api<{ jobs: { id: string }[] }>('GET', '/api/jobs?min_seq=latest');
    expect(jobs.jobs.map((j) => j.id)).not.toContain('evil');
  });

  it('cannot put any KV key: the halt flag, groups, pins, job status, config layers', async () => {
    for (const subject of [
      '$KV.kanade_agent_config.global',
      '$KV.kanade_agent_config.pc.pc-a',
      '$KV.kanade_agent_config.group.canary',
      '$KV.kanade_fleet.halt',
      '$KV.kanade_fleet.trust',
      '$KV.kanade_agent_groups.pc-a',
      '$KV.kanade_job_pins.hello',
      '$KV.kanade_job_status.hello',
    ])
      expect(await publishRefused(subject, 'ACTIVE'), subject).toBe(true);
  });

  it('cannot delete or purge a stream, nor make or delete a consumer', async () => {
    for (const subject of [
      '$JS.API.STREAM.DELETE.KANADE_EVENTS',
      '$JS.API.STREAM.PURGE.KANADE_EVENTS',
      '$JS.API.STREAM.DELETE.KV_kanade_fleet',
      '$JS.API.CONSUMER.DELETE.KANADE_EVENTS.x',
      '$JS.API.CONSUMER.CREATE.KANADE_COMMANDS.x.kanade.cmd.pc.pc-b.>',
      '$JS.API.STREAM.MSG.GET.KANADE_COMMANDS',
    ])
      expect(await requestRefused(subject, '{}'), subject).toBe(true);
    const head = await eventually(async () => (await fetch(`${sandbox.server.url}/health`)).json());
    expect((head as { stream: { last_seq: number } }).stream.last_seq).toBeGreaterThan(0);
  });

  it("cannot read another PC's commands, or a group it is not in", async () => {
    expect(await requestRefused('$JS.API.DIRECT.GET.KANADE_COMMANDS.kanade.cmd.pc.pc-b.hello')).toBe(true);
    expect(await subscribeRefused('kanade.cmd.pc.pc-b.>')).toBe(true);
    expect(await subscribeRefused('kanade.cmd.group.wave1.>')).toBe(true);
    expect(await subscribeRefused('_INBOX.>')).toBe(true);
  });

  it('leaves no anonymous way in', async () => {
    await expect(connect({ servers: sandbox.nats.url, maxReconnectAttempts: 0 })).rejects.toThrow(
      /Authorization Violation/,
    );
  });
});

describe('signed commands', () => {
  const command = (requestId: string) => ({
    id: 'forged',
    version: '1',
    request_id: requestId,
    exec_id: requestId,
    shell: 'sh',
    script: `echo pwned > ${marker}`,
    timeout_secs: 30,
    run_as: 'system',
    staleness: { mode: 'unchecked' },
  });
  const resultOf = (requestId: string) =>
    eventually(
      async () => {
        const { results } = await api<{ results: (Result & { exec_id: string })[] }>(
          'GET',
          '/api/results?pc_id=pc-a&limit=100',
        );
        return results.find((r) => r.exec_id === requestId) ?? false;
      },
      15_000,
      `the refusal of ${requestId}`,
    );
  // Someone with a broker credential that may publish commands (a stolen server credential, or a
  // broker without authorization) — but without the server's signing key.
  const publishAsServer = async (subject: string, body: string, h?: ReturnType<typeof headers>) => {
    const nc = await sandbox.nats.connect();
    try {
      await jetstream(nc).publish(subject, body, h === undefined ? {} : { headers: h });
    } finally {
      await nc.drain();
    }
  };
  const serverKey = () => fromSeed(new TextEncoder().encode(readFileSync(testSigningKey(sandbox.nats), 'utf8').trim()));

  it('skips an unsigned command with 123 and says why', async () => {
    await publishAsServer('kanade.cmd.pc.pc-a.forged', JSON.stringify(command('01FORGEDUNSIGNED00000000')));
    expect(await resultOf('01FORGEDUNSIGNED00000000')).toMatchObject({
      outcome: 'skipped',
      exit_code: 123,
      reason: 'refused: the command is not signed',
    });
  });

  it('skips a command signed by a key the agent does not trust', async () => {
    const body = JSON.stringify(command('01FORGEDWRONGKEY00000000'));
    await publishAsServer(
      'kanade.cmd.pc.pc-a.forged',
      body,
      signCommand(createServer(), 'kanade.cmd.pc.pc-a.forged', body),
    );
    expect((await resultOf('01FORGEDWRONGKEY00000000')).reason).toMatch(/signed by a key this agent does not trust/);
  });

  it('skips a command altered in flight (the script changed after signing)', async () => {
    const subject = 'kanade.cmd.pc.pc-a.forged';
    const signed = JSON.stringify({ ...command('01FORGEDALTERED000000000'), script: 'echo harmless' });
    const altered = JSON.stringify(command('01FORGEDALTERED000000000'));
    await publishAsServer(subject, altered, signCommand(serverKey(), subject, signed));
    expect(await resultOf('01FORGEDALTERED000000000')).toMatchObject({ exit_code: 123, outcome: 'skipped' });
    expect((await resultOf('01FORGEDALTERED000000000')).reason).toMatch(/does not match the command as received/);
  });

  it('skips a signed command with nothing to run with 120 (never a success with an empty script)', async () => {
    const subject = 'kanade.cmd.pc.pc-a.forged';
    for (const [requestId, fields] of [
      ['01EMPTYSCRIPT00000000000', { script: '' }],
      ['01SCRIPTOBJECT0000000000', { script: '', script_object: 'tools/1.0' }],
    ] as const) {
      const body = JSON.stringify({ ...command(requestId), ...fields });
      await publishAsServer(subject, body, signCommand(serverKey(), subject, body));
      expect(await resultOf(requestId)).toMatchObject({ outcome: 'skipped', exit_code: 120 });
    }
    expect((await resultOf('01SCRIPTOBJECT0000000000')).reason).toMatch(/script objects are not supported/);
  });

  it('skips a command signed for another subject (another PC)', async () => {
    const body = JSON.stringify(command('01FORGEDREDIRECT00000000'));
    await publishAsServer(
      'kanade.cmd.pc.pc-a.forged',
      body,
      signCommand(serverKey(), 'kanade.cmd.pc.pc-b.forged', body),
    );
    expect((await resultOf('01FORGEDREDIRECT00000000')).reason).toMatch(/addressed elsewhere/);
    expect(existsSync(marker)).toBe(false);
  });
});

describe('the read boundary', () => {
  it('refuses an event naming another PC than its subject, and shows it in /health', async () => {
    const nc = await sandbox.nats.connect();
    try {
      const forged = forgedCommit('RunFinished', {
        result_id: 'r-boundary',
        exec_id: '01BOUNDARY',
        request_id: '01BOUNDARY',
        job_id: 'hello',
        version: '1',
        pc_id: 'pc-b',
        started_at: null,
        finished_at: new Date().toISOString(),
        exit_code: 0,
        outcome: 'succeeded',
        stdout: '',
        stderr: '',
      });
      await jetstream(nc).publish('kanade.ev.run.pc-a.r-boundary', forged);
    } finally {
      await nc.drain();
    }
    const health = await eventually(async () => {
      const body = (await (await fetch(`${sandbox.server.url}/health`)).json()) as {
        projections: { name: string; errors: number }[];
      };
      return (body.projections.find((p) => p.name === 'boundary')?.errors ?? 0) > 0 ? body : false;
    });
    expect(health.projections.find((p) => p.name === 'boundary')?.errors).toBe(1);
    const refused = await api<{ events: { summary: string }[] }>('GET', '/api/events?type=$Refused');
    expect(refused.events[0]?.summary).toMatch(
      /refused RunFinished on kanade\.ev\.run\.pc-a\.r-boundary: .*names another run/,
    );
    const { results } = await api<{ results: { result_id: string }[] }>('GET', '/api/results?exec_id=01BOUNDARY');
    expect(results).toEqual([]);
    const after = (await (await fetch(`${sandbox.server.url}/health`)).json()) as { projections: unknown[] };
    expect(after.projections).not.toContainEqual(expect.objectContaining({ state: 'failed' }));
  });
});

describe('reply subjects (NATS does not check them against permissions)', () => {
  const execOn = async (job: string) => {
    const { exec_id } = await api<{ exec_id: string }>('POST', `/api/exec/${job}`, { target: { pcs: ['pc-a'] } });
    return eventually(async () => {
      const e = await api<{ status: string; results: Result[] }>('GET', `/api/executions/${exec_id}`);
      return e.status === 'completed' ? (e.results[0] as Result) : false;
    });
  };

  it('never makes the enrollment responder publish anywhere but an inbox', async () => {
    const bootstrap = await connect({
      servers: sandbox.nats.url,
      authenticator: credsAuthenticator(readFileSync(sandbox.nats.bootstrapAuth.credsFile as string)),
      inboxPrefix: '_INBOX_enroll',
    });
    const nc = await sandbox.nats.connect();
    try {
      const seen: string[] = [];
      const keep = (_e: Error | null, m: { string(): string }) => {
        seen.push(m.string());
      };
      const sub = nc.subscribe('$KV.kanade_fleet.halt', { callback: keep });
      const stream = nc.subscribe('kanade.ev.fleet.global', { callback: keep });
      await nc.flush();
      for (const target of ['$KV.kanade_fleet.halt', 'kanade.ev.fleet.global', '$JS.API.STREAM.PURGE.KANADE_COMMANDS'])
        bootstrap.publish('kanade.enroll', 'junk', { reply: target });
      await bootstrap.flush();
      await new Promise((r) => setTimeout(r, 1_000));
      sub.unsubscribe();
      stream.unsubscribe();
      expect(seen).toEqual([]);
    } finally {
      await bootstrap.close();
      await nc.drain();
    }
  });

  it('can aim a JetStream acknowledgement at a view key, but agents believe only signed views: they fail closed', async () => {
    await api('POST', '/api/jobs', shJob('ack-target', 'echo should-not-run'));
    await api('POST', '/api/jobs/ack-target/revoke', { reason: 'testing tamper' });
    expect((await execOn('ack-target')).exit_code).toBe(126);
    // pc-a's own credential publishes its own run subject, with the status key of the job as the reply:
    // JetStream stores its acknowledgement there.
    asAgent.publish('kanade.ev.run.pc-a.0123456789abcdef0123456789abcdef', '{}', {
      reply: '$KV.kanade_job_status.ack-target',
    });
    await asAgent.flush();
    const nc = await sandbox.nats.connect();
    try {
      const status = await eventually(async () => {
        const entry = await (await new (await import('@nats-io/kv')).Kvm(nc).open('kanade_job_status')).get(
          'ack-target',
        );
        return entry?.string().includes('"stream"') === true ? entry.string() : false;
      });
      expect(status).toMatch(/"seq"/); // the view now holds an acknowledgement, not the signed status
    } finally {
      await nc.drain();
    }
    const result = await execOn('ack-target');
    expect(result).toMatchObject({ outcome: 'skipped', exit_code: 126 });
    expect(result.reason).toMatch(/not signed by the server/);
  });
});

describe('results only an agent can report', () => {
  it("refuses a result for another PC's command, or a second result for one command", async () => {
    const { resultIdOf } = await import('../../src/infra/runIds.ts');
    const nc = await sandbox.nats.connect();
    const request = '01FORGEDRESULTS000000000';
    const finished = (pc: string, resultId: string) =>
      forgedCommit('RunFinished', {
        result_id: resultId,
        exec_id: request,
        request_id: request,
        job_id: 'hello',
        version: '1',
        pc_id: pc,
        started_at: null,
        finished_at: new Date().toISOString(),
        exit_code: 0,
        outcome: 'succeeded',
        stdout: '',
        stderr: '',
      });
    try {
      // pc-a claims pc-b's result id on its own subject, and a result id it made up.
      await jetstream(asAgent).publish(
        `kanade.ev.run.pc-a.${resultIdOf(request, 'pc-b')}`,
        finished('pc-a', resultIdOf(request, 'pc-b')),
      );
      await jetstream(asAgent).publish(
        'kanade.ev.run.pc-a.ffffffffffffffffffffffffffffffff',
        finished('pc-a', 'ffffffffffffffffffffffffffffffff'),
      );
    } finally {
      await nc.drain();
    }
    await eventually(async () => {
      const refused = await api<{ events: { summary: string }[] }>('GET', '/api/events?type=$Refused&limit=50');
      return refused.events.filter((e) => e.summary.includes('is not the result of request')).length >= 2;
    });
    const { results } = await api<{ results: unknown[] }>('GET', `/api/results?exec_id=${request}`);
    expect(results).toEqual([]);
  });
});
