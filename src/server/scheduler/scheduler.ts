import { hostname } from 'node:os';
import type { KV } from '@nats-io/kv';
import { ulid } from 'ulid';
import { RequestRejected } from '../../api/errors.ts';
import {
  type ExecDeps,
  type ExecRequest,
  knownAgents,
  registeredManifest,
  requestExec,
} from '../../api/execs/service.ts';
import { execDecider, execStreamName, resolveTarget } from '../../domain/execs/index.ts';
import {
  chooseFire,
  ON_TIME_SECS,
  planSlots,
  type ScheduleManifest,
  scheduleDecider,
  scheduleStreamName,
} from '../../domain/schedules/index.ts';
import { DomainError, parseDuration } from '../../domain/shared/index.ts';
import { type CommitContext, commandHandlerFor } from '../../infra/eventStore/index.ts';
import type { Logger } from '../../infra/log.ts';
import { startLease } from '../../infra/nats/lease.ts';
import { dueSlots, MAX_COUNTED_SLOTS } from '../../manifests/index.ts';
import { getFleet, jobHistory, listSchedules, type ScheduleView } from '../../projections/index.ts';
import { slotExecId } from './slotExecId.ts';

const handleSchedule = commandHandlerFor(scheduleDecider);
const TICK_MS = 1_000;
const LEASE_TTL_MS = 15_000;
const LEADER_KEY = 'leader';
const progressKey = (scheduleId: string) => `progress.${scheduleId}`;

type Deps = ExecDeps & { state: KV; log: Logger };

/**
 * Fires schedules: one leader at a time (a lease in KV) evaluates every enabled schedule each second.
 * Slots come from cron-parser in the schedule's time zone; each slot's exec id is derived from
 * schedule and slot, and its ScheduleFired commit id is `schedule:<id>:<slot>`, so even two leaders
 * (a paused process waking up) cannot fire a slot twice. Slots missed while no scheduler ran are
 * recorded as skipped, or fired once late within the starting deadline.
 */
export const startScheduler = (deps: Deps) => {
  const progress = new Map<string, string>(); // slots evaluated without firing (also in KV), and fired ones not yet in the read model
  const loaded = new Set<string>();
  let busy: Promise<void> | undefined;
  let stopped = false;
  const lease = startLease({
    kv: deps.state,
    key: LEADER_KEY,
    holder: `${hostname()}:${process.pid}:${ulid()}`,
    ttlMs: LEASE_TTL_MS,
    log: deps.log,
    onChange: (leader) => {
      if (!leader) loaded.clear(); // another leader may have moved on: re-read progress when leading again
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

  // What the slot runs: the whole plan, some PCs (once_per_pc), or nothing (and why).
  const requestFor = async (m: ScheduleManifest, slot: string, execId: string) => {
    const job = await registeredManifest(deps, m.job_id);
    const base: ExecRequest = {
      kind: 'job',
      manifest: job,
      execId,
      startsAt: slot,
      ...(m.jitter === undefined ? {} : { jitter: m.jitter }),
      ...(m.starting_deadline === undefined ? {} : { startingDeadline: m.starting_deadline }),
    };
    const plan: ExecRequest = {
      ...base,
      ...(m.target === undefined ? {} : { target: m.target }),
      ...(m.rollout === undefined
        ? {}
        : {
            rollout: {
              waves: m.rollout.waves.map((w) => ({ group: w.group, delay_secs: parseDuration(w.delay) ?? 0 })),
              ...(m.rollout.gate === undefined ? {} : { gate: m.rollout.gate }),
            },
          }),
    };
    if (m.mode === 'every_tick') return { request: plan };
    const scope = m.target ?? { groups: (m.rollout?.waves ?? []).map((w) => w.group) };
    const expected = resolveTarget(scope, await knownAgents(deps)).pcs;
    const history = await jobHistory(deps.readModels.db(), m.job_id);
    const cooldown = m.cooldown === undefined ? undefined : parseDuration(m.cooldown);
    const choice = chooseFire(m.mode, expected, history, deps.now().toISOString(), cooldown);
    if (choice.fire === 'none') return { none: choice.reason };
    if (choice.fire === 'plan') return { request: plan };
    return { request: { ...base, target: { pcs: choice.pcs } } };
  };

  const fire = async (s: ScheduleView, slot: string, catchUp: boolean) => {
    // The schedule's own stream decides (the read model may lag): still on, and this slot not handled yet?
    const { state } = await deps.store.aggregateStream(scheduleStreamName(s.schedule_id), scheduleDecider);
    if (state.status !== 'active' || !state.enabled || (state.lastSlot !== undefined && slot <= state.lastSlot)) {
      advance(s.schedule_id, state.lastSlot ?? slot);
      return;
    }
    const m = state.manifest;
    const execId = slotExecId(s.schedule_id, slot);
    // A crash between the exec and the fire left the exec: record the fire it belongs to.
    const existing = await deps.store.aggregateStream(execStreamName(execId), execDecider);
    if (existing.state.status === 'absent') {
      let chosen: Awaited<ReturnType<typeof requestFor>>;
      try {
        chosen = await requestFor(m, slot, execId);
        if (chosen.request !== undefined)
          await requestExec(deps, chosen.request, commitFor(`schedule-exec:${s.schedule_id}:${slot}`, s.schedule_id));
      } catch (error) {
        // The job is gone, the fleet is halted, a named PC is unknown: the slot is skipped, with why.
        if (!(error instanceof DomainError || error instanceof RequestRejected)) throw error;
        await skip(s, slot, slot, 1, error.message);
        return;
      }
      if (chosen.none !== undefined) {
        deps.log.debug('nothing to fire', { schedule_id: s.schedule_id, slot, reason: chosen.none });
        advance(s.schedule_id, slot);
        await deps.state.put(progressKey(s.schedule_id), slot);
        return;
      }
    }
    await handleSchedule(
      deps.store,
      scheduleStreamName(s.schedule_id),
      {
        type: 'FireSchedule',
        data: { schedule_id: s.schedule_id, slot, exec_id: execId, ...(catchUp ? { catch_up: true } : {}) },
      },
      commitFor(`schedule:${s.schedule_id}:${slot}`, s.schedule_id),
    );
    advance(s.schedule_id, slot);
    deps.log.info('schedule fired', { schedule_id: s.schedule_id, slot, exec_id: execId, catch_up: catchUp });
  };

  const evaluate = async (s: ScheduleView, halted: boolean) => {
    const now = deps.now();
    const cursor = await cursorOf(s);
    const due = dueSlots(s.cron, s.tz, new Date(cursor), now, ON_TIME_SECS);
    if (due === undefined) return;
    const deadline =
      s.manifest.starting_deadline === undefined ? undefined : parseDuration(s.manifest.starting_deadline);
    const plan = planSlots(due, now.toISOString(), deadline);
    if (plan.skip !== undefined) {
      const atLeast = due.count >= MAX_COUNTED_SLOTS ? ' (counting stopped there)' : '';
      await skip(s, plan.skip.from, plan.skip.to, plan.skip.count, `missed: no scheduler was running${atLeast}`);
    }
    for (const { slot, catchUp } of plan.fire) {
      if (stopped || !lease.isLeader()) return;
      if (halted) await skip(s, slot, slot, 1, 'the fleet is halted');
      else await fire(s, slot, catchUp);
    }
  };

  const tick = async () => {
    if (!lease.isLeader()) return;
    const db = deps.readModels.db();
    const halted = (await getFleet(db)).halted;
    for (const s of await listSchedules(db, { enabled: true })) {
      if (stopped || !lease.isLeader()) return;
      try {
        await evaluate(s, halted);
      } catch (error) {
        deps.log.warn('schedule evaluation failed; will retry', { schedule_id: s.schedule_id, error });
      }
    }
  };

  const timer = setInterval(() => {
    if (busy !== undefined || stopped) return;
    busy = tick()
      .catch((error: unknown) => deps.log.warn('scheduler tick failed', { error }))
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
