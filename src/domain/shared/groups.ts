/** Group names travel in NATS subjects (`kanade.cmd.group.<g>.…`), so they use a safe alphabet. */
export const GROUP_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

/** True when `name` is a valid group name. */
export const isGroupName = (name: string): boolean => GROUP_PATTERN.test(name);

/** Sorted and de-duplicated, so equal sets always serialize to the same bytes. */
export const normalizeGroups = (groups: readonly string[]): string[] => [...new Set(groups)].sort();
