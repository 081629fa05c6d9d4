import { Kvm } from '@nats-io/kv';
import { describe, it } from 'vitest';
import { VIEWS } from '../infra/nats/fleet.ts';
import { openView } from '../infra/signing/viewSignature.ts';
import { eventually } from '../testing/agentProcess.ts';
import { startTestNats } from '../testing/nats.ts';
import { startTestServer, testSigningKey } from '../testing/server.ts';
import { loadOrCreateSigningKey } from './signing.ts';

const job = (id: string) => `id: ${id}\nversion: "1"\nexecute:\n  shell: sh\n  script: echo\n  timeout: 30s\n`;

describe('agent views in KV', () => {
  it('follow the catalog, and come back in full after the buckets are wiped', async () => {
    const nats = await startTestNats();
    let server = await startTestServer(nats);
    const nc = await nats.connect();
    try {
      await server.api('POST', '/api/jobs', `${job('a')}---\n${job('b')}`);
      await server.api('POST', '/api/jobs/b/revoke', {});
      const kvm = new Kvm(nc);
      const trusted = new Set([loadOrCreateSigningKey(testSigningKey(nats)).key.getPublicKey()]);
      const status = await kvm.open(VIEWS.jobStatus);
      const read = async () =>
        Object.fromEntries(
          await Promise.all(
            ['a', 'b'].map(async (k) => {
              const stored = (await status.get(k))?.string();
              // Views are signed for their bucket and key; the value is what agents believe.
              const view = stored === undefined ? undefined : openView(trusted, VIEWS.jobStatus, k, stored);
              return [k, view?.ok === true ? view.value : null];
            }),
          ),
        );
      await eventually(
        async () => JSON.stringify(await read()) === '{"a":"ACTIVE","b":"REVOKED"}',
        10_000,
        'views to follow',
      );
      await server.close();
      await status.purge('a');
      await status.purge('b');
      await (await kvm.open(VIEWS.meta)).purge('checkpoint');
      server = await startTestServer(nats, { dataDir: server.dataDir });
      await eventually(
        async () => JSON.stringify(await read()) === '{"a":"ACTIVE","b":"REVOKED"}',
        10_000,
        'views to be rebuilt',
      );
    } finally {
      await nc.drain();
      await server.close();
      await nats.dispose();
    }
  });
});
