import { encodeId } from '../shared/idEncoding.ts';
import type { ConfigSettings } from './settings.ts';

/** The three layers, from the broadest to the narrowest: a narrower one wins. */
export const CONFIG_LAYERS = ['global', 'group', 'pc'] as const;

/** Where a layer applies. */
export type ConfigScope =
  | Readonly<{ layer: 'global' }>
  | Readonly<{ layer: 'group'; group: string }>
  | Readonly<{ layer: 'pc'; pc: string }>;

/**
 * A config manifest, normalized: its scope, what it sets, and for a group layer its `priority` (which
 * group wins when a PC is in several that set the same key; see `effectiveConfig`). `id` is the
 * layer's id, derived from the scope (`global`, `group/<g>`, `pc/<pc>`).
 */
export type ConfigManifest = Readonly<
  ConfigScope & { id: string; description?: string; priority?: number; settings: ConfigSettings }
>;

/** The id of a layer: `global`, `group/<group>` or `pc/<pc id>` (pc ids never hold `/`). */
export const layerId = (scope: ConfigScope): string =>
  scope.layer === 'global' ? 'global' : scope.layer === 'group' ? `group/${scope.group}` : `pc/${scope.pc}`;

/** The scope a layer id names, or undefined when it names none. */
export const scopeOf = (id: string): ConfigScope | undefined => {
  if (id === 'global') return { layer: 'global' };
  const slash = id.indexOf('/');
  const [layer, name] = [id.slice(0, slash), id.slice(slash + 1)];
  if (slash <= 0 || name === '') return undefined;
  if (layer === 'group') return { layer: 'group', group: name };
  if (layer === 'pc') return { layer: 'pc', pc: name };
  return undefined;
};

/** The event-store stream of a layer (`config-global`, `config-group/lab`, `config-pc/<pc>`). */
export const configStreamName = (id: string): string => `config-${id}`;

/** The KV key agents read a layer under: `global`, `group.<group>`, `pc.<encoded pc>`. */
export const configKey = (scope: ConfigScope): string =>
  scope.layer === 'global' ? 'global' : scope.layer === 'group' ? `group.${scope.group}` : `pc.${encodeId(scope.pc)}`;

/** A group layer's priority (0 when it names none). */
export const priorityOf = (m: ConfigManifest): number => (m.layer === 'group' ? (m.priority ?? 0) : 0);
