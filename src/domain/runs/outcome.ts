/** How a run ended, in the words every list, filter and page uses. */
export const OUTCOMES = ['succeeded', 'failed', 'timed_out', 'killed', 'skipped', 'lost'] as const;

/** How a run ended. `skipped` runs never started: a gate refused them, with a reserved exit code. */
export type Outcome = (typeof OUTCOMES)[number];

/** Reserved exit codes of gated runs (kanade's block, grown downward from 127). */
export const EXIT = {
  /** The command carries nothing to run (an empty script, or a script object this agent cannot fetch). */
  noScript: 120,
  /** The fleet is halted (emergency stop): no new work starts. */
  halted: 121,
  /** The command needs something this agent's OS cannot do (a Windows-only shell or run_as). */
  unsupported: 122,
  /** The command is not signed by a key the agent trusts, was altered, or was addressed elsewhere. */
  unverified: 123,
  /** The command's version is not the pinned version of its job. */
  versionPin: 124,
  /** The command's starting deadline had passed when it arrived. */
  deadline: 125,
  /** The job is revoked (or deleted). */
  revoked: 126,
  /** The agent's views are older than the job's strict staleness policy allows. */
  stale: 127,
  /** Killed, timed out, or lost: no exit code of the script's own. */
  none: -1,
} as const;

/** The outcome of a process that ran. */
export const outcomeOf = (run: { exitCode: number; timedOut: boolean; killed: boolean }): Outcome => {
  if (run.killed) return 'killed';
  if (run.timedOut) return 'timed_out';
  return run.exitCode === 0 ? 'succeeded' : 'failed';
};

/**
 * Outcome counts in words, the same in the CLI and the dashboard: "2 succeeded, 1 failed, 1 killed,
 * 0 skipped, 0 running" (timed_out, killed and lost appear when there are some).
 */
export const outcomeWords = (outcomes: Readonly<Record<Outcome, number>>, running: number): string => {
  const rare = (['timed_out', 'killed', 'lost'] as const)
    .filter((k) => outcomes[k] > 0)
    .map((k) => `${outcomes[k]} ${k}`);
  return [
    `${outcomes.succeeded} succeeded`,
    `${outcomes.failed} failed`,
    ...rare,
    `${outcomes.skipped} skipped`,
    `${running} running`,
  ].join(', ');
};
