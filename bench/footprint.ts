import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { brokerFiles } from '../src/infra/broker/init.ts';
import { startAgentProcess } from '../src/testing/agentProcess.ts';
import { startBenchSandbox } from './sandbox.ts';

// Resident set of a process, from /proc (Linux): what the machine gives it, not what V8 thinks it uses.
const statusMiB = (pid: number, field: string): number => {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').match(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm'));
  return line === null ? Number.NaN : Number(line[1]) / 1024;
};
const rssMiB = (pid: number): number => statusMiB(pid, 'VmRSS');
// Anonymous memory (heaps, V8's code space, malloc) against file-backed pages (the node binary and
// shared libraries, which every Node process on the machine shares).
const breakdown = (pid: number): string =>
  `anonymous ${statusMiB(pid, 'RssAnon').toFixed(1)} MiB, file-backed ${statusMiB(pid, 'RssFile').toFixed(1)} MiB`;

// The floor: a bare Node process that loads the NATS client, connects with the same kind of
// credential and holds one subscription, idle for the same time.
const FLOOR = `
import { connect, credsAuthenticator } from '@nats-io/transport-node';
import { readFileSync } from 'node:fs';
const nc = await connect({ servers: process.argv[1], authenticator: credsAuthenticator(readFileSync(process.argv[2])) });
nc.subscribe('_INBOX_enroll.floor.>');
console.log('ready');
setInterval(() => {}, 1 << 30);
`;

/**
 * `npm run bench -- footprint [--idle 30]`: the resident memory of a real `kanade agent` process
 * (enrolled, connected, following its views) after it has sat idle, beside a bare Node process that
 * only holds a NATS connection.
 */
export const footprintBench = async (options: { idleSeconds: number }): Promise<void> => {
  const { api, stop, nats, brokerDir, dir } = await startBenchSandbox('footprint');
  const floor = spawn(
    process.execPath,
    ['--input-type=module', '-e', FLOOR, nats.url, brokerFiles(brokerDir).enrollCreds],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  try {
    const { token } = await api<{ token: string }>('POST', '/api/enrollment-tokens', {
      name: 'bench',
      auto_approve: true,
    });
    const agent = startAgentProcess({
      id: 'pc-footprint',
      sandbox: {
        nats: { url: nats.url, bootstrapAuth: { credsFile: brokerFiles(brokerDir).enrollCreds } },
        enrollToken: token,
      },
      dataDir: join(dir, 'agent'),
      // To compare Node/V8 options (e.g. heap sizes) on the same agent: KANADE_BENCH_NODE_OPTIONS.
      ...(process.env.KANADE_BENCH_NODE_OPTIONS === undefined
        ? {}
        : { env: { NODE_OPTIONS: process.env.KANADE_BENCH_NODE_OPTIONS } }),
    });
    await agent.ready();
    const pid = agent.process.pid as number;
    console.log(`agent started: ${rssMiB(pid).toFixed(1)} MiB resident; idle for ${options.idleSeconds} s`);
    await sleep(options.idleSeconds * 1000);
    const agentMiB = rssMiB(pid);
    const floorMiB = rssMiB(floor.pid as number);
    console.log(`agent idle: ${agentMiB.toFixed(1)} MiB resident (${breakdown(pid)})`);
    console.log(
      `floor: bare Node with a NATS connection: ${floorMiB.toFixed(1)} MiB resident (${breakdown(floor.pid as number)})`,
    );
    console.log(
      JSON.stringify({ agent_rss_mib: Number(agentMiB.toFixed(1)), floor_rss_mib: Number(floorMiB.toFixed(1)) }),
    );
    await agent.stop();
  } finally {
    floor.kill();
    await stop();
  }
};
