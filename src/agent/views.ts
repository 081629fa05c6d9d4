import type { KV } from '@nats-io/kv';
import { HALT_KEY, type HaltFlag, VIEWS } from '../infra/nats/fleet.ts';
import { openView } from '../infra/signing/viewSignature.ts';

/** The views a gate needs for one command. */
export type CommandViews = {
  halt: { reason: string; by: string } | undefined;
  revoked: boolean;
  pin: string | undefined;
  killed: boolean;
  /** Views that hold a value no trusted key signed: the gates then refuse (they fail closed). */
  unverified: ('status' | 'pin' | 'kill')[];
};

type Buckets = { jobStatus: KV; pins: KV; kills: KV; fleet: KV };
const READ_TIMEOUT_MS = 2_000;

/** What a view key holds: nothing, a value the server signed, or something nobody trusted signed. */
export type ViewValue = { kind: 'absent' } | { kind: 'signed'; value: string } | { kind: 'unverified'; stored: string };

/** Reads a stored view value against the keys this agent trusts. */
export const verifiedView = (
  trusted: () => readonly string[],
  bucket: string,
  key: string,
  stored: string | undefined,
): ViewValue => {
  if (stored === undefined) return { kind: 'absent' };
  const opened = openView(new Set(trusted()), bucket, key, stored);
  return opened.ok ? { kind: 'signed', value: opened.value } : { kind: 'unverified', stored };
};

/**
 * The halt flag: halted with a reason, or undefined (absent or resumed). A flag nobody trusted signed
 * counts as halted — stopping is always safe, so the break-glass halt through NATS works without the
 * signing key, while resuming needs it (or the server, which rewrites the flag signed).
 */
export const haltOf = (view: ViewValue): { reason: string; by: string; killRunning: boolean } | undefined => {
  if (view.kind === 'absent') return undefined;
  if (view.kind === 'unverified') return unsignedHalt(view.stored);
  try {
    const flag = JSON.parse(view.value) as HaltFlag;
    return flag.halted
      ? { reason: flag.reason ?? 'no reason given', by: flag.by, killRunning: flag.kill_running === true }
      : undefined;
  } catch {
    return { reason: 'the halt flag is unreadable (treated as halted)', by: 'unknown', killRunning: false };
  }
};

// An unsigned flag is a halt whatever it says. When it is a halt flag at all (written by `fleet halt
// --direct` on a machine without the signing key) its reason and kill_running are honoured; anything
// else — a JetStream acknowledgement someone aimed at the key, say — halts without killing.
const unsignedHalt = (stored: string | undefined) => {
  try {
    const flag = JSON.parse(stored ?? '') as Partial<HaltFlag>;
    if (flag.halted === true && typeof flag.by === 'string' && typeof flag.at === 'string')
      return {
        reason: `${flag.reason ?? 'no reason given'} (an unsigned halt flag: a break-glass halt through NATS)`,
        by: flag.by,
        killRunning: flag.kill_running === true,
      };
  } catch {
    // not a halt flag
  }
  return {
    reason: 'the halt flag is not signed by the server; refusing work until the server rewrites it',
    by: 'unknown',
    killRunning: false,
  };
};

// Which KV bucket each view reader key lives in (the signature names the bucket).
const BUCKET: Record<keyof Buckets, string> = {
  jobStatus: VIEWS.jobStatus,
  pins: VIEWS.pins,
  kills: VIEWS.kills,
  fleet: VIEWS.fleet,
};

/**
 * Reads the agent-facing KV views for a command, live, believing only what a trusted key signed. A
 * failed read falls back to the last value seen (how stale the agent may be is judged from its
 * connection, as kanade does: see `connection.ts`).
 */
export const createViewsReader = (
  views: () => Buckets | undefined,
  trusted: () => readonly string[],
  /** The halt flag as stored, followed live (see `followHalt`), once known: no read per command for it. */
  followedHalt: () => { stored: string | undefined } | undefined = () => undefined,
) => {
  const cache = new Map<string, ViewValue>();
  const read = async (bucket: keyof Buckets, key: string): Promise<ViewValue> => {
    const id = `${bucket}/${key}`;
    try {
      const kv = views()?.[bucket];
      if (kv === undefined) throw new Error('views not open yet');
      const entry = await withTimeout(kv.get(key), READ_TIMEOUT_MS);
      const stored = entry === null || entry.operation !== 'PUT' ? undefined : entry.string();
      const value = verifiedView(trusted, BUCKET[bucket], key, stored);
      cache.set(id, value);
      return value;
    } catch {
      return cache.get(id) ?? { kind: 'absent' };
    }
  };
  const killedBy = (kill: ViewValue) => kill.kind !== 'absent';
  return {
    /** Everything the gates need for one command. */
    forCommand: async (jobId: string, execId: string): Promise<CommandViews> => {
      const followed = followedHalt();
      const [halt, status, pin, kill] = await Promise.all([
        // verified now, against the keys trusted now (they may have rotated since it arrived)
        followed === undefined
          ? read('fleet', HALT_KEY)
          : verifiedView(trusted, VIEWS.fleet, HALT_KEY, followed.stored),
        read('jobStatus', jobId),
        read('pins', jobId),
        read('kills', execId),
      ]);
      const unverified: CommandViews['unverified'] = [];
      if (status.kind === 'unverified') unverified.push('status');
      if (pin.kind === 'unverified') unverified.push('pin');
      if (kill.kind === 'unverified') unverified.push('kill');
      return {
        halt: haltOf(halt),
        revoked: status.kind === 'signed' && status.value === 'REVOKED',
        pin: pin.kind === 'signed' ? pin.value : undefined,
        killed: killedBy(kill),
        unverified,
      };
    },
    /** Only the kill marker (polled while a command runs); one nobody trusted signed counts as a kill. */
    killed: async (execId: string): Promise<boolean> => killedBy(await read('kills', execId)),
  };
};

/** The views reader of an agent. */
export type ViewsReader = ReturnType<typeof createViewsReader>;

// The timer is cleared once the read settles: left running, every read kept one for 2 s, and each
// fired into a settled race, building an Error nobody saw (tens of thousands under a burst).
const withTimeout = <T>(promise: Promise<T>, ms: number): Promise<T> => {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<T>((_, reject) => {
    timer = setTimeout(() => reject(new Error('timeout')), ms).unref();
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
};
