export type { Role } from './roles.ts';
export { isRole, lowerRole, personOf, ROLES, roleAtLeast, SYSTEM_ACTORS, USER_NAME_PATTERN } from './roles.ts';
export type {
  AddUser,
  ApiTokenCreated,
  ApiTokenRevoked,
  ApiTokenState,
  CreateApiToken,
  DisableUser,
  EnableUser,
  RecordPasswordSet,
  RevokeApiToken,
  SetUserRole,
  UserAdded,
  UserCommand,
  UserDisabled,
  UserEnabled,
  UserEvent,
  UserPasswordSet,
  UserRoleChanged,
  UserState,
} from './users.ts';
export {
  ApiTokenNotFound,
  RoleAboveOwner,
  USER_EVENT_TYPES,
  UserExists,
  UserNotFound,
  userDecider,
  userStreamName,
} from './users.ts';
