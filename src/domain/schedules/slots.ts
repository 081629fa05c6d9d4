/** Slots due since the schedule was last handled, as the scheduler found them. */
export type DueSlots = {
  /** The oldest due slot, and how many are due (`count` stops at a cap for very dense crons). */
  first: string;
  count: number;
  /** The newest due slots (ascending): every slot since the on-time boundary, and the two before it. */
  recent: readonly string[];
};

/** How the scheduler handles due slots: what to fire (on time, or one late catch-up), what to record as skipped. */
export type SlotPlan = {
  fire: readonly { slot: string; catchUp: boolean }[];
  skip?: { from: string; to: string; count: number };
};

/** A slot this recent is on time even for a scheduler that just started: a slow tick is not a miss. */
export const ON_TIME_SECS = 5;

/**
 * Splits due slots into fires and one skipped range. Slots due while this scheduler was already
 * running (`runningSince`), or within ON_TIME_SECS, fire. Older ones were missed (no scheduler was
 * running): the newest of them fires as a catch-up when nothing newer fires and it is still within
 * `startingDeadlineSecs`; the rest are recorded as skipped.
 */
export const planSlots = (
  due: DueSlots,
  now: string,
  startingDeadlineSecs: number | undefined,
  runningSince?: string,
): SlotPlan => {
  const nowMs = Date.parse(now);
  const age = (slot: string) => (nowMs - Date.parse(slot)) / 1000;
  const isOnTime = (slot: string) => age(slot) <= ON_TIME_SECS || (runningSince !== undefined && slot >= runningSince);
  const onTime = due.recent.filter(isOnTime);
  const newestMissed = due.recent.filter((slot) => !isOnTime(slot)).at(-1);
  const missedCount = due.count - onTime.length;
  const catchUp =
    onTime.length === 0 &&
    newestMissed !== undefined &&
    startingDeadlineSecs !== undefined &&
    age(newestMissed) <= startingDeadlineSecs
      ? newestMissed
      : undefined;
  const fire = [
    ...(catchUp === undefined ? [] : [{ slot: catchUp, catchUp: true }]),
    ...onTime.map((slot) => ({ slot, catchUp: false })),
  ];
  const skippedCount = missedCount - (catchUp === undefined ? 0 : 1);
  if (skippedCount <= 0 || newestMissed === undefined) return { fire };
  // The skipped range ends at the newest missed slot not fired (the one before a catch-up).
  const missed = due.recent.filter((slot) => !isOnTime(slot) && slot !== catchUp);
  const to = missed.at(-1) ?? due.first;
  return { fire, skip: { from: due.first, to, count: skippedCount } };
};
