/** Shells an agent can run a script with. */
export const SHELLS = ['sh', 'bash', 'pwsh', 'powershell', 'cmd'] as const;
export type Shell = (typeof SHELLS)[number];

/** Which identity runs the script (Windows semantics; other OSes skip user and system_gui). */
export const RUN_AS = ['system', 'user', 'system_gui'] as const;
export type RunAs = (typeof RUN_AS)[number];

/** What to run. Exactly one of `script` and `script_object` is set; `script_file` is inlined by the CLI. */
export type Execute = Readonly<{
  shell: Shell;
  script?: string;
  script_object?: string;
  timeout: string;
  run_as: RunAs;
  cwd?: string;
}>;

/** How an agent treats a command when it has been cut off from the broker. */
export type Staleness =
  | Readonly<{ mode: 'cached' }>
  | Readonly<{ mode: 'unchecked' }>
  | Readonly<{ mode: 'strict'; max_cache_age: string }>;

/** A job's staleness, or (ad-hoc runs only, never a manifest) the agent's own default policy. */
export type CommandStaleness = Staleness | Readonly<{ mode: 'agent' }>;

/** Display types for inventory facts. */
export const INVENTORY_TYPES = ['number', 'bytes', 'timestamp', 'table'] as const;

/** One column of an inventory table. */
export type InventoryColumn = Readonly<{ field: string; label: string; type?: (typeof INVENTORY_TYPES)[number] }>;

/** One inventory fact the job's JSON output carries, and how to show it. */
export type InventoryField = InventoryColumn & Readonly<{ columns?: readonly InventoryColumn[] }>;

/** Marks a job whose stdout is an inventory document. */
export type InventoryHint = Readonly<{ display: readonly InventoryField[]; summary?: readonly InventoryField[] }>;

/** A job manifest after validation, with defaults filled and durations in canonical form. */
export type JobManifest = Readonly<{
  id: string;
  version: string;
  description?: string;
  execute: Execute;
  staleness: CommandStaleness;
  inventory?: InventoryHint;
  /** Runs wait for this many approvers other than the requester (`true`: one). */
  require_approval: boolean | { approvers: number };
  /** How long a run waits for its approvals before it expires (a duration; default 24h). */
  approval_timeout?: string;
  tags: readonly string[];
}>;

/** How many people must approve a run of the job (0: none). */
export const approvalsNeeded = (manifest: Pick<JobManifest, 'require_approval'>): number => {
  const r = manifest.require_approval as unknown; // read from recorded events: whatever they hold
  if (r === true) return 1;
  if (typeof r === 'object' && r !== null && Number.isInteger((r as { approvers?: unknown }).approvers))
    return (r as { approvers: number }).approvers;
  return 0;
};

/** How long a run of the job waits for approval when its manifest does not say. */
export const DEFAULT_APPROVAL_TIMEOUT = '24h';
