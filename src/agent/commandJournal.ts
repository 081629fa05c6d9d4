import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ExecCommand } from '../domain/execs/index.ts';
import type { RunIdentity } from '../domain/runs/index.ts';
import { removeFile, syncDirectory, writeFileDurably } from './fsyncFile.ts';

/** A command this agent took on and has not finished with: waiting (jitter, a slot) or running. */
export type JournalEntry =
  | { state: 'accepted'; command: ExecCommand; accepted_at: string }
  | { state: 'running'; command: ExecCommand; identity: RunIdentity; started_at: string; pgid?: number };

/**
 * Every command from the moment it is accepted until its result is safely in the outbox, on disk.
 * After a crash or a restart, accepted commands go back through the gates; running ones are killed
 * (by process group) and reported with the exit status their wrapper recorded when they had
 * finished, or lost when they had not: nothing the agent accepted is dropped silently.
 */
export const openCommandJournal = (dir: string) => {
  mkdirSync(dir, { recursive: true });
  const file = (resultId: string) => join(dir, `${resultId}.json`);
  const exitFile = (resultId: string) => join(dir, `${resultId}.exit`);
  return {
    /** Where the wrapper of a running command records its exit status (see `runProcess`). */
    exitFile,
    write: (resultId: string, entry: JournalEntry): void => writeFileDurably(file(resultId), JSON.stringify(entry)),
    /** Forgets a command, once its result is in the outbox. */
    done: (resultId: string): void => {
      // Only a real run's wrapper writes these: asked first, since a failed unlink costs an Error.
      for (const status of [exitFile(resultId), `${exitFile(resultId)}.tmp`])
        if (existsSync(status)) removeFile(status);
      if (!existsSync(file(resultId))) return;
      removeFile(file(resultId));
      syncDirectory(dir);
    },
    /** What an earlier life of the agent left unfinished (unreadable entries are skipped and kept for a human). */
    leftovers: (): { resultId: string; entry: JournalEntry }[] =>
      readdirSync(dir)
        .filter((n) => n.endsWith('.json'))
        .flatMap((n) => {
          try {
            return [
              {
                resultId: n.slice(0, -'.json'.length),
                entry: JSON.parse(readFileSync(join(dir, n), 'utf8')) as JournalEntry,
              },
            ];
          } catch {
            return [];
          }
        }),
  };
};

/** An agent's command journal. */
export type CommandJournal = ReturnType<typeof openCommandJournal>;
