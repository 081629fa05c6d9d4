import type { JobManifest } from '../domain/jobs/index.ts';

/** A valid manifest for tests, with overrides (test-only builder). */
export const aManifest = (overrides: Partial<JobManifest> = {}): JobManifest => ({
  id: 'echo',
  version: '1.0.0',
  execute: { shell: 'sh', script: 'echo hello', timeout: '30s', run_as: 'system' },
  staleness: { mode: 'cached' },
  require_approval: false,
  tags: [],
  ...overrides,
});
