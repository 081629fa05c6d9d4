import { describe, expect, it } from 'vitest';
import { readConfig } from '../config.ts';
import { UsageError } from '../errors.ts';
import { agentSettings } from './agent.ts';

const broker = { url: 'nats://127.0.0.1:4222', auth: {} };
const settings = (flags: Parameters<typeof agentSettings>[1], env: NodeJS.ProcessEnv = {}) =>
  agentSettings(readConfig(env), { id: 'pc-1', ...flags }, broker);

describe('kanade agent › metrics port', () => {
  it('is off unless asked for', () => {
    expect(settings({}).metrics).toBeUndefined();
  });

  it('binds 127.0.0.1 unless told otherwise, from the flag or the environment', () => {
    expect(settings({ metricsPort: '9464' }).metrics).toEqual({ host: '127.0.0.1', port: 9464 });
    expect(settings({}, { KANADE_AGENT_METRICS_PORT: '9465' }).metrics).toEqual({ host: '127.0.0.1', port: 9465 });
    expect(settings({ metricsPort: '9464', metricsHost: '0.0.0.0' }).metrics).toEqual({ host: '0.0.0.0', port: 9464 });
    expect(settings({ metricsPort: '9464' }, { KANADE_AGENT_METRICS_PORT: '1' }).metrics?.port).toBe(9464);
  });

  it('refuses what is not a port, and a host without a port', () => {
    for (const port of ['x', '-1', '65536', '9464.5', ''])
      expect(() => settings({ metricsPort: port }), port).toThrow(UsageError);
    expect(() => settings({ metricsHost: '0.0.0.0' })).toThrow(/--metrics-host needs --metrics-port/);
  });
});
