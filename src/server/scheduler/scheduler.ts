import { hostname } from 'node:os';
import type { KV } from '@nats-io/kv';
import { ulid } from 'ulid';
import { type ExecDeps, requestExec } from '../../app/execs/requestExec.ts';
import { scheduledJob } from '../../app/jobs/registered.ts';
import { execDecider, execStreamName } from '../../domain/execs/index.ts';
import {
  type DueSlots,
  ON_TIME_SECS,
  planSlots,
  scheduleDecider,
  scheduleStreamName,
} from '../../domain/schedules/index.ts';
import { DomainError, parseDuration } from '../../domain/shared/index.ts';
import { type CommitContext, commandHandlerFor } from '../../infra/eventStore/index.ts';
import type { Logger } from '../../infra/log.ts';
import { isBrokerUnavailable } from '../../infra/nats/errors.ts';
import { startLease } from '../../infra/nats/lease.ts';
import { dueSlots, MAX_COUNTED_SLOTS } from '../../manifests/index.ts';
import { getFleet, listSchedules, type ScheduleView } from '../../projections/index.ts';
import type { LoopReporter } from '../loopHealth.ts';
import { slotExecId } from './slotExecId.ts';
import { slotRequest } from './slotRequest.ts';

const handleSchedule = commandHandlerFor(scheduleDecider);
const TICK_MS = 1_000;
const LEASE_TTL_MS = 15_000;
const LEADER_KEY = 'leader';
// Slots held back (fleet halted, job revoked or gone) are recorded as one range at most this often.
const HOLD_FLUSH_SECS = 60;
const progressKey = (scheduleId: string) => `progress.${scheduleId}`;

type Deps = ExecDeps & { state: KV; log: Logger; health: LoopReporter };
/** Why a schedule's due slots are held back; `retry` when it is a refused request rather than a condition. */
type Held = { reason: string; retry: boolean };

/**
 * Fires schedules: one leader at a time (a lease in KV) evaluates every enabled schedule each second.
 * Slots come from cron-parser in the schedule's time zone; each slot's exec id is derived from
 * schedule and slot, and its ScheduleFired commit id is `schedule:<id>:<slot>`, so even two leaders
 * (a paused process waking up) cannot fire a slot twice. Slots missed while no scheduler ran are
 * recorded as skipped, or fired once late within the starting deadline; slots that cannot fire (the
 * fleet halted, the job revoked or gone) are recorded as skipped ranges with the reason.
 */
export const startScheduler = (deps: Deps) => {
  const progress = new Map<string, string>(); // slots evaluated without firing (also in KV), and fired ones not yet in the read model
  const loaded = new Set<string>();
  const held = new Map<string, Held>(); // schedules whose due slots are held back, and why
  let leaderSince: string | undefined; // slots due since then fell due while this scheduler ran: never "missed"
  let busy: Promise<void> | undefined;
  let stopped = false;
  const lease = startLease({
    kv: deps.state,
    key: LEADER_KEY,
    holder: `${hostname()}:${process.pid}:${ulid()}`,
    ttlMs: LEASE_TTL_MS,
    log: deps.log,
    onChange: (leader) => {
      leaderSince = leader ? deps.now().toISOString() : undefined;
      if (leader) return;
      loaded.clear(); // another leader may have moved on: re-read progress when leading again
      held.clear();
    },
  });

  const commitFor = (id: string, correlationId: string): CommitContext => ({
    id,
    actor: 'scheduler',
    at: deps.now().toISOString(),
    via: 'scheduler',
    correlationId,
  });

  const cursorOf = async (s: ScheduleView): Promise<string> => {
    if (!loaded.has(s.schedule_id)) {
      const stored = await deps.state.get(progressKey(s.schedule_id)).catch(() => null);
      if (stored?.operation === 'PUT') advance(s.schedule_id, stored.string());
      loaded.add(s.schedule_id);
    }
    return [s.active_since, s.last_slot ?? '', progress.get(s.schedule_id) ?? ''].reduce((a, b) => (b > a ? b : a));
  };

  const advance = (scheduleId: string, slot: string) => {
    if (slot > (progress.get(scheduleId) ?? '')) progress.set(scheduleId, slot);
  };

  const skip = async (s: ScheduleView, from: string, to: string, count: number, reason: string) => {
    await handleSchedule(
      deps.store,
      scheduleStreamName(s.schedule_id),
      { type: 'SkipSlots', data: { schedule_id: s.schedule_id, from, to, count, reason } },
      commitFor(`schedule-skip:${s.schedule_id}:${from}:${to}`, s.schedule_id),
    );
    advance(s.schedule_id, to);
    deps.log.info('slots skipped', { schedule_id: s.schedule_id, from, to, count, reason });
  };

  // Slots that cannot fire for a while are held and recorded as one skipped range, with the reason, at
  // most every minute and at once when a held condition ends. Conditions (the fleet halted, the job
  // revoked or gone) are checked every tick; a refused request (an unknown PC, say) is retried.
  const hold = async (s: ScheduleView, due: DueSlots, from: string, why: Held, now: Date) => {
    held.set(s.schedule_id, why);
    if (now.getTime() - Date.parse(from) < HOLD_FLUSH_SECS * 1000) return;
    const count = from === due.first ? due.count : due.recent.filter((slot) => slot >= from).length;
    await skip(s, from, due.recent.at(-1) ?? from, count, why.reason);
  };

  const recordFire = async (s: ScheduleView, slot: string, catchUp: boolean) => {
    const exec_id = slotExecId(s.schedule_id, slot);
    await handleSchedule(
      deps.store,
      scheduleStreamName(s.schedule_id),
      {
        type: 'FireSchedule',
        data: { schedule_id: s.schedule_id, slot, exec_id, ...(catchUp ? { catch_up: true } : {}) },
      },
      commitFor(`schedule:${s.schedule_id}:${slot}`, s.schedule_id),
    );
    advance(s.schedule_id, slot);
    deps.log.info('schedule fired', { schedule_id: s.schedule_id, slot, exec_id, catch_up: catchUp });
  };

  const execExists = async (execId: string) =>
    (await deps.store.aggregateStream(execStreamName(execId), execDecider)).state.status !== 'absent';

  // One slot: check the schedule's own stream (the read model may lag), request the exec, record the fire.
  const fire = async (s: ScheduleView, slot: string, catchUp: boolean): Promise<string | undefined> => {
    const { state } = await deps.store.aggregateStream(scheduleStreamName(s.schedule_id), scheduleDecider);
    if (state.status !== 'active' || !state.enabled || (state.lastSlot !== undefined && slot <= state.lastSlot)) {
      advance(s.schedule_id, state.lastSlot ?? slot);
      return undefined;
    }
    const execId = slotExecId(s.schedule_id, slot);
    if (!(await execExists(execId))) {
      const job = await scheduledJob(deps, state.manifest.job_id);
      if (job.blocked !== undefined) return job.blocked;
      const chosen = await slotRequest(deps, state.manifest, job.manifest, slot, execId);
      if ('none' in chosen) {
        deps.log.debug('nothing to fire', { schedule_id: s.schedule_id, slot, reason: chosen.none });
        advance(s.schedule_id, slot);
        await deps.state.put(progressKey(s.schedule_id), slot);
        return undefined;
      }
      try {
        await requestExec(deps, chosen.request, commitFor(`schedule-exec:${s.schedule_id}:${slot}`, s.schedule_id));
      } catch (error) {
        // A halted fleet, an unknown named PC, a rollout that could only halt: held, with why.
        if (error instanceof DomainError) return error.message;
        throw error;
      }
    }
    await recordFire(s, slot, catchUp);
    return undefined;
  };

  const evaluate = async (s: ScheduleView, halted: boolean) => {
    const now = deps.now();
    const onTimeFrom = now.getTime() - ON_TIME_SECS * 1000;
    const recentFrom = new Date(Math.min(onTimeFrom, leaderSince === undefined ? onTimeFrom : Date.parse(leaderSince)));
    const due = dueSlots(s.cron, s.tz, new Date(await cursorOf(s)), now, recentFrom);
    if (due === undefined) return;
    // Slots fire in order, so only the first due slot can have an exec whose fire a crash did not record.
    if (await execExists(slotExecId(s.schedule_id, due.first))) return recordFire(s, due.first, false);
    const blocked = halted ? 'the fleet is halted' : (await scheduledJob(deps, s.manifest.job_id)).blocked;
    if (blocked !== undefined) return hold(s, due, due.first, { reason: blocked, retry: false }, now);
    const ended = held.get(s.schedule_id);
    if (ended !== undefined && !ended.retry) {
      held.delete(s.schedule_id); // what fell due while the condition lasted stays skipped, with its reason
      return skip(s, due.first, due.recent.at(-1) ?? due.first, due.count, ended.reason);
    }
    const deadline =
      s.manifest.starting_deadline === undefined ? undefined : parseDuration(s.manifest.starting_deadline);
    const plan = planSlots(due, now.toISOString(), deadline, leaderSince);
    if (plan.skip !== undefined) {
      const atLeast = due.count >= MAX_COUNTED_SLOTS ? ' (counting stopped there)' : '';
      await skip(s, plan.skip.from, plan.skip.to, plan.skip.count, `missed: no scheduler was running${atLeast}`);
    }
    for (const { slot, catchUp } of plan.fire) {
      if (stopped || !lease.isLeader()) return;
      const cannot = await fire(s, slot, catchUp);
      if (cannot !== undefined) return hold(s, due, slot, { reason: cannot, retry: true }, now);
      held.delete(s.schedule_id);
    }
  };

  const tick = async () => {
    if (!lease.isLeader()) return;
    const db = deps.readModels.db();
    const halted = (await getFleet(db)).halted;
    for (const s of await listSchedules(db, { enabled: true })) {
      if (stopped || !lease.isLeader()) return;
      // One schedule failing is recorded (once) and the others go on; it is tried again every tick.
      try {
        await evaluate(s, halted);
        deps.health.unstuck(`schedule ${s.schedule_id}`);
      } catch (error) {
        if (isBrokerUnavailable(error)) throw error;
        deps.health.stuck(`schedule ${s.schedule_id}`, error);
      }
    }
  };

  const timer = setInterval(() => {
    if (busy !== undefined || stopped) return;
    busy = tick()
      .then(() => deps.health.ok())
      .catch((error: unknown) => deps.health.failed(error))
      .finally(() => {
        busy = undefined;
      });
  }, TICK_MS);

  return {
    isLeader: () => lease.isLeader(),
    stop: async () => {
      stopped = true;
      clearInterval(timer);
      await busy;
      await lease.stop();
    },
  };
};
