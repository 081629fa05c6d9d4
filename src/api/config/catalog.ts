import {
  type ConfigCommand,
  type ConfigEvent,
  type ConfigManifest,
  type ConfigState,
  configDecider,
  configStreamName,
} from '../../domain/config/index.ts';
import { manifestCatalog } from '../catalog/manifestCatalog.ts';

const idOf = (command: ConfigCommand): string =>
  command.type === 'ApplyConfigLayer' ? command.data.manifest.id : command.data.layer;

/** The config layers: apply manifests (created / updated / unchanged), delete. */
export const configCatalog = manifestCatalog<ConfigManifest, ConfigCommand, ConfigEvent, ConfigState>({
  decider: configDecider,
  streamName: configStreamName,
  idOf,
  apply: (manifest) => ({ type: 'ApplyConfigLayer', data: { manifest } }),
  delete: (layer) => ({ type: 'DeleteConfigLayer', data: { layer } }),
  describe: (command, events, seq) => {
    const first = events[0];
    const id = idOf(command);
    if (first === undefined) return { id, status: 'unchanged', seq };
    if (first.type === 'ConfigLayerDeleted') return { id, status: 'deleted', seq };
    return first.data.created
      ? { id, status: 'created', seq }
      : { id, status: 'updated', seq, changed: first.data.changed };
  },
});
