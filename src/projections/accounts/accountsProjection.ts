import type { UserEvent } from '../../domain/accounts/index.ts';
import type { RecordedEvent } from '../../infra/eventStore/index.ts';
import { type Projection, put, type RowChange, type RowReader } from '../projection.ts';
import type { UsersTable } from '../schema.ts';

/** Users and their personal tokens, as sign-in, every request's role check and the admin pages read them. */
export const accountsProjection: Projection = {
  name: 'accounts',
  version: 1,
  apply: (event, rows) => {
    const e = event as RecordedEvent & UserEvent;
    switch (e.type) {
      case 'UserAdded':
        return [
          put('users', {
            user: e.data.user,
            role: e.data.role,
            disabled: 0,
            sessions_from: event.at,
            password_set_at: null,
            created_at: event.at,
            created_by: event.actor,
            changed_at: event.at,
            changed_by: event.actor,
            seq: event.seq,
          }),
        ];
      case 'UserRoleChanged':
        return changeUser(rows, event, { role: e.data.role });
      case 'UserDisabled':
        return changeUser(rows, event, { disabled: 1, sessions_from: event.at });
      case 'UserEnabled':
        return changeUser(rows, event, { disabled: 0 });
      case 'UserPasswordSet':
        return changeUser(rows, event, { password_set_at: event.at, sessions_from: event.at });
      case 'ApiTokenCreated':
        return [
          put('api_tokens', {
            token_id: e.data.token_id,
            user: e.data.user,
            name: e.data.name,
            role: e.data.role,
            expires_at: e.data.expires_at,
            created_at: event.at,
            created_by: event.actor,
            revoked_at: null,
            revoked_by: null,
            seq: event.seq,
          }),
        ];
      case 'ApiTokenRevoked': {
        const row = rows.get('api_tokens', { token_id: e.data.token_id });
        return row === undefined
          ? []
          : [put('api_tokens', { ...row, revoked_at: event.at, revoked_by: event.actor, seq: event.seq })];
      }
      default:
        return [];
    }
  },
};

const changeUser = (rows: RowReader, event: RecordedEvent, change: Partial<UsersTable>): RowChange[] => {
  const row = rows.get('users', { user: (event.data as { user: string }).user });
  return row === undefined
    ? []
    : [put('users', { ...row, ...change, changed_at: event.at, changed_by: event.actor, seq: event.seq })];
};
