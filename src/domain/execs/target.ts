import { closest, type Issue } from '../shared/index.ts';

/** Who an exec is for: everybody, members of groups, named PCs (any combination). */
export type Target = { all?: boolean; groups?: string[]; pcs?: string[] };

/** What target resolution needs to know of an agent. */
export type KnownAgent = { pc_id: string; groups: readonly string[]; online: boolean };

/** The PCs a target resolves to, and the named PCs no agent has enrolled as. */
export type Resolution = { pcs: string[]; unknown: string[] };

/** Where a command is published: one subject per target part. */
export type CommandAddress = { kind: 'all' } | { kind: 'group'; group: string } | { kind: 'pc'; pc: string };

/**
 * Resolves a target against the known agents. `all` and groups count online agents (offline ones
 * still catch up when they return); named PCs count whether online or not.
 */
export const resolveTarget = (target: Target, agents: readonly KnownAgent[]): Resolution => {
  const groups = new Set(target.groups ?? []);
  const named = new Set(target.pcs ?? []);
  const known = new Set(agents.map((a) => a.pc_id));
  const pcs = agents
    .filter((a) => named.has(a.pc_id) || (a.online && (target.all === true || a.groups.some((g) => groups.has(g)))))
    .map((a) => a.pc_id);
  return { pcs: [...new Set(pcs)].sort(), unknown: [...named].filter((pc) => !known.has(pc)).sort() };
};

/** The subjects an exec's command goes to. */
export const addressesOf = (target: Target): CommandAddress[] => [
  ...(target.all === true ? [{ kind: 'all' } as const] : []),
  ...[...new Set(target.groups ?? [])].sort().map((group) => ({ kind: 'group', group }) as const),
  ...[...new Set(target.pcs ?? [])].sort().map((pc) => ({ kind: 'pc', pc }) as const),
];

/** True when the target names at least one part. */
export const isEmptyTarget = (target: Target): boolean =>
  target.all !== true && (target.groups ?? []).length === 0 && (target.pcs ?? []).length === 0;

/** A target with only the parts that are set, lists sorted and unique (so equal targets serialize equally). */
export const normalizeTarget = (t: {
  all?: boolean | undefined;
  groups?: string[] | undefined;
  pcs?: string[] | undefined;
}): Target => ({
  ...(t.all === true ? { all: true } : {}),
  ...((t.groups ?? []).length > 0 ? { groups: [...new Set(t.groups)].sort() } : {}),
  ...((t.pcs ?? []).length > 0 ? { pcs: [...new Set(t.pcs)].sort() } : {}),
});

/** A group named somewhere in a request, and where (`target.groups[0]`, `rollout.waves[1].group`). */
export type NamedGroup = { group: string; path: string };

/**
 * The groups a target and a rollout name, with their paths in the request or manifest. A wave chosen
 * by a selector names no group (a selector that matches nobody is allowed, like an empty group wave).
 */
export const namedGroups = (
  target: Target | undefined,
  waves: readonly ({ group: string } | { where: unknown })[] | undefined,
): NamedGroup[] => [
  ...(target?.groups ?? []).map((group, i) => ({ group, path: `target.groups[${i}]` })),
  ...(waves ?? []).flatMap((w, i) => ('group' in w ? [{ group: w.group, path: `rollout.waves[${i}].group` }] : [])),
];

/**
 * The named groups no known agent is in, each as a problem at its path, with the nearest known group
 * when one is close ("did you mean wave1?"). A group nobody is in is a typo or a mistake, like an
 * unknown PC.
 */
export const unknownGroupIssues = (named: readonly NamedGroup[], agents: readonly KnownAgent[]): Issue[] => {
  const known = [...new Set(agents.flatMap((a) => a.groups))].sort();
  return named
    .filter((n) => !known.includes(n.group))
    .map(({ group, path }) => {
      const near = closest(group, known);
      return {
        path,
        message: `no approved agent is in group ${group}${near === undefined ? '' : ` (did you mean ${near}?)`}`,
      };
    });
};
