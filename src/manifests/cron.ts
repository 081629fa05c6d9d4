import { CronExpressionParser } from 'cron-parser';
import type { DueSlots } from '../domain/schedules/index.ts';

/** Most due slots the scheduler counts one by one (a per-second cron after a day down would be 86,400). */
export const MAX_COUNTED_SLOTS = 10_000;

/** Why a time zone or cron expression is not usable, or undefined when it is. */
export const timeZoneProblem = (tz: string): string | undefined => {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return undefined;
  } catch {
    return `${tz} is not a known time zone (use an IANA name such as UTC or Europe/Berlin)`;
  }
};

/** Why a cron expression is not usable: kanade's shape is 5 fields, or 6 with seconds first. */
export const cronProblem = (expr: string, tz = 'UTC'): string | undefined => {
  const fields = expr.trim().split(/\s+/).length;
  if (fields !== 5 && fields !== 6)
    return `must have 5 fields (minute hour day month weekday) or 6 (with seconds first), not ${fields}`;
  try {
    CronExpressionParser.parse(expr, { tz, currentDate: new Date(0) }).next();
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
};

const parse = (expr: string, tz: string, currentDate: Date) => CronExpressionParser.parse(expr, { tz, currentDate });

/** The next `n` slots strictly after `after`. */
export const nextSlots = (expr: string, tz: string, after: Date, n: number): string[] => {
  const it = parse(expr, tz, after);
  return Array.from({ length: n }, () => it.next().toISOString() as string);
};

/**
 * The slots strictly after `after` and at or before `now`, or undefined when none is due: the first,
 * how many (counting stops at MAX_COUNTED_SLOTS), and the newest ones — every slot within
 * `recentSecs` of now, plus the one before them.
 */
export const dueSlots = (
  expr: string,
  tz: string,
  after: Date,
  now: Date,
  recentSecs: number,
): DueSlots | undefined => {
  const forward = parse(expr, tz, after);
  const first = forward.next().toDate();
  if (first.getTime() > now.getTime()) return undefined;
  let count = 1;
  while (count < MAX_COUNTED_SLOTS && forward.next().toDate().getTime() <= now.getTime()) count++;
  const backward = parse(expr, tz, new Date(now.getTime() + 1));
  const recent: string[] = [];
  for (;;) {
    const slot = backward.prev().toDate();
    if (slot.getTime() <= after.getTime()) break;
    recent.unshift(slot.toISOString());
    if (now.getTime() - slot.getTime() > recentSecs * 1000) break;
  }
  return { first: first.toISOString(), count, recent };
};
