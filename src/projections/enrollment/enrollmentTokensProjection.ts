import type { EnrollmentTokenEvent } from '../../domain/enrollment/index.ts';
import type { RecordedEvent } from '../../infra/eventStore/index.ts';
import { type Projection, put } from '../projection.ts';

/** Enrollment tokens as the API lists them (no secrets: those never reach the stream). */
export const enrollmentTokensProjection: Projection = {
  name: 'enrollment_tokens',
  version: 1,
  apply: (event, rows) => {
    const e = event as RecordedEvent & EnrollmentTokenEvent;
    switch (e.type) {
      case 'EnrollmentTokenCreated':
        return [
          put('enrollment_tokens', {
            token_id: e.data.token_id,
            name: e.data.name,
            auto_approve: e.data.auto_approve ? 1 : 0,
            expires_at: e.data.expires_at,
            groups: JSON.stringify(e.data.groups ?? []),
            created_at: event.at,
            created_by: event.actor,
            revoked_at: null,
            revoked_by: null,
            seq: event.seq,
          }),
        ];
      case 'EnrollmentTokenRevoked': {
        const row = rows.get('enrollment_tokens', { token_id: e.data.token_id });
        return row === undefined
          ? []
          : [put('enrollment_tokens', { ...row, revoked_at: event.at, revoked_by: event.actor, seq: event.seq })];
      }
      default:
        return [];
    }
  },
};
