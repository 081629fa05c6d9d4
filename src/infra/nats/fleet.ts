import {
  DiscardPolicy,
  type JetStreamManager,
  RetentionPolicy,
  StorageType,
  type StreamConfig,
} from '@nats-io/jetstream';
import { type KV, Kvm } from '@nats-io/kv';
import { type ObjectStore, Objm } from '@nats-io/obj';
import { type NatsConnection, nanos } from '@nats-io/transport-node';
import type { Logger } from '../log.ts';
import { ensureStream, recordStreamConfig } from './streams.ts';
import { COMMANDS_PREFIX, HEARTBEATS_PREFIX, OUTPUT_PREFIX } from './subjects.ts';

/** What agents must run: the last command per subject, for 7 days. */
export const COMMANDS_STREAM = 'KANADE_COMMANDS';
/** Last-seen of every agent: the last heartbeat per agent. */
export const HEARTBEATS_STREAM = 'KANADE_HEARTBEATS';
/**
 * Output over 256 KiB, in chunks on a subject per run and stream (`kanade.out.<pc>.<result>.<stream>`),
 * referenced by RunFinished events: part of the record, so it never ages out. Agents write only under
 * their own pc.
 */
export const OUTPUT_STREAM = 'KANADE_OUTPUT';
/** Where agents wrote large output before `KANADE_OUTPUT`; read for runs recorded then. */
export const OUTPUT_STORE = 'kanade_output';

/** KV buckets the agents read: projections of the event log, written by the server. */
export const VIEWS = {
  /** job id → "ACTIVE" | "REVOKED" (deleted jobs are REVOKED). */
  jobStatus: 'kanade_job_status',
  /** job id → the version agents may run (pinned before each dispatch). */
  pins: 'kanade_job_pins',
  /** pc id (encoded) → {"groups":[…]} */
  groups: 'kanade_agent_groups',
  /** exec id → {"at", "by", "reason"}: unstarted commands of a killed exec are not started. */
  kills: 'kanade_exec_kills',
  /** `halt` → {"halted", "reason", "kill_running", "at", "by"}: the emergency stop agents obey without the server. */
  fleet: 'kanade_fleet',
  /** Bookkeeping of the views writer (its checkpoint). */
  meta: 'kanade_views_meta',
} as const;

const DAY_MS = 86_400_000;

const commandsStreamConfig = (): Partial<StreamConfig> & { name: string } => ({
  name: COMMANDS_STREAM,
  subjects: [`${COMMANDS_PREFIX}.>`],
  storage: StorageType.File,
  retention: RetentionPolicy.Limits,
  discard: DiscardPolicy.Old,
  max_msgs_per_subject: 1,
  max_age: nanos(7 * DAY_MS),
  max_bytes: 256 * 1024 * 1024,
  duplicate_window: nanos(2 * 60_000),
  allow_direct: true,
});

const outputStreamConfig = (): Partial<StreamConfig> & { name: string } =>
  recordStreamConfig(OUTPUT_STREAM, [`${OUTPUT_PREFIX}.>`]);

const heartbeatsStreamConfig = (): Partial<StreamConfig> & { name: string } => ({
  name: HEARTBEATS_STREAM,
  subjects: [`${HEARTBEATS_PREFIX}.>`],
  storage: StorageType.File,
  retention: RetentionPolicy.Limits,
  discard: DiscardPolicy.Old,
  max_msgs_per_subject: 1,
  max_age: nanos(90 * DAY_MS),
  max_bytes: 256 * 1024 * 1024,
  allow_direct: true,
});

/** Creates or updates the fleet's streams, KV buckets and object store (never crashing on drift). */
export const ensureFleetResources = async (nc: NatsConnection, jsm: JetStreamManager, log: Logger): Promise<void> => {
  await ensureStream(jsm, commandsStreamConfig(), log);
  await ensureStream(jsm, heartbeatsStreamConfig(), log);
  await ensureStream(jsm, outputStreamConfig(), log);
  await openViews(nc);
  await allowDirectReads(jsm, log);
  await openSchedulerState(nc);
  await openOutputStore(nc);
};

/** The views' KV buckets (created when missing). History 1: replaying old values flapped agents in the original (#830). */
export const openViews = async (nc: NatsConnection): Promise<Record<keyof typeof VIEWS, KV>> => {
  const kvm = new Kvm(nc);
  const open = (name: string, maxAgeMs?: number) =>
    kvm.create(name, { history: 1, allow_direct: true, ...(maxAgeMs === undefined ? {} : { ttl: maxAgeMs }) });
  const [jobStatus, pins, groups, kills, fleet, meta] = await Promise.all([
    open(VIEWS.jobStatus),
    open(VIEWS.pins),
    open(VIEWS.groups),
    open(VIEWS.kills, 30 * DAY_MS),
    open(VIEWS.fleet),
    open(VIEWS.meta),
  ]);
  return { jobStatus, pins, groups, kills, fleet, meta };
};

/**
 * The views as an agent opens them: bound, never created or inspected (its credential may only read
 * keys, by direct get), so it needs no JetStream API beyond the reads themselves.
 */
export const bindViews = async (nc: NatsConnection): Promise<Record<keyof typeof VIEWS, KV>> => {
  const kvm = new Kvm(nc);
  const entries = await Promise.all(
    Object.entries(VIEWS).map(async ([k, name]) => [k, await kvm.open(name, { allow_direct: true })] as const),
  );
  return Object.fromEntries(entries) as Record<keyof typeof VIEWS, KV>;
};

// Agents read the views with direct gets (subject-scoped, so a permission can name the keys); buckets
// made before kanade asked for that get it now.
const allowDirectReads = async (jsm: JetStreamManager, log: Logger) => {
  for (const bucket of Object.values(VIEWS)) {
    const info = await jsm.streams.info(`KV_${bucket}`);
    if (info.config.allow_direct === true) continue;
    await jsm.streams.update(info.config.name, { ...info.config, allow_direct: true });
    log.info('allowed direct reads on a view bucket', { bucket });
  }
};

/** The scheduler's own state: its leader lease, and how far it evaluated slots that fired nothing. */
export const SCHEDULER_BUCKET = 'kanade_scheduler';

/** Opens (or creates) the scheduler's bucket. */
export const openSchedulerState = (nc: NatsConnection): Promise<KV> =>
  new Kvm(nc).create(SCHEDULER_BUCKET, { history: 1 });

/** The key of the emergency-stop flag in `kanade_fleet`. */
export const HALT_KEY = 'halt';
/** The key of the command-signing keys agents trust, in `kanade_fleet` (signed by a key they trust already). */
export const TRUST_KEY = 'trust';

/** The emergency-stop flag as stored in KV. */
export type HaltFlag = { halted: boolean; reason?: string; kill_running?: boolean; at: string; by: string };

/** The output object store (an existing store is used as it is: object stores cannot be reconciled). */
export const openOutputStore = (nc: NatsConnection): Promise<ObjectStore> => new Objm(nc).create(OUTPUT_STORE);
