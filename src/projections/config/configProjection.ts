import type { ConfigEvent } from '../../domain/config/index.ts';
import type { RecordedEvent } from '../../infra/eventStore/index.ts';
import { del, type Projection, put } from '../projection.ts';

/** Every agent config layer in force, with who applied it last. */
export const configProjection: Projection = {
  name: 'config_layers',
  version: 1,
  apply: (event) => {
    if (!event.stream.startsWith('config-')) return [];
    const e = event as RecordedEvent & ConfigEvent;
    switch (e.type) {
      case 'ConfigLayerSet': {
        const m = e.data.manifest;
        return [
          put('config_layers', {
            layer_id: e.data.layer,
            layer: m.layer,
            name: m.layer === 'global' ? null : m.layer === 'group' ? m.group : m.pc,
            priority: m.layer === 'group' ? (m.priority ?? 0) : 0,
            manifest: JSON.stringify(m),
            updated_at: event.at,
            updated_by: event.actor,
            seq: event.seq,
          }),
        ];
      }
      case 'ConfigLayerDeleted':
        return [del('config_layers', { layer_id: e.data.layer })];
      default:
        return [];
    }
  },
};
