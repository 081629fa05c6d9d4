import { canonicalJson } from '../shared/canonical.ts';
import { changedPaths } from '../shared/changes.ts';
import { DomainError } from '../shared/errors.ts';
import type { DomainCommand, DomainEvent } from '../shared/messages.ts';
import { unreachable } from '../shared/unreachable.ts';
import type { ConfigManifest } from './layers.ts';

/** A config layer was applied: created (`created`), or changed (`changed` names the paths). */
export type ConfigLayerSet = DomainEvent<
  'ConfigLayerSet',
  { layer: string; manifest: ConfigManifest; created: boolean; changed: string[] }
>;
/** A config layer was removed (`kanade config delete`, or a prune): its settings no longer apply. */
export type ConfigLayerDeleted = DomainEvent<'ConfigLayerDeleted', { layer: string }>;
/** Every event of a config layer. */
export type ConfigEvent = ConfigLayerSet | ConfigLayerDeleted;

/** The event types of config layers (what may be recorded under `kanade.ev.config.…`). */
export const CONFIG_EVENT_TYPES: readonly ConfigEvent['type'][] = ['ConfigLayerSet', 'ConfigLayerDeleted'];

/** Apply a layer's manifest; nothing happens when it is unchanged. */
export type ApplyConfigLayer = DomainCommand<'ApplyConfigLayer', { manifest: ConfigManifest }>;
/** Remove a layer. */
export type DeleteConfigLayer = DomainCommand<'DeleteConfigLayer', { layer: string }>;
/** Every command of a config layer. */
export type ConfigCommand = ApplyConfigLayer | DeleteConfigLayer;

/** What is known of one layer. */
export type ConfigState = Readonly<{ status: 'absent' } | { status: 'active'; manifest: ConfigManifest }>;

/** The layer does not exist (never applied, or deleted). */
export class ConfigLayerNotFound extends DomainError {
  readonly code = 'config-layer-not-found';
  constructor(layer: string) {
    super(`config layer ${layer} does not exist`);
    this.name = 'ConfigLayerNotFound';
  }
}

const initialState = (): ConfigState => ({ status: 'absent' });

const evolve = (_state: ConfigState, event: ConfigEvent): ConfigState => {
  switch (event.type) {
    case 'ConfigLayerSet':
      return { status: 'active', manifest: event.data.manifest };
    case 'ConfigLayerDeleted':
      return { status: 'absent' };
    default:
      return unreachable(event);
  }
};

const decide = (command: ConfigCommand, state: ConfigState): ConfigEvent[] => {
  switch (command.type) {
    case 'ApplyConfigLayer': {
      const { manifest } = command.data;
      if (state.status !== 'active')
        return [{ type: 'ConfigLayerSet', data: { layer: manifest.id, manifest, created: true, changed: [] } }];
      if (canonicalJson(state.manifest) === canonicalJson(manifest)) return [];
      const changed = changedPaths(state.manifest, manifest);
      return [{ type: 'ConfigLayerSet', data: { layer: manifest.id, manifest, created: false, changed } }];
    }
    case 'DeleteConfigLayer':
      if (state.status !== 'active') throw new ConfigLayerNotFound(command.data.layer);
      return [{ type: 'ConfigLayerDeleted', data: { layer: command.data.layer } }];
    default:
      return unreachable(command);
  }
};

/** The config-layer decider (Emmett's Decider shape). */
export const configDecider = { decide, evolve, initialState };
