/**
 * What the HTTP API answers to reads, as types: the routes build these (checked with `satisfies`),
 * and the CLI and the dashboard read them (type-only imports), so a renamed field fails `tsc` on
 * both sides instead of showing up blank on a page. JSON drops `undefined`: optional fields are absent.
 */

import type { Role } from '../domain/accounts/index.ts';
import type { ConfigKey, ValueSource } from '../domain/config/index.ts';
import type { JobManifest } from '../domain/jobs/index.ts';
import type {
  AgentView,
  ApiTokenView,
  ConfigLayerView,
  EnrollmentTokenView,
  ExecutionDetail,
  ExecutionListed,
  ExecutionView,
  FleetView,
  GroupView,
  InventoryPage,
  JobView,
  LoggedEvent,
  PendingApproval,
  ReadModelsStatus,
  ResultPreview,
  ResultView,
  ScheduleFireView,
  ScheduleView,
  UserView,
} from '../projections/index.ts';

export type {
  AgentView as Agent,
  EnrollmentTokenView as EnrollmentToken,
  ExecutionDetail,
  ExecutionListed,
  ExecutionView as Execution,
  FleetView as Fleet,
  GroupView as Group,
  JobView as Job,
  LoggedEvent,
  ReadModelsStatus,
  ResultView as Result,
  ScheduleFireView as ScheduleFire,
};

/** `GET /api/agents`: a page of agents and how many match. */
export type AgentPage = { agents: AgentView[]; total: number };
/** `GET /api/agents/:pc`. */
export type AgentDetail = AgentView & { recent_results: ResultPreview[] };
/** `GET /api/enrollment-tokens`. */
export type EnrollmentTokenList = { tokens: EnrollmentTokenView[] };
/** `POST /api/enrollment-tokens`: the new token, with its secret shown this once. */
export type { CreatedEnrollmentToken } from '../app/enrollment/tokens.ts';
/** `POST /api/agents/:pc/approve|reject|terminate` and `PUT …/groups`. */
export type AgentDecision = { pc_id: string; enrollment: string; groups: string[]; status: string; seq: number };
/** `GET /api/groups`. */
export type GroupList = { groups: GroupView[] };

/** `GET /api/agents/:pc/facts`: built-in facts, inventory documents, and what changed. */
export type { AgentFactsView as AgentFacts } from '../projections/index.ts';
/** `GET /api/inventory`: one inventory (a job's, or the built-in facts'), and every source there is. */
export type Inventory = InventoryPage & { sources: string[] };
/** `GET /api/me`: who the caller is, and the role they act with. */
export type Me = { actor: string; role: Role; user: string | null };
/** `POST /api/sessions`: a dashboard session (its token goes in the httpOnly cookie). */
export type OpenedSession = { user: string; role: Role; token: string; expires_at: string };
/** `GET /api/users`. */
export type UserList = { users: UserView[] };
/** `POST /api/users` and the other account changes (`password`: generated, shown once). */
export type AccountChange = { user: string; status: string; seq: number; password?: string };
/** `GET /api/tokens`. */
export type ApiTokenList = { tokens: ApiTokenView[] };
/** `POST /api/tokens`: the new token, with its secret shown this once. */
export type { CreatedApiToken } from '../app/accounts/users.ts';
/** `POST /api/exec/:job` (202): who the exec reaches, and the approval it waits for first. */
export type { ExecAccepted, ExecPreview } from '../app/execs/requestExec.ts';
/** `GET /api/approvals`. */
export type ApprovalList = { approvals: PendingApproval[] };
/** `POST /api/executions/:id/approve|reject`. */
export type { ApprovalStep } from '../app/execs/approvals.ts';

/** `GET /api/jobs`. */
export type JobList = { jobs: JobView[] };
/** `GET /api/jobs/:id` (as JSON). */
export type JobDetail = JobView & { manifest: JobManifest };

/** `GET /api/executions`: the newest executions and how many match. */
export type ExecutionList = { executions: ExecutionListed[]; total: number };
/** `GET /api/results`. */
export type ResultList = { results: ResultPreview[] };

/** A schedule as listed: its next fire time comes from the API's clock (or why there is none). */
export type ScheduleListed = ScheduleView & { next_fire: string | null; next_fire_error?: string };
/** `GET /api/schedules`. */
export type ScheduleList = { schedules: ScheduleListed[] };
/** `GET /api/schedules/:id`: with its next fire times and recent slots. */
export type ScheduleDetail = ScheduleListed & { next_fires: string[]; fires: ScheduleFireView[] };

/** `GET /api/events`: a page of the audit log and where the next one starts. */
export type EventPage = { events: LoggedEvent[]; next_after: number };
/** `GET /api/events/:seq`: one commit, whole. */
export type CommitDetail = { seq: number; subject: string; stream: string; events: unknown[] };

/** `GET /api/config`: every config layer in force. */
export type ConfigLayerList = { layers: ConfigLayerView[]; rule: string };

/** `GET /api/agents/:pc/config`: each effective setting, where it came from, and what the agent reports. */
export type AgentConfig = {
  pc_id: string;
  groups: string[];
  /** How layers combine (the same sentence for every PC). */
  rule: string;
  settings: { key: ConfigKey; value: unknown; source: ValueSource; reported?: unknown }[];
  /** The layers that apply to this PC. */
  layers: { layer_id: string; updated_at: string; updated_by: string }[];
  /** When the agent last said what it runs with (its heartbeat), and whether that matches. */
  reported_at: string | null;
  in_sync: boolean | null;
};
