import { parseArgs } from 'node:util';
import { agentCommandsBench } from './agentCommands.ts';
import { apiBench } from './api.ts';
import { dashboardBench } from './dashboard.ts';
import { faninBench, faninFloor, faninFollower } from './fanin.ts';
import { fleetBench } from './fleet.ts';
import { runEmulatedAgents } from './fleetAgents.ts';
import { footprintBench } from './footprint.ts';
import { hostileBench } from './hostile.ts';
import { metricsBench } from './metrics.ts';
import { rebuildBench, rebuildWorker } from './rebuild.ts';
import { rebuildFloorWorker } from './rebuildFloor.ts';

// `npm run bench -- <name> [options]`. Benchmarks print numbers and the machine; they never assert timings.
const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    events: { type: 'string' },
    batch: { type: 'string' },
    'nats-url': { type: 'string' },
    file: { type: 'string' },
    agents: { type: 'string' },
    disk: { type: 'boolean' },
    from: { type: 'string' },
    count: { type: 'string' },
    dir: { type: 'string' },
    creds: { type: 'string' },
    stream: { type: 'string' },
    key: { type: 'string' },
    results: { type: 'string' },
    idle: { type: 'string' },
    commands: { type: 'string' },
  },
});
const benches: Record<string, () => Promise<void>> = {
  'agent-commands': () => agentCommandsBench({ commands: Number(values.commands ?? 50) }),
  api: () => apiBench({ agents: Number(values.agents ?? 50_000) }),
  footprint: () => footprintBench({ idleSeconds: Number(values.idle ?? 30) }),
  fleet: () => fleetBench({ agents: Number(values.agents ?? 1000), disk: values.disk === true }),
  dashboard: () => dashboardBench({ agents: Number(values.agents ?? 5000) }),
  hostile: () => hostileBench(),
  metrics: () => metricsBench({ agents: Number(values.agents ?? 20_000) }),
  fanin: () => faninBench({ results: Number(values.results ?? 50_000) }),
  rebuild: () =>
    rebuildBench({
      events: Number(values.events ?? 200_000),
      ...(values.batch === undefined ? {} : { batch: Number(values.batch) }),
    }),
};
const batch = values.batch === undefined ? {} : { batch: Number(values.batch) };
benches['rebuild-worker'] = () =>
  rebuildWorker({ natsUrl: values['nats-url'] ?? '', file: values.file ?? '', ...batch });
const follower = () => ({
  natsUrl: values['nats-url'] ?? '',
  file: values.file ?? '',
  events: Number(values.events ?? 0),
});
benches['fanin-follower'] = () => faninFollower(follower());
benches['fanin-floor'] = () =>
  faninFloor({
    ...follower(),
    ...(values.stream === undefined ? {} : { stream: values.stream }),
    ...(values.creds === undefined ? {} : { credsFile: values.creds }),
  });
benches['rebuild-floor'] = () =>
  rebuildFloorWorker({ natsUrl: values['nats-url'] ?? '', file: values.file ?? '', ...batch });
// The emulated agents of one fleet bench process (started by the fleet bench, not by hand).
benches['fleet-agents'] = () =>
  runEmulatedAgents({
    from: Number(values.from ?? 0),
    count: Number(values.count ?? 0),
    dir: values.dir ?? '',
    natsUrl: values['nats-url'] ?? '',
    credsFile: values.creds ?? '',
    signingKey: values.key ?? '',
  });
const bench = benches[positionals[0] ?? ''];
if (bench === undefined) {
  console.error(
    `usage: npm run bench -- <rebuild [--events N] [--batch N] | fanin [--results N] | fleet [--agents N] [--disk] | dashboard [--agents N] | metrics [--agents N] | api [--agents N] | footprint [--idle S] | agent-commands [--commands N] | hostile>`,
  );
  process.exit(2);
}
await bench();
