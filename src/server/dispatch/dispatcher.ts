import { addressesOf, heldForApproval } from '../../domain/execs/index.ts';
import { isBrokerUnavailable } from '../../infra/nats/errors.ts';
import { VIEWS } from '../../infra/nats/fleet.ts';
import { commandSubject, commandToken, killSubject } from '../../infra/nats/subjects.ts';
import { getFleet, ReadModelsNotReady } from '../../projections/index.ts';
import { NotYet } from '../loopHealth.ts';
import { type DispatchDeps, execState, pin, publishCommand, recordOnExec, timeDispatch } from './deps.ts';
import { dispatchDueWaves, nextDueAt } from './waves.ts';

const TICK_MS = 2_000;
// An exec that failed to dispatch is tried again after this long; the others do not wait for it.
const STUCK_RETRY_MS = 30_000;
const BATCH = 100;
// Kill messages are repeated this long after the kill request (core messages are best effort).
const KILL_ANNOUNCE_MS = 10 * 60_000;
// The longest sleep before a due wave (timers are re-armed on every tick anyway).
const MAX_WAKE_MS = 60_000;

// ExecDispatched lists this many of the subjects a command went to (the rest follow from the target).
const LISTED_SUBJECTS = 100;

/**
 * Turns requested execs into commands on KANADE_COMMANDS. A process manager over the read models:
 * it takes execs not yet dispatched once the agents' views reflect them (so a revoke or group change
 * just before an exec is what agents see), pins the job version, publishes one command (one request
 * id) to every target subject, and records ExecDispatched — so a restart resumes where it stopped and
 * never dispatches twice. Rollouts go out wave by wave when each is due (see waves.ts).
 */
export const startDispatcher = (deps: DispatchDeps) => {
  let busy: Promise<void> | undefined;
  let again = false;
  let stopped = false;
  let wake: NodeJS.Timeout | undefined;
  const done = new Set<string>(); // dispatched by this process, until the read model shows it too
  const stuckUntil = new Map<string, number>(); // execs that failed on their own, and when to try again
  const health = deps.health;

  // One exec (or wave) failing on its own is recorded and skipped for a while; a broker outage is the
  // whole tick's failure (every item would fail the same way).
  const isolated = async (item: string, work: () => Promise<void>) => {
    const until = stuckUntil.get(item);
    if (until !== undefined && until > deps.now().getTime()) return;
    try {
      await work();
      if (until !== undefined) {
        stuckUntil.delete(item);
        health.unstuck(item);
      }
    } catch (error) {
      if (isBrokerUnavailable(error) || error instanceof NotYet || error instanceof ReadModelsNotReady) throw error;
      stuckUntil.set(item, deps.now().getTime() + STUCK_RETRY_MS);
      health.stuck(item, error);
    }
  };

  const tick = async () => {
    // The emergency stop holds every dispatch (agents would refuse it anyway) until the fleet resumes.
    const halted = (await getFleet(deps.readModels.db())).halted;
    if (!halted) {
      await dispatchPending();
      await dispatchDueWaves(deps, () => stopped, isolated);
    }
    await announceKills();
    await expireApprovals();
    if (!halted) await armWake();
  };

  // An exec still waiting for approval past its expiry ends: nothing of it is ever dispatched.
  const expireApprovals = async () => {
    const now = deps.now().toISOString();
    const lapsed = await deps.readModels
      .db()
      .selectFrom('executions')
      .select('exec_id')
      .where('approval', '=', 'pending')
      .where('approval_expires_at', '<=', now)
      .where('kill_requested_at', 'is', null)
      .limit(BATCH)
      .execute();
    for (const { exec_id } of lapsed)
      await isolated(`approval of ${exec_id}`, async () => {
        await recordOnExec(deps, `expire-approval:${exec_id}`, { type: 'ExpireApproval', data: { exec_id, now } });
      });
  };

  const dispatchPending = async () => {
    const pending = await deps.readModels
      .db()
      .selectFrom('executions')
      .select(['exec_id', 'requested_at'])
      .where('dispatched_at', 'is', null)
      .where('rollout', 'is', null)
      .where('kill_requested_at', 'is', null)
      .where((eb) => eb.or([eb('approval', 'is', null), eb('approval', '=', 'granted')]))
      .where('seq', '<=', deps.views.position())
      .orderBy('seq')
      .limit(BATCH)
      .execute();
    const stillPending = new Set(pending.map((e) => e.exec_id));
    for (const id of done) if (!stillPending.has(id)) done.delete(id); // the read model caught up
    for (const exec of pending) {
      if (stopped || done.has(exec.exec_id)) continue;
      await isolated(`exec ${exec.exec_id}`, async () => {
        await dispatch(exec.exec_id, exec.requested_at);
        done.add(exec.exec_id);
      });
    }
  };

  // What goes out is what the exec's events say (never a read model's copy of it).
  const dispatch = async (execId: string, requestedAt: string) => {
    const state = await execState(deps, execId);
    if (state.status !== 'requested' || state.dispatched || state.killed || heldForApproval(state)) return;
    const { kind, job_id, version, target } = state.request;
    // Approved, a starting deadline counts from the last approval.
    const deadline_at = state.approval?.deadline_at;
    const command = deadline_at === undefined ? state.request.command : { ...state.request.command, deadline_at };
    // The pin first: an agent must never see a command whose version is not pinned yet (kanade #258).
    if (kind === 'job') await pin(deps, job_id, version);
    const token = commandToken(job_id, kind === 'adhoc' ? 'adhoc' : 'job', execId);
    const subjects = addressesOf(target).map((address) => commandSubject(address, token));
    await publishCommand(deps, command, subjects);
    timeDispatch(deps, 'exec', requestedAt);
    await recordOnExec(deps, `dispatch:${execId}`, {
      type: 'MarkDispatched',
      data: {
        exec_id: execId,
        subjects: subjects.slice(0, LISTED_SUBJECTS),
        ...(subjects.length > LISTED_SUBJECTS ? { subject_count: subjects.length } : {}),
      },
    });
    deps.log.info('dispatched', { exec_id: execId, job_id, subjects: subjects.length });
  };

  const announceKills = async () => {
    const since = new Date(deps.now().getTime() - KILL_ANNOUNCE_MS).toISOString();
    const killed = await deps.readModels
      .db()
      .selectFrom('executions')
      .select('exec_id')
      .where('status', '=', 'killed')
      .where('running', '>', 0)
      .where('kill_requested_at', '>=', since)
      .execute();
    for (const { exec_id } of killed) deps.nc.publish(killSubject(exec_id));
  };

  // Wakes up when the next wave falls due rather than at the next tick (only for times still ahead:
  // a wave already due and still waiting is retried by the tick, never by a busy loop).
  const armWake = async () => {
    const dueAt = await nextDueAt(deps.readModels.db(), deps.now());
    clearTimeout(wake);
    if (dueAt === undefined || stopped) return;
    const delay = Math.min(Date.parse(dueAt) - deps.now().getTime(), MAX_WAKE_MS);
    if (delay > 0 && delay < TICK_MS) wake = setTimeout(schedule, delay + 5);
  };

  const schedule = () => {
    if (stopped) return;
    if (busy !== undefined) {
      again = true;
      return;
    }
    busy = tick()
      .then(() => health.ok())
      .catch((error: unknown) => health.failed(error))
      .finally(() => {
        busy = undefined;
        if (again) {
          again = false;
          schedule();
        }
      });
  };

  const unsubscribe = [deps.readModels.onApplied(schedule), deps.views.onAdvanced(schedule)];
  const timer = setInterval(schedule, TICK_MS);
  // Pins are reconciled once the read models are there (they are being built at a first start).
  let reconciled = false;
  const reconcileOnce = () => {
    if (reconciled) return;
    reconciled = true;
    void reconcilePins(deps).then(schedule, (error: unknown) => {
      reconciled = false;
      health.failed(error);
    });
  };
  unsubscribe.push(deps.readModels.onApplied(reconcileOnce));
  reconcileOnce();
  return {
    stop: async () => {
      stopped = true;
      for (const u of unsubscribe) u();
      clearInterval(timer);
      clearTimeout(wake);
      await busy;
    },
  };
};

// Pins are a view too: the version of each job's last dispatched exec. Rewritten where KV differs
// (after buckets were wiped, say).
const reconcilePins = async (deps: DispatchDeps) => {
  const latest = await deps.readModels
    .db()
    .selectFrom('executions')
    .select(['job_id', 'version'])
    .where('kind', '=', 'job')
    .where('dispatched_at', 'is not', null)
    .orderBy('dispatched_at')
    .orderBy('exec_id')
    .execute();
  const pins = new Map(latest.map((e) => [e.job_id, e.version]));
  for (const [jobId, version] of pins) {
    const current = await deps.pins.get(jobId);
    if (current?.string() !== deps.signer.signView(VIEWS.pins, jobId, version)) await pin(deps, jobId, version);
  }
};
