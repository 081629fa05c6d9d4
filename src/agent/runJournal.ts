import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RunIdentity } from '../domain/runs/index.ts';

/** A run whose process was started: written before the spawn, removed once its result is in the outbox. */
export type JournalEntry = RunIdentity & { started_at: string };

/** Runs in progress, on disk: after a crash or restart they are reported as lost, never left "running". */
export const openRunJournal = (dir: string) => {
  mkdirSync(dir, { recursive: true });
  const file = (resultId: string) => join(dir, `${resultId}.json`);
  return {
    begin: (entry: JournalEntry): void => writeFileSync(file(entry.result_id), JSON.stringify(entry)),
    end: (resultId: string): void => rmSync(file(resultId), { force: true }),
    /** Runs an earlier life of the agent started and never finished. */
    leftovers: (): JournalEntry[] =>
      readdirSync(dir)
        .filter((n) => n.endsWith('.json'))
        .map((n) => JSON.parse(readFileSync(join(dir, n), 'utf8')) as JournalEntry),
  };
};

/** An agent's run journal. */
export type RunJournal = ReturnType<typeof openRunJournal>;
