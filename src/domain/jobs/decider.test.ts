import { DeciderSpecification } from '@event-driven-io/emmett';
import { describe, it } from 'vitest';
import { aManifest } from '../../testing/manifests.ts';
import { jobDecider } from './decider.ts';
import { JobNotFound, VersionNotBumped } from './errors.ts';
import type { JobEvent } from './events.ts';

const given = DeciderSpecification.for(jobDecider);
const v1 = aManifest();
const registered: JobEvent = { type: 'JobRegistered', data: { job_id: 'echo', version: '1.0.0', manifest: v1 } };

describe('job decider', () => {
  describe('when the job was never registered', () => {
    it('registers it', () =>
      given([])
        .when({ type: 'ApplyJob', data: { manifest: v1 } })
        .then([registered]));

    it('refuses to revoke it', () =>
      given([])
        .when({ type: 'RevokeJob', data: { job_id: 'echo' } })
        .thenThrows((e) => e instanceof JobNotFound));

    it('refuses to delete it', () =>
      given([])
        .when({ type: 'DeleteJob', data: { job_id: 'echo' } })
        .thenThrows((e) => e instanceof JobNotFound));
  });

  describe('when the job is registered', () => {
    it('does nothing for the same manifest', () =>
      given([registered])
        .when({ type: 'ApplyJob', data: { manifest: aManifest() } })
        .thenNothingHappened());

    it('updates it and names what changed', () => {
      const v2 = aManifest({ version: '1.1.0', description: 'says hello' });
      given([registered])
        .when({ type: 'ApplyJob', data: { manifest: v2 } })
        .then([
          {
            type: 'JobUpdated',
            data: {
              job_id: 'echo',
              version: '1.1.0',
              previous_version: '1.0.0',
              manifest: v2,
              changed: ['description', 'version'],
            },
          },
        ]);
    });

    it('accepts a description change without a version bump', () => {
      const same = aManifest({ description: 'docs only' });
      given([registered])
        .when({ type: 'ApplyJob', data: { manifest: same } })
        .then([
          {
            type: 'JobUpdated',
            data: {
              job_id: 'echo',
              version: '1.0.0',
              previous_version: '1.0.0',
              manifest: same,
              changed: ['description'],
            },
          },
        ]);
    });

    it('refuses a script change without a version bump', () =>
      given([registered])
        .when({
          type: 'ApplyJob',
          data: { manifest: aManifest({ execute: { ...v1.execute, script: 'echo bye' } }) },
        })
        .thenThrows((e) => e instanceof VersionNotBumped && e.changed.join() === 'execute.script'));

    it('revokes it with a reason', () =>
      given([registered])
        .when({ type: 'RevokeJob', data: { job_id: 'echo', reason: 'bad script' } })
        .then([{ type: 'JobRevoked', data: { job_id: 'echo', version: '1.0.0', reason: 'bad script' } }]));

    it('does nothing when unrevoking a job that is not revoked', () =>
      given([registered])
        .when({ type: 'UnrevokeJob', data: { job_id: 'echo' } })
        .thenNothingHappened());

    it('deletes it', () =>
      given([registered])
        .when({ type: 'DeleteJob', data: { job_id: 'echo' } })
        .then([{ type: 'JobDeleted', data: { job_id: 'echo', version: '1.0.0' } }]));
  });

  describe('when the job is revoked', () => {
    const revoked: JobEvent[] = [registered, { type: 'JobRevoked', data: { job_id: 'echo', version: '1.0.0' } }];

    it('does nothing when revoked again', () =>
      given(revoked)
        .when({ type: 'RevokeJob', data: { job_id: 'echo' } })
        .thenNothingHappened());

    it('unrevokes it', () =>
      given(revoked)
        .when({ type: 'UnrevokeJob', data: { job_id: 'echo' } })
        .then([{ type: 'JobUnrevoked', data: { job_id: 'echo', version: '1.0.0' } }]));

    it('stays revoked across an update', () => {
      const v2 = aManifest({ version: '2.0.0' });
      given([
        ...revoked,
        {
          type: 'JobUpdated',
          data: { job_id: 'echo', version: '2.0.0', previous_version: '1.0.0', manifest: v2, changed: ['version'] },
        },
      ])
        .when({ type: 'RevokeJob', data: { job_id: 'echo' } })
        .thenNothingHappened();
    });
  });

  describe('when the job was deleted', () => {
    const deleted: JobEvent[] = [registered, { type: 'JobDeleted', data: { job_id: 'echo', version: '1.0.0' } }];

    it('registers it again as new', () =>
      given(deleted)
        .when({ type: 'ApplyJob', data: { manifest: v1 } })
        .then([registered]));

    it('refuses to revoke it', () =>
      given(deleted)
        .when({ type: 'RevokeJob', data: { job_id: 'echo' } })
        .thenThrows((e) => e instanceof JobNotFound));
  });
});
