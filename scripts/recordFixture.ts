// Records fixtures/events/catalog.ndjson: a real history driven through a real server and nats-server,
// dumped commit by commit. Run it again (node scripts/recordFixture.ts) only when the history should change.
import { writeFileSync } from 'node:fs';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { readJobFiles } from '../src/cli/manifestFiles.ts';
import { EVENTS_STREAM } from '../src/infra/nats/streams.ts';
import { startTestNats } from '../src/testing/nats.ts';
import { startTestServer } from '../src/testing/server.ts';

const nats = await startTestNats();
const server = await startTestServer(nats.url);
const manifests = readJobFiles(
  ['jobs/echo.yaml', 'jobs/cleanup-tmp.yaml', 'jobs/inventory-linux.yaml', 'jobs/git-mirror-sync.yaml'],
  process.cwd(),
).manifests.map((m) => m.manifest);
const echo = manifests[0];
if (echo === undefined) throw new Error('jobs/echo.yaml is missing');
const steps: [string, string, unknown, string][] = [
  ['POST', '/api/jobs', manifests, 'ci'],
  [
    'POST',
    '/api/jobs',
    [{ ...echo, version: '1.1.0', execute: { ...echo.execute, script: 'echo "hello again from $(hostname)"' } }],
    'ci',
  ],
  ['POST', '/api/jobs/cleanup-tmp/revoke', { reason: 'deleting files still in use on build hosts' }, 'cli'],
  [
    'POST',
    '/api/jobs',
    [
      {
        ...echo,
        version: '1.1.0',
        execute: { ...echo.execute, script: 'echo "hello again from $(hostname)"' },
        description: 'Smoke test',
      },
    ],
    'dashboard',
  ],
  ['DELETE', '/api/jobs/git-mirror-sync', undefined, 'cli'],
  ['POST', '/api/jobs/cleanup-tmp/unrevoke', undefined, 'cli'],
  ['POST', '/api/jobs', manifests.slice(3), 'ci'],
];
for (const [method, path, body, source] of steps) {
  const res = await server.api(method, path, body, { 'X-Kanade-Source': source });
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
}
const nc = await connect({ servers: nats.url });
const jsm = await jetstreamManager(nc);
const last = (await jsm.streams.info(EVENTS_STREAM)).state.last_seq;
const lines: string[] = [];
for (let seq = 1; seq <= last; seq++) {
  const m = await jsm.streams.getMessage(EVENTS_STREAM, { seq });
  if (m !== null) lines.push(JSON.stringify({ seq, subject: m.subject, commit: JSON.parse(m.string()) }));
}
writeFileSync('fixtures/events/catalog.ndjson', `${lines.join('\n')}\n`);
console.log(`recorded ${lines.length} commits`);
await nc.drain();
await server.dispose();
await nats.dispose();
