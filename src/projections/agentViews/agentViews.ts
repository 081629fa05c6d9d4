import type { AgentEvent } from '../../domain/agents/index.ts';
import { type ConfigEvent, configKey, scopeOf } from '../../domain/config/index.ts';
import type { KillRequested } from '../../domain/execs/index.ts';
import type { FleetEvent } from '../../domain/fleet/index.ts';
import type { JobEvent } from '../../domain/jobs/index.ts';
import type { RecordedEvent } from '../../infra/eventStore/index.ts';
import { EVENTS_SUBJECT_PREFIX } from '../../infra/nats/streams.ts';

/** A change to one of the KV views agents read; `value` null deletes the key. */
export type ViewChange = {
  bucket: 'jobStatus' | 'groups' | 'kills' | 'fleet' | 'config';
  key: string;
  value: string | null;
};

// Categories whose events never change a view (`viewChanges` has no case for them): runs and facts,
// most of a busy stream (two run events per agent per command).
const NO_VIEWS = ['run', 'facts'].map((category) => `${EVENTS_SUBJECT_PREFIX}.${category}.`);

/** False for an event-log subject whose events cannot change a view: the views writer skips them unread. */
export const mayChangeViews = (subject: string): boolean => !NO_VIEWS.some((prefix) => subject.startsWith(prefix));

/**
 * What each event means for the agents' views: job status (a deleted job counts as revoked, so
 * retained commands for it are skipped), group membership, and kill markers. Version pins are written
 * by the dispatcher itself, right before it publishes, so no pin can arrive after its command. Config
 * layers are written as applied; each agent folds the ones that apply to it (`effectiveConfig`).
 */
export const viewChanges = (event: RecordedEvent, groupsKey: (pcId: string) => string): ViewChange[] => {
  const e = event as unknown as RecordedEvent & (JobEvent | AgentEvent | KillRequested | FleetEvent | ConfigEvent);
  switch (e.type) {
    case 'JobRegistered':
    case 'JobUnrevoked':
      return [{ bucket: 'jobStatus', key: e.data.job_id, value: 'ACTIVE' }];
    case 'JobRevoked':
    case 'JobDeleted':
      return [{ bucket: 'jobStatus', key: e.data.job_id, value: 'REVOKED' }];
    case 'AgentEnrolled':
    case 'AgentApproved':
    case 'AgentGroupsSet':
      return [{ bucket: 'groups', key: groupsKey(e.data.pc_id), value: JSON.stringify({ groups: e.data.groups }) }];
    case 'FleetHalted':
      return [
        {
          bucket: 'fleet',
          key: 'halt',
          value: JSON.stringify({
            halted: true,
            reason: e.data.reason,
            kill_running: e.data.kill_running,
            at: event.at,
            by: event.actor,
          }),
        },
      ];
    case 'FleetResumed':
      return [
        { bucket: 'fleet', key: 'halt', value: JSON.stringify({ halted: false, at: event.at, by: event.actor }) },
      ];
    case 'KillRequested':
      return [
        {
          bucket: 'kills',
          key: e.data.exec_id,
          value: JSON.stringify({ at: event.at, by: event.actor, reason: e.data.reason ?? null }),
        },
      ];
    case 'ConfigLayerSet':
      return [{ bucket: 'config', key: configKey(e.data.manifest), value: JSON.stringify(e.data.manifest) }];
    case 'ConfigLayerDeleted': {
      const scope = scopeOf(e.data.layer);
      return scope === undefined ? [] : [{ bucket: 'config', key: configKey(scope), value: null }];
    }
    default:
      return [];
  }
};
