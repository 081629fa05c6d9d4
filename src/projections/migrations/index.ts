import type { Migration } from 'kysely/migration';
import { catalog } from './2026_11_22_0001_catalog.ts';
import { projectionErrors } from './2026_11_22_0002_projection_errors.ts';
import { fleet } from './2026_11_22_0003_fleet.ts';
import { rollouts } from './2026_11_22_0004_rollouts.ts';
import { waves } from './2026_11_22_0005_waves.ts';
import { schedules } from './2026_11_22_0006_schedules.ts';
import { enrollment } from './2026_12_01_0007_enrollment.ts';
import { streamIdentity } from './2026_12_02_0008_stream_identity.ts';
import { requestParts } from './2026_12_02_0009_request_parts.ts';
import { outcomeCounters } from './2026_12_02_0010_outcome_counters.ts';
import { execPcs } from './2026_12_02_0011_exec_pcs.ts';
import { accounts } from './2026_12_02_0012_accounts.ts';
import { facts } from './2026_12_02_0013_facts.ts';
import { agentCounts } from './2026_12_02_0014_agent_counts.ts';
import { configLayers } from './2026_12_02_0015_config_layers.ts';
import { waveSelectors } from './2026_12_02_0016_wave_selectors.ts';

/** Every migration, by name; Kysely applies them in name order. */
export const migrations: Record<string, Migration> = {
  '2026_11_22_0001_catalog': catalog,
  '2026_11_22_0002_projection_errors': projectionErrors,
  '2026_11_22_0003_fleet': fleet,
  '2026_11_22_0004_rollouts': rollouts,
  '2026_11_22_0005_waves': waves,
  '2026_11_22_0006_schedules': schedules,
  '2026_12_01_0007_enrollment': enrollment,
  '2026_12_02_0008_stream_identity': streamIdentity,
  '2026_12_02_0009_request_parts': requestParts,
  '2026_12_02_0010_outcome_counters': outcomeCounters,
  '2026_12_02_0011_exec_pcs': execPcs,
  '2026_12_02_0012_accounts': accounts,
  '2026_12_02_0013_facts': facts,
  '2026_12_02_0014_agent_counts': agentCounts,
  '2026_12_02_0015_config_layers': configLayers,
  '2026_12_02_0016_wave_selectors': waveSelectors,
};
