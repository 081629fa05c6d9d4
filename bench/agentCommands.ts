import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { startAgent } from '../src/agent/agent.ts';
import type { Executor } from '../src/agent/processRunner.ts';
import { openTrust } from '../src/agent/trust.ts';
import { agentStreamName } from '../src/domain/agents/index.ts';
import { jetStreamEventStore } from '../src/infra/eventStore/index.ts';
import { silentLogger } from '../src/infra/log.ts';
import { startBenchSandbox } from './sandbox.ts';

// Returns at once: the benchmark measures the agent's own work, not the scripts.
const instant: Executor = async () => ({ exitCode: 0, timedOut: false, killed: false, stdout: 'ok\n', stderr: '' });

/**
 * `npm run bench -- agent-commands [--commands 50]`: one real agent (intake, signature check, dedup
 * journal, gates, command journal, outbox; an executor that returns at once) takes N execs one after
 * another. Prints commands/s and what each command cost the agent's own NATS connection (messages out
 * and in: requests, publishes and their answers; heartbeats off), and the fsyncs it made.
 */
export const agentCommandsBench = async (options: { commands: number }): Promise<void> => {
  const { dir, api, stop, connect, signingKey } = await startBenchSandbox('agent-commands');
  const nc = await connect();
  const agentNc = await connect();
  try {
    await api('POST', '/api/jobs', {
      id: 'bench',
      version: '1',
      execute: { shell: 'sh', script: 'true', timeout: '30s' },
    });
    const pc = 'bench-pc';
    const store = jetStreamEventStore(jetstream(nc), await jetstreamManager(nc));
    const data = { pc_id: pc, hostname: pc, os: 'linux', arch: 'x64', agent_version: 'bench', groups: ['bench'] };
    await store.appendToStream(agentStreamName(pc), [{ type: 'AgentEnrolled', data }], {
      commit: { id: `enroll:${pc}`, actor: `agent:${pc}`, at: new Date().toISOString(), via: 'agent' },
    });
    const trust = openTrust(join(dir, 'agent'));
    trust.pin([signingKey], false);
    const agent = await startAgent({
      facts: { pc_id: pc, hostname: pc, os: 'linux', arch: 'x64', agent_version: 'bench' },
      initialGroups: ['bench'],
      dataDir: join(dir, 'agent'),
      nc: agentNc,
      trust,
      log: silentLogger,
      shells: ['sh'],
      executor: instant,
      heartbeatIntervalMs: 3_600_000,
    });
    while ((await api<{ total: number }>('GET', '/api/agents?status=online&limit=1')).total < 1) await sleep(100);
    const run = async () => {
      const { exec_id, seq } = await api<{ exec_id: string; seq: number }>('POST', '/api/exec/bench', {
        target: { pcs: [pc] },
      });
      for (;;) {
        // min_seq: the exec is in the read models before it is asked for (a 404 otherwise, now and then)
        const e = await api<{ succeeded: number }>('GET', `/api/executions/${exec_id}?min_seq=${seq}`);
        if (e.succeeded >= 1) return;
        await sleep(5);
      }
    };
    await run(); // warm up: the first command opens what the later ones reuse
    await sleep(500);
    const before = { ...agentNc.stats() };
    const t0 = performance.now();
    for (let i = 0; i < options.commands; i++) await run();
    const seconds = (performance.now() - t0) / 1000;
    await sleep(500); // the last acks
    const after = agentNc.stats();
    const per = (a: number, b: number) => ((a - b) / options.commands).toFixed(1);
    console.log(
      `one agent, ${options.commands} commands one after another: ${(options.commands / seconds).toFixed(1)} commands/s end to end (API, dispatch, agent, result projected)`,
    );
    console.log(
      `agent connection per command: ${per(after.outMsgs, before.outMsgs)} messages out, ${per(after.inMsgs, before.inMsgs)} in`,
    );
    console.log(
      JSON.stringify({
        commands: options.commands,
        commands_per_s: Number((options.commands / seconds).toFixed(1)),
        msgs_out_per_command: Number(per(after.outMsgs, before.outMsgs)),
        msgs_in_per_command: Number(per(after.inMsgs, before.inMsgs)),
      }),
    );
    await agent.stop();
  } finally {
    await agentNc.drain().catch(() => {});
    await nc.drain();
    await stop();
  }
};
