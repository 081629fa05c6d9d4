import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ExecCommand } from '../domain/execs/index.ts';
import type { RunIdentity } from '../domain/runs/index.ts';
import { type DurableMap, openDurableMap } from './durableMap.ts';
import { removeFile } from './fsyncFile.ts';

/** A command this agent took on and has not finished with: waiting (jitter, a slot) or running. */
export type JournalEntry =
  | { state: 'accepted'; command: ExecCommand; accepted_at: string }
  | { state: 'running'; command: ExecCommand; identity: RunIdentity; started_at: string; pgid?: number };

/**
 * Every command from the moment it is accepted until its result is safely in the outbox, on disk
 * (`journal/commands.log`, a durable map by result id). After a crash or a restart, accepted
 * commands go back through the gates; running ones are killed (by process group) and reported with
 * the exit status their wrapper recorded when they had finished, or lost when they had not: nothing
 * the agent accepted is dropped silently. A damaged line is copied to `journal/unreadable.log` for a
 * human and the others are read on.
 */
export const openCommandJournal = (dir: string) => {
  mkdirSync(dir, { recursive: true });
  const entries = openDurableMap<JournalEntry>(join(dir, 'commands.log'), {
    unreadable: (text) => appendFileSync(join(dir, 'unreadable.log'), `${text}\n`),
  });
  adoptEntryFiles(dir, entries);
  const exitFile = (resultId: string) => join(dir, `${resultId}.exit`);
  return {
    /** Where the wrapper of a running command records its exit status (see `runProcess`). */
    exitFile,
    write: (resultId: string, entry: JournalEntry): void => entries.set(resultId, entry),
    /** Forgets a command, once its result is in the outbox. */
    done: (resultId: string): void => {
      // Only the wrapper of a process that was spawned (its group id journaled) writes these; asked
      // first, since a failed unlink costs an Error. A crash before the group id reached the journal
      // is the recovery's case (`leftovers`), not this one.
      const entry = entries.get(resultId);
      if (entry?.state === 'running' && entry.pgid !== undefined)
        for (const status of [exitFile(resultId), `${exitFile(resultId)}.tmp`])
          if (existsSync(status)) removeFile(status);
      entries.delete(resultId, { sync: true });
    },
    /** What an earlier life of the agent left unfinished. */
    leftovers: (): { resultId: string; entry: JournalEntry }[] =>
      [...entries.entries()].map(([resultId, entry]) => ({ resultId, entry })),
    close: (): void => entries.close(),
  };
};

/** An agent's command journal. */
export type CommandJournal = ReturnType<typeof openCommandJournal>;

// Agents before the durable map kept a `<result id>.json` file per entry: taken into the map (durably)
// before the file goes. A file that cannot be read stays where it is, for a human, as it always did.
const adoptEntryFiles = (dir: string, entries: DurableMap<JournalEntry>) => {
  for (const name of readdirSync(dir).filter((n) => n.endsWith('.json'))) {
    let entry: JournalEntry;
    try {
      entry = JSON.parse(readFileSync(join(dir, name), 'utf8')) as JournalEntry;
    } catch {
      continue;
    }
    entries.set(name.slice(0, -'.json'.length), entry);
    removeFile(join(dir, name));
  }
};
