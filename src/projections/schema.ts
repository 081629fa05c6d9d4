/** A job in the catalog (deleted jobs have no row). Booleans are 0/1, times RFC 3339 UTC, lists JSON. */
export type JobsTable = {
  job_id: string;
  version: string;
  description: string | null;
  shell: string;
  tags: string;
  inventory: number;
  require_approval: number;
  manifest: string;
  revoked: number;
  revoked_at: string | null;
  revoked_by: string | null;
  revoke_reason: string | null;
  registered_at: string;
  registered_by: string;
  updated_at: string;
  updated_by: string;
  seq: number;
};

/** The audit view: one row per event, newest last. Bodies stay in the stream (`GET /api/events/:seq`). */
export type EventLogTable = {
  seq: number;
  idx: number;
  at: string;
  actor: string;
  via: string | null;
  type: string;
  stream: string;
  correlation_id: string | null;
  summary: string;
};

/** Last stream sequence each projection has applied, written in the same transaction as its rows. */
export type ProjectionCheckpointsTable = { projection: string; version: number; seq: number };

/** An enrolled agent: identity at enrollment and the groups operators set. Liveness comes from heartbeats. */
export type AgentsTable = {
  pc_id: string;
  hostname: string;
  os: string;
  arch: string;
  enrolled_version: string;
  groups: string;
  enrolled_at: string;
  groups_set_at: string | null;
  groups_set_by: string | null;
  seq: number;
};

/**
 * Where each agent stands with enrollment: pending (asked, not decided), approved (with its key;
 * null for agents that enrolled themselves before approvals), rejected, or terminated. A request to
 * replace an approved key shows as `pending_key` on an approved agent.
 */
export type AgentEnrollmentTable = {
  pc_id: string;
  status: string;
  public_key: string | null;
  pending_key: string | null;
  requested_at: string | null;
  /** The enrollment token the last request presented (its name). */
  requested_token: string | null;
  decided_at: string | null;
  decided_by: string | null;
  reason: string | null;
  seq: number;
};

/** Agent keys that must not reach the broker any more: terminated, or replaced by a newer approved key. */
export type RevokedAgentKeysTable = {
  public_key: string;
  pc_id: string;
  revoked_at: string;
  /** terminated | replaced */
  reason: string;
  seq: number;
};

/** Enrollment tokens (never their secrets): who made them, what they allow, whether they still work. */
export type EnrollmentTokensTable = {
  token_id: string;
  name: string;
  auto_approve: number;
  expires_at: string | null;
  /** JSON list: the groups an auto-approved agent may get. */
  groups: string;
  created_at: string;
  created_by: string;
  revoked_at: string | null;
  revoked_by: string | null;
  seq: number;
};

/** A user account (role and state; never a password or its hash). */
export type UsersTable = {
  user: string;
  role: string;
  disabled: number;
  /** Sessions opened before this time are over (set when the user is disabled or their password changes). */
  sessions_from: string;
  password_set_at: string | null;
  created_at: string;
  created_by: string;
  changed_at: string;
  changed_by: string;
  seq: number;
};

/** A personal API token (never its secret or hash). */
export type ApiTokensTable = {
  token_id: string;
  user: string;
  name: string;
  role: string;
  expires_at: string | null;
  created_at: string;
  created_by: string;
  revoked_at: string | null;
  revoked_by: string | null;
  seq: number;
};

/** One step of an exec's approval: asked, approved, rejected, expired. */
export type ExecApprovalsTable = {
  exec_id: string;
  seq: number;
  step: string;
  actor: string;
  at: string;
  reason: string | null;
};

/** A config layer in force: its manifest (JSON), who applied it last and when. */
export type ConfigLayersTable = {
  layer_id: string;
  layer: string;
  /** The group or pc id it applies to; null for the global layer. */
  name: string | null;
  priority: number;
  manifest: string;
  updated_at: string;
  updated_by: string;
  seq: number;
};

/** A PC's built-in facts, as its agent last reported them (JSON). */
export type AgentFactsTable = { pc_id: string; facts: string; digest: string; reported_at: string; seq: number };

/** What an inventory job last reported on a PC: its JSON document, or why it was not taken. */
export type AgentInventoryTable = {
  pc_id: string;
  job_id: string;
  data: string | null;
  skipped: string | null;
  result_id: string;
  reported_at: string;
  seq: number;
};

/** One fact that changed on a PC (`source`: `agent`, or the inventory job's id); values are JSON, null when absent. */
export type AgentFactChangesTable = {
  pc_id: string;
  seq: number;
  path: string;
  source: string;
  from_value: string | null;
  to_value: string | null;
  at: string;
};

/**
 * Agents per listing scope, kept by the agents projection so a listing's total is read, not counted:
 * `all`, `enrollment:<status>`, `group:<group>` and `group:<group>|enrollment:<status>` (an agent
 * without an enrollment row counts as approved, as the listing shows it). Scopes with no agent have no row.
 */
export type AgentCountsTable = {
  scope: string;
  agents: number;
  /** The event that last changed this count. */
  seq: number;
};

/** The last heartbeat of each agent (from KANADE_HEARTBEATS, which keeps one per agent). */
export type AgentHeartbeatsTable = {
  pc_id: string;
  /** When the broker stored the heartbeat (server time). */
  at: string;
  /** The agent's own clock when it sent it. */
  sent_at: string;
  agent_version: string;
  hostname: string;
  os: string;
  running: number;
  /** The settings the agent says it runs with (JSON), from its heartbeat; null before it said. */
  config: string | null;
  seq: number;
};

/** The PCs an exec resolved to (JSON), apart from its row: written once, read by few. */
export type ExecPcsTable = { exec_id: string; pcs: string };

/** One exec (a job or an ad-hoc script on a target), with its command and live counters. */
export type ExecutionsTable = {
  exec_id: string;
  kind: string;
  job_id: string;
  version: string;
  request_id: string;
  target: string;
  target_count: number;
  command: string;
  requested_at: string;
  requested_by: string;
  via: string | null;
  dispatched_at: string | null;
  subjects: string | null;
  kill_requested_at: string | null;
  killed_by: string | null;
  kill_reason: string | null;
  started: number;
  running: number;
  succeeded: number;
  failed: number;
  skipped: number;
  status: string;
  seq: number;
  /** The rollout without its PC lists (JSON: gate, waves of group, delay_secs, target_count), or null. */
  rollout: string | null;
  /** Waves not sent yet (0 once every wave went out, or the rest were cancelled). */
  waves_left: number;
  halted_at: string | null;
  halted_reason: string | null;
  aborted_at: string | null;
  aborted_by: string | null;
  abort_reason: string | null;
  /** Result rows of this exec (a run started or finished), kept so reads never count them. */
  result_count: number;
  /** Finished runs that timed out, were killed or lost: `failed` counts them together with plain failures. */
  timed_out: number;
  killed: number;
  lost: number;
  /** Where the exec's approval stands: null (its job needs none), pending, granted, rejected, expired. */
  approval: string | null;
  /** Approvals the exec needs (0 when its job needs none) and has so far. */
  approvals_needed: number;
  approvals_given: number;
  /** When a pending approval lapses (null: none needed). */
  approval_expires_at: string | null;
};

/** One wave of a rollout: when it is due, whether it went out, and its own counters. */
export type ExecWavesTable = {
  exec_id: string;
  wave: number;
  /** The wave's group; null when a selector chose its PCs. */
  group_name: string | null;
  /** The canonical text of the selector that chose the wave's PCs; null for a group's wave. */
  selector: string | null;
  target_count: number;
  due_at: string;
  deadline_at: string | null;
  /** scheduled | released | dispatched | halted | cancelled */
  status: string;
  /** 1 once an operator resumed the rollout at this wave: it goes out without its gate. */
  gate_waived: number;
  dispatched_at: string | null;
  halted_reason: string | null;
  started: number;
  running: number;
  succeeded: number;
  failed: number;
  skipped: number;
  seq: number;
};

/** Which wave each PC of a rollout runs in. */
export type ExecTargetsTable = { exec_id: string; pc_id: string; wave: number };

/** A part of an exec request recorded in parts, until the request joins them. */
export type ExecRequestPartsTable = { exec_id: string; request_id: string; part: number; text: string };

/** One run of one command on one PC (kanade's field names). Output is complete, also when it overflowed. */
export type ResultsTable = {
  result_id: string;
  exec_id: string;
  request_id: string;
  job_id: string;
  version: string;
  pc_id: string;
  exit_code: number | null;
  outcome: string | null;
  reason: string | null;
  stdout: string;
  stderr: string;
  started_at: string | null;
  finished_at: string | null;
  seq: number;
  /** 1 when the server gave up waiting (outcome lost); a late real result replaces it. */
  reaped: number;
};

/** The emergency stop (one row, id "global"). */
export type FleetTable = {
  id: string;
  halted: number;
  reason: string | null;
  kill_running: number;
  changed_at: string;
  changed_by: string;
  seq: number;
};

/** A schedule, whether it is on, since when its slots count, and what its last slots did. */
export type SchedulesTable = {
  schedule_id: string;
  job_id: string;
  cron: string;
  tz: string;
  mode: string;
  description: string | null;
  manifest: string;
  enabled: number;
  /** Slots after this time count (creation, or the last time it was turned on). */
  active_since: string;
  /** The last slot handled (fired or skipped). */
  last_slot: string | null;
  last_fired_slot: string | null;
  last_exec_id: string | null;
  /** Slots fired, and slots skipped. */
  fired: number;
  skipped: number;
  last_skip_reason: string | null;
  created_at: string;
  created_by: string;
  updated_at: string;
  updated_by: string;
  seq: number;
};

/** Every slot a schedule fired (`fired`, with its exec) or skipped (`skipped`, a range up to `to_slot`). */
export type ScheduleFiresTable = {
  schedule_id: string;
  slot: string;
  kind: string;
  exec_id: string | null;
  catch_up: number;
  to_slot: string;
  count: number;
  reason: string | null;
  at: string;
  seq: number;
};

/** An event a projection threw on: skipped by that projection, recorded here, counted in /health. */
export type ProjectionErrorsTable = { projection: string; seq: number; idx: number; type: string; error: string };

/** Every read-model table, for Kysely. */
export type ReadModels = {
  jobs: JobsTable;
  event_log: EventLogTable;
  agents: AgentsTable;
  agent_enrollment: AgentEnrollmentTable;
  agent_counts: AgentCountsTable;
  revoked_agent_keys: RevokedAgentKeysTable;
  enrollment_tokens: EnrollmentTokensTable;
  users: UsersTable;
  api_tokens: ApiTokensTable;
  exec_approvals: ExecApprovalsTable;
  agent_facts: AgentFactsTable;
  config_layers: ConfigLayersTable;
  agent_inventory: AgentInventoryTable;
  agent_fact_changes: AgentFactChangesTable;
  agent_heartbeats: AgentHeartbeatsTable;
  executions: ExecutionsTable;
  exec_waves: ExecWavesTable;
  exec_targets: ExecTargetsTable;
  exec_pcs: ExecPcsTable;
  exec_request_parts: ExecRequestPartsTable;
  results: ResultsTable;
  fleet: FleetTable;
  schedules: SchedulesTable;
  schedule_fires: ScheduleFiresTable;
  projection_checkpoints: ProjectionCheckpointsTable;
  projection_errors: ProjectionErrorsTable;
  meta_streams: MetaStreamsTable;
};

/** Which instance of each stream a generation was built from (its creation time, as JetStream reports it). */
export type MetaStreamsTable = { stream: string; created: string };

/** Tables written by projections (checkpoints and errors belong to the runner, meta_streams to the file). */
export type ProjectedTable = Exclude<keyof ReadModels, 'projection_checkpoints' | 'projection_errors' | 'meta_streams'>;

/**
 * Tables projections write and never read back (histories, one row per event): the batch writer
 * queues their rows in order rather than keying each in its cache, and refuses a read of them.
 */
export const WRITE_ONLY_TABLES: ReadonlySet<ProjectedTable> = new Set(['event_log', 'agent_fact_changes']);

/** Primary-key columns of every projected table: the runner keys its batch cache and upserts on them. */
export const PRIMARY_KEYS: { readonly [T in ProjectedTable]: readonly (keyof ReadModels[T] & string)[] } = {
  jobs: ['job_id'],
  event_log: ['seq', 'idx'],
  agents: ['pc_id'],
  agent_enrollment: ['pc_id'],
  agent_counts: ['scope'],
  revoked_agent_keys: ['public_key'],
  enrollment_tokens: ['token_id'],
  users: ['user'],
  api_tokens: ['token_id'],
  exec_approvals: ['exec_id', 'seq'],
  agent_facts: ['pc_id'],
  config_layers: ['layer_id'],
  agent_inventory: ['pc_id', 'job_id'],
  agent_fact_changes: ['pc_id', 'seq', 'path'],
  agent_heartbeats: ['pc_id'],
  executions: ['exec_id'],
  exec_waves: ['exec_id', 'wave'],
  exec_targets: ['exec_id', 'pc_id'],
  exec_pcs: ['exec_id'],
  exec_request_parts: ['exec_id', 'request_id', 'part'],
  results: ['result_id'],
  fleet: ['id'],
  schedules: ['schedule_id'],
  schedule_fires: ['schedule_id', 'slot'],
};
