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
import { isReplicasNotSupported, type Replicas, reconcileReplicas, replicasField } from './replicas.ts';
import { ENROLLMENT_SECRETS_BUCKET } from './secrets.ts';
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
  /** `global`, `group.<g>`, `pc.<pc>` → a config layer (its manifest, JSON): agents follow the ones that apply to them. */
  config: 'kanade_agent_config',
  /** Bookkeeping of the views writer (its checkpoint). */
  meta: 'kanade_views_meta',
} as const;

const DAY_MS = 86_400_000;

const commandsStreamConfig = (replicas: Replicas): Partial<StreamConfig> & { name: string } => ({
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
  ...replicasField(replicas),
});

const outputStreamConfig = (replicas: Replicas): Partial<StreamConfig> & { name: string } => ({
  ...recordStreamConfig(OUTPUT_STREAM, [`${OUTPUT_PREFIX}.>`]),
  ...replicasField(replicas),
});

const heartbeatsStreamConfig = (replicas: Replicas): Partial<StreamConfig> & { name: string } => ({
  name: HEARTBEATS_STREAM,
  subjects: [`${HEARTBEATS_PREFIX}.>`],
  storage: StorageType.File,
  retention: RetentionPolicy.Limits,
  discard: DiscardPolicy.Old,
  max_msgs_per_subject: 1,
  max_age: nanos(90 * DAY_MS),
  max_bytes: 256 * 1024 * 1024,
  allow_direct: true,
  ...replicasField(replicas),
});

/**
 * Creates or updates the fleet's streams, KV buckets and object store (never crashing on drift), each
 * with `replicas` copies when a count is given (existing ones are scaled to it where JetStream can).
 */
export const ensureFleetResources = async (
  nc: NatsConnection,
  jsm: JetStreamManager,
  log: Logger,
  replicas?: Replicas,
): Promise<void> => {
  await ensureStream(jsm, commandsStreamConfig(replicas), log);
  await ensureStream(jsm, heartbeatsStreamConfig(replicas), log);
  await ensureStream(jsm, outputStreamConfig(replicas), log);
  const created = await createBuckets(nc, replicas, log);
  await openViews(nc);
  await allowDirectReads(jsm, log);
  for (const stream of created) await reconcileReplicas(jsm, stream, replicas, log);
};

// Every bucket and store kanade keeps, created with the replica count asked for; the names of their
// streams, to scale existing ones. A single nats-server creates them with one replica (and says so).
const createBuckets = async (nc: NatsConnection, replicas: Replicas, log: Logger): Promise<string[]> => {
  const kv = [...Object.values(VIEWS), SCHEDULER_BUCKET, ENROLLMENT_SECRETS_BUCKET];
  const open = async (create: (r: { replicas?: number }) => Promise<unknown>) => {
    try {
      await create(replicas === undefined ? {} : { replicas });
    } catch (error) {
      if (!isReplicasNotSupported(error)) throw error;
      log.warn('this nats-server is not part of a cluster: buckets get one replica', { wanted: replicas });
      await create({});
    }
  };
  for (const bucket of kv) await open((r) => new Kvm(nc).create(bucket, { ...bucketOptions(bucket), ...r }));
  await open((r) => new Objm(nc).create(OUTPUT_STORE, r));
  return [...kv.map((b) => `KV_${b}`), `OBJ_${OUTPUT_STORE}`];
};

// History 1 everywhere; agents read the views by direct get; kills are forgotten after 30 days.
const bucketOptions = (bucket: string) => {
  if (!(Object.values(VIEWS) as string[]).includes(bucket)) return { history: 1 };
  return { history: 1, allow_direct: true, ...(bucket === VIEWS.kills ? { ttl: 30 * DAY_MS } : {}) };
};

/** The views' KV buckets (created when missing). History 1: replaying old values flapped agents in the original (#830). */
export const openViews = async (nc: NatsConnection): Promise<Record<keyof typeof VIEWS, KV>> => {
  const kvm = new Kvm(nc);
  const entries = await Promise.all(
    Object.entries(VIEWS).map(async ([k, name]) => [k, await kvm.create(name, bucketOptions(name))] as const),
  );
  return Object.fromEntries(entries) as Record<keyof typeof VIEWS, KV>;
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
