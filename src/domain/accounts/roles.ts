/**
 * What a person (or a token) may do, each role including the ones before it:
 * - `viewer` reads;
 * - `applier` also applies manifests (jobs and schedules: the CI role; it runs nothing);
 * - `operator` also runs, kills, revokes, approves, halts the fleet;
 * - `admin` also manages users, tokens and enrollment tokens.
 */
export const ROLES = ['viewer', 'applier', 'operator', 'admin'] as const;

/** One of ROLES. */
export type Role = (typeof ROLES)[number];

/** True when `value` names a role. */
export const isRole = (value: unknown): value is Role => typeof value === 'string' && ROLES.includes(value as Role);

/** True when `held` includes everything `needed` may do. */
export const roleAtLeast = (held: Role, needed: Role): boolean => ROLES.indexOf(held) >= ROLES.indexOf(needed);

/** The lower of two roles (a token never does more than its owner). */
export const lowerRole = (a: Role, b: Role): Role => (roleAtLeast(a, b) ? b : a);

/**
 * The person behind an actor: `alice` for `alice` (a session) and `alice:ci` (alice's token named ci).
 * The two-person rule compares people, so one cannot approve through a token what one asked for.
 */
export const personOf = (actor: string): string => actor.split(':', 1)[0] as string;

/** User names: lower case, starting with a letter; no `:` (it separates a person from their token in an actor). */
export const USER_NAME_PATTERN = /^[a-z][a-z0-9._-]{0,63}$/;

/** Actors the server itself records; no user may take one of these names. */
export const SYSTEM_ACTORS: readonly string[] = ['anonymous', 'dispatcher', 'scheduler', 'reaper', 'server'];
