import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { OutboxSource } from '../infra/metrics/agent.ts';

/** The outbox gauges, read from its directory when scraped: pending entries, and those buried in `dead/`. */
export const outboxGauges = (outboxDir: string): OutboxSource => ({
  depth: () => entries(outboxDir),
  deadLetters: () => entries(join(outboxDir, 'dead')),
});

// Entries are `<ulid>.json` files (a missing directory: the outbox was never opened yet).
const entries = (dir: string): number => {
  try {
    return readdirSync(dir).filter((name) => name.endsWith('.json')).length;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw error;
  }
};
