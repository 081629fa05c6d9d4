// Records fixtures/events/catalog.ndjson: a real history driven through a real server and nats-server,
// dumped commit by commit. Run it again (node scripts/recordFixture.ts) only when the history should change.
import { readJobFiles } from '../src/cli/manifestFiles.ts';
import { recordFixture } from '../src/testing/fixtures.ts';
import { startTestNats } from '../src/testing/nats.ts';
import { startTestServer } from '../src/testing/server.ts';

const nats = await startTestNats();
const server = await startTestServer(nats);
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
console.log(`recorded ${await recordFixture(nats, 'catalog')} commits`);
await server.dispose();
await nats.dispose();
