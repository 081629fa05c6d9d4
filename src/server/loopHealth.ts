import type { Logger } from '../infra/log.ts';
import { ReadModelsNotReady } from '../projections/index.ts';

/** A failure of the moment, not of the item: the loop waits it out instead of skipping the item. */
export class NotYet extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NotYet';
  }
}

/** How one background loop is doing, for /health. */
export type LoopStatus = {
  loop: string;
  state: 'ok' | 'failing';
  /** While failing: since when, and the last error. */
  since?: string;
  error?: string;
  /** Items the loop could not handle and went past (an exec it cannot dispatch, a key it cannot write). */
  stuck: { item: string; error: string; since: string }[];
};

/** What a loop reports: passes that work or fail, and single items that fail while the rest go on. */
export type LoopReporter = {
  /** A pass worked: a failing loop is back (said once). */
  ok(): void;
  /** A whole pass failed (the broker is away, say): said once per streak, then quiet until it works. */
  failed(error: unknown): void;
  /** One item failed and was skipped for now: recorded and said once, until it works or goes away. */
  stuck(item: string, error: unknown): void;
  /** The item worked after all (or is gone). */
  unstuck(item: string): void;
};

const message = (error: unknown) => (error instanceof Error ? error.message : String(error));
const MAX_STUCK = 100;

/**
 * The health of the server's background loops (dispatcher, views writer, reaper, scheduler, broker
 * sync). One bad item never stops a loop, and one outage is one log line, not one a tick.
 */
export const createLoopHealth = (log: Logger, now: () => Date = () => new Date()) => {
  const loops = new Map<string, LoopStatus>();
  return {
    /** The reporter of one loop. */
    loop: (name: string): LoopReporter => {
      const status: LoopStatus = { loop: name, state: 'ok', stuck: [] };
      loops.set(name, status);
      const l = log.child(name);
      return {
        ok: () => {
          if (status.state === 'ok') return;
          l.info('working again', { after: status.error });
          status.state = 'ok';
          delete status.since;
          delete status.error;
        },
        failed: (error) => {
          // Until the read models are built there is nothing to do yet: that is not a failure.
          if (error instanceof ReadModelsNotReady || error instanceof NotYet) return l.debug('waiting', { error });
          if (status.state === 'failing') {
            status.error = message(error);
            return l.debug('still failing', { error });
          }
          l.warn('failing; retrying quietly until it works again', { error });
          status.state = 'failing';
          status.since = now().toISOString();
          status.error = message(error);
        },
        stuck: (item, error) => {
          const known = status.stuck.find((s) => s.item === item);
          if (known !== undefined) {
            known.error = message(error);
            return;
          }
          l.error('skipping an item it cannot handle; the rest go on', { item, error });
          if (status.stuck.length < MAX_STUCK)
            status.stuck.push({ item, error: message(error), since: now().toISOString() });
        },
        unstuck: (item) => {
          const i = status.stuck.findIndex((s) => s.item === item);
          if (i === -1) return;
          status.stuck.splice(i, 1);
          l.info('handled an item that failed before', { item });
        },
      };
    },
    /** Every loop's status. */
    status: (): LoopStatus[] => [...loops.values()].map((s) => ({ ...s, stuck: [...s.stuck] })),
  };
};

/** The background loops' health registry of a server. */
export type LoopHealth = ReturnType<typeof createLoopHealth>;
