import { accountsProjection } from './accounts/accountsProjection.ts';
import { agentsProjection } from './agents/agentsProjection.ts';
import { boundaryProjection } from './boundaryProjection.ts';
import { configProjection } from './config/configProjection.ts';
import { enrollmentTokensProjection } from './enrollment/enrollmentTokensProjection.ts';
import { eventLogProjection } from './eventLog/eventLogProjection.ts';
import { executionsProjection } from './executions/executionsProjection.ts';
import { factsProjection } from './facts/factsProjection.ts';
import { fleetProjection } from './fleet/fleetProjection.ts';
import { jobsProjection } from './jobs/jobsProjection.ts';
import type { Projection } from './projection.ts';
import { schedulesProjection } from './schedules/schedulesProjection.ts';

/** Every projection of the event log, in the order they see each event. */
export const PROJECTIONS: readonly Projection[] = [
  jobsProjection,
  eventLogProjection,
  agentsProjection,
  executionsProjection,
  fleetProjection,
  schedulesProjection,
  enrollmentTokensProjection,
  accountsProjection,
  factsProjection,
  configProjection,
  boundaryProjection,
];
