export type {
  CreateEnrollmentToken,
  EnrollmentTokenCommand,
  EnrollmentTokenCreated,
  EnrollmentTokenEvent,
  EnrollmentTokenRevoked,
  EnrollmentTokenState,
  RevokeEnrollmentToken,
} from './tokens.ts';
export {
  ENROLLMENT_TOKEN_EVENT_TYPES,
  EnrollmentTokenNotFound,
  enrollmentTokenDecider,
  enrollmentTokenStreamName,
  tokenUnusable,
} from './tokens.ts';
