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
  // cron-parser picks a random value for H on every parse: slots would differ between evaluations and servers.
  if (
    /H/i.test(expr.replace(/\b(JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|OCT|NOV|DEC|MON|TUE|WED|THU|FRI|SAT|SUN)\b/gi, ''))
  )
    return 'H (hashed) values are not supported: write the minute, hour … you want';
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

/** Most slots kept as "recent" (a scheduler catching up on a per-second cron keeps the newest). */
const MAX_RECENT = 1_000;

/**
 * The slots strictly after `after` and at or before `now`, or undefined when none is due: the first,
 * how many (counting stops at MAX_COUNTED_SLOTS), and the newest — every slot from `recentFrom` on,
 * plus the two before it. Slots are walked forward: cron-parser's backward walk skips a slot that a
 * daylight-saving change moved (02:30 on a spring-forward day runs at 03:30 forward, never backward).
 */
export const dueSlots = (expr: string, tz: string, after: Date, now: Date, recentFrom: Date): DueSlots | undefined => {
  const forward = parse(expr, tz, after);
  const end = now.getTime();
  let slot = forward.next().toDate();
  if (slot.getTime() > end) return undefined;
  const first = slot.toISOString();
  const before: string[] = [];
  const recent: string[] = [];
  let count = 0;
  while (slot.getTime() <= end && count < MAX_COUNTED_SLOTS) {
    count++;
    const iso = slot.toISOString();
    if (slot.getTime() >= recentFrom.getTime()) {
      recent.push(iso);
      if (recent.length > MAX_RECENT) before.push(recent.shift() as string);
    } else before.push(iso);
    if (before.length > 2) before.shift();
    slot = forward.next().toDate();
  }
  if (slot.getTime() <= end) return { first, count, recent: newestBackward(expr, tz, after, now, recentFrom) };
  return { first, count, recent: [...before.slice(-2), ...recent] };
};

// When counting stopped short of now (a dense cron after a long gap): the newest slots, walked back from now.
const newestBackward = (expr: string, tz: string, after: Date, now: Date, recentFrom: Date): string[] => {
  const backward = parse(expr, tz, new Date(now.getTime() + 1));
  const newest: string[] = [];
  let older = 0;
  while (newest.length < MAX_RECENT && older < 2) {
    const slot = backward.prev().toDate();
    if (slot.getTime() <= after.getTime()) break;
    newest.unshift(slot.toISOString());
    if (slot.getTime() < recentFrom.getTime()) older++;
  }
  return newest;
};
