import type { RecordedEvent } from '../infra/eventStore/index.ts';
import { HEARTBEATS_STREAM } from '../infra/nats/fleet.ts';
import { EVENTS_STREAM } from '../infra/nats/streams.ts';
import { decodeHeartbeat, heartbeatsProjection } from './agents/heartbeatsProjection.ts';
import { PROJECTIONS } from './eventLogProjections.ts';
import type { SourceSpec } from './generation.ts';

export { PROJECTIONS } from './eventLogProjections.ts';

/** The event log as a read-model source; `enrich` reads overflowed output back from the object store. */
export const eventLogSource = (enrich?: (events: RecordedEvent[]) => Promise<void>): SourceSpec => ({
  stream: EVENTS_STREAM,
  projections: PROJECTIONS,
  offThread: 'event-log',
  ...(enrich === undefined ? {} : { enrich }),
});

/** The heartbeats stream as a read-model source (last heartbeat per agent). */
export const heartbeatSource: SourceSpec = {
  stream: HEARTBEATS_STREAM,
  projections: [heartbeatsProjection],
  decode: decodeHeartbeat,
};

export type { ApiTokenView, UserView } from './accounts/queries.ts';
export { getApiToken, getUser, listApiTokens, listUsers } from './accounts/queries.ts';
export type { AgentFilter, AgentView, GroupView, TargetableAgent } from './agents/queries.ts';
export { getAgent, listAgents, listGroups, ONLINE_WINDOW_MS, targetableAgents } from './agents/queries.ts';
export { createBatchWriter, readCheckpoints } from './batchWriter.ts';
export { tableChecksums } from './checksum.ts';
export type { ConfigLayerView } from './config/queries.ts';
export { listConfigLayers, reportedConfig } from './config/queries.ts';
export { agentsByStatus, executionsByStatus } from './counts.ts';
export type { ReadModelDatabase } from './database.ts';
export { closeReadModelDatabase, openReadModelDatabase } from './database.ts';
export type { EnrollmentTokenView } from './enrollment/queries.ts';
export { listEnrollmentTokens } from './enrollment/queries.ts';
export type { EventFilter, LoggedEvent } from './eventLog/queries.ts';
export { listEvents } from './eventLog/queries.ts';
export { summarize } from './eventLog/summary.ts';
export type { ApprovalStepView, PendingApproval } from './executions/approvals.ts';
export { listPendingApprovals } from './executions/approvals.ts';
export type {
  ExecutionDetail,
  ExecutionListed,
  ExecutionView,
  ResultFilter,
  ResultPage,
  ResultPreview,
  ResultStatus,
  ResultView,
  WaveView,
} from './executions/queries.ts';
export {
  DEFAULT_RESULTS_PAGE,
  getExecution,
  getExecutionProgress,
  getResult,
  jobHistory,
  listExecutions,
  listResults,
  RESULT_STATUSES,
} from './executions/queries.ts';
export type { InventoryPage, InventoryRow, InventorySummary } from './facts/inventory.ts';
export { BUILT_IN, inventoryJobs, inventoryPage } from './facts/inventory.ts';
export type { AgentFactsView, FactChangeView, InventoryView } from './facts/queries.ts';
export { getAgentFacts, selectorFacts } from './facts/queries.ts';
export type { FleetView } from './fleet/fleetProjection.ts';
export { getFleet } from './fleet/fleetProjection.ts';
export type { Generation, GenerationSource } from './generation.ts';
export { bulkCatchUp, openGeneration } from './generation.ts';
export { currentGeneration } from './generations.ts';
export type { JobFilter, JobView } from './jobs/queries.ts';
export { getJob, listJobs } from './jobs/queries.ts';
export type { Projection, RowChange, RowReader } from './projection.ts';
export type { ReadModelsService, ReadModelsStatus } from './readModels.ts';
export { createReadModels, ReadModelsNotReady, StreamMismatch } from './readModels.ts';
export type { ProjectionRunner, RunnerObserver, RunnerStatus } from './runner.ts';
export { createRunner } from './runner.ts';
export type { ScheduleFilter, ScheduleFireView, ScheduleView } from './schedules/queries.ts';
export { getSchedule, listSchedules, scheduleFires } from './schedules/queries.ts';
export type { ReadModels } from './schema.ts';
