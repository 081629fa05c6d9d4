import { personOf } from '../accounts/roles.ts';
import { DomainError } from '../shared/errors.ts';
import type { DomainCommand } from '../shared/messages.ts';
import { unreachable } from '../shared/unreachable.ts';
import type { ExecDispatched, ExecEvent, ExecRequested, ExecRequestPart } from './events.ts';
import { waveChooser } from './rollout.ts';

/** When one wave is due, and the starting deadline of its command. */
export type WaveTime = { due_at: string; deadline_at?: string };

/** What an exec request holds (ExecRequested's data, less what is derived from it). */
export type ExecRequestData = Omit<ExecRequested['data'], 'target_count'>;

/**
 * Record an exec request (idempotent for the same exec id); `wave_times` gives each wave its time.
 * `parts`: the request's JSON was recorded first in that many parts (RecordRequestPart), being too big
 * for one message; the request is then recorded as ExecRequestedInParts.
 */
export type RequestExec = DomainCommand<'RequestExec', ExecRequestData & { wave_times?: WaveTime[]; parts?: number }>;
/** Record one part of a request too big for one message (before RequestExec, in order). */
export type RecordRequestPart = DomainCommand<'RecordRequestPart', ExecRequestPart['data']>;
/** Record that the (plain) command went out. */
export type MarkDispatched = DomainCommand<'MarkDispatched', ExecDispatched['data']>;
/** Let the next wave go out (its gate passed or was waived). */
export type ReleaseWave = DomainCommand<'ReleaseWave', { exec_id: string; wave: number; deadline_at?: string }>;
/** Record that one released wave went out. */
export type DispatchWave = DomainCommand<'DispatchWave', { exec_id: string; wave: number }>;
/** Stop a rollout before `wave` (its gate broke). */
export type HaltExec = DomainCommand<'HaltExec', { exec_id: string; wave: number; reason: string }>;
/** Let a halted rollout go on. */
export type ResumeExec = DomainCommand<'ResumeExec', { exec_id: string }>;
/** Stop a rollout for good. */
export type AbortExec = DomainCommand<'AbortExec', { exec_id: string; reason?: string }>;
/** Ask for the exec to be killed. */
export type RequestKill = DomainCommand<'RequestKill', { exec_id: string; reason?: string }>;
/**
 * Approve an exec waiting for approval. `wave_times` (a rollout's waves counted from now) and
 * `deadline_at` (a plain exec's starting deadline from now) are used when this approval is the last.
 */
export type ApproveExec = DomainCommand<
  'ApproveExec',
  { exec_id: string; approver: string; wave_times?: WaveTime[]; deadline_at?: string }
>;
/** Reject an exec waiting for approval. */
export type RejectExec = DomainCommand<'RejectExec', { exec_id: string; rejecter: string; reason: string }>;
/** End an exec whose approval did not come in time (`now` comes from the edge). */
export type ExpireApproval = DomainCommand<'ExpireApproval', { exec_id: string; now: string }>;
/** Every command of the exec aggregate. */
export type ExecAggregateCommand =
  | RequestExec
  | RecordRequestPart
  | MarkDispatched
  | ReleaseWave
  | DispatchWave
  | HaltExec
  | ResumeExec
  | AbortExec
  | RequestKill
  | ApproveExec
  | RejectExec
  | ExpireApproval;

/** What is known of one exec id. */
export type ExecState =
  | {
      status: 'absent';
      /** The parts of a request recorded so far (of the latest request id to start recording parts). */
      parts?: { request_id: string; texts: string[] };
    }
  | {
      status: 'requested';
      /** What was requested: the target, the resolved PCs, the command, the rollout. */
      request: ExecRequested['data'];
      job_id: string;
      dispatched: boolean;
      killed: boolean;
      aborted: boolean;
      /** The wave a gate stopped the rollout before, while halted. */
      haltedAt: number | undefined;
      /** The wave an operator let go without its gate (by resuming). */
      waived: number | undefined;
      /** Per wave, in order (empty without a rollout). */
      waves: WaveState[];
      /** Where the approval stands, when the job needs one. */
      approval: ApprovalState | undefined;
    };

/** An exec's approval: who asked, who approved so far, and how it ended. */
export type ApprovalState = {
  needed: number;
  requested_by: string;
  expires_at: string;
  approvers: string[];
  outcome: 'pending' | 'granted' | 'rejected' | 'expired';
  /** A plain exec's starting deadline, counted from the final approval. */
  deadline_at?: string;
};

/** Where one wave is: waiting for its time (and gate), released (decided, being published), or sent. */
export type WaveState = { step: 'pending' } | { step: 'released'; deadline_at?: string } | { step: 'dispatched' };

/** The exec id is unknown. */
export class ExecNotFound extends DomainError {
  readonly code = 'exec-not-found';
  constructor(execId: string) {
    super(`no exec ${execId}`);
    this.name = 'ExecNotFound';
  }
}

/** Resume was asked of an exec that is not halted. */
export class ExecNotHalted extends DomainError {
  readonly code = 'exec-not-halted';
  constructor(execId: string) {
    super(`exec ${execId} is not halted`);
    this.name = 'ExecNotHalted';
  }
}

/** The approver is the person who asked for the exec: approvals take a second person. */
export class ApprovalByRequester extends DomainError {
  readonly code = 'approval-by-requester';
  constructor(execId: string, requester: string) {
    super(`${requester} asked for exec ${execId}; somebody else must approve it`);
    this.name = 'ApprovalByRequester';
  }
}

/** The approver has approved this exec already. */
export class AlreadyApproved extends DomainError {
  readonly code = 'already-approved';
  constructor(execId: string, approver: string) {
    super(`${approver} approved exec ${execId} already; it needs another person`);
    this.name = 'AlreadyApproved';
  }
}

/** The exec is not waiting for approval (none needed, or it was given, rejected, expired or killed). */
export class NotAwaitingApproval extends DomainError {
  readonly code = 'not-awaiting-approval';
  constructor(execId: string, state: string) {
    super(`exec ${execId} is not waiting for approval (${state})`);
    this.name = 'NotAwaitingApproval';
  }
}

/** True when nothing of the exec may go out yet, or ever, for want of an approval. */
export const heldForApproval = (state: ExecState): boolean =>
  state.status === 'requested' && state.approval !== undefined && state.approval.outcome !== 'granted';

/** The data of the ExecRequested a request records (the same object whole or in parts). */
export const execRequestedData = (request: ExecRequestData): ExecRequested['data'] => ({
  ...request,
  target_count: request.pcs.length,
});

/**
 * The request the parts of `request_id` spell, once all `parts` of them are there (in order), or
 * undefined (also when they spell no JSON). Readers of ExecRequestedInParts (this decider, the projections) all read it this way.
 */
export const joinRequestParts = (
  collected: { request_id: string; texts: readonly string[] } | undefined,
  request_id: string,
  parts: number,
): ExecRequested['data'] | undefined => {
  if (collected?.request_id !== request_id || collected.texts.length !== parts) return undefined;
  try {
    return JSON.parse(collected.texts.join('')) as ExecRequested['data'];
  } catch {
    return undefined; // parts that spell no JSON (planted, not ours) make no request
  }
};

/** The parts collected so far, with one more (a part 0 starts over: a new attempt of the request). */
export const withRequestPart = (
  collected: { request_id: string; texts: string[] } | undefined,
  { request_id, part, text }: ExecRequestPart['data'],
): { request_id: string; texts: string[] } | undefined => {
  if (part === 0) return { request_id, texts: [text] };
  if (collected?.request_id !== request_id || collected.texts.length !== part) return collected;
  return { request_id, texts: [...collected.texts, text] };
};

const initialState = (): ExecState => ({ status: 'absent' });

const requestedState = (request: ExecRequested['data']): ExecState => ({
  status: 'requested',
  request,
  job_id: request.job_id,
  dispatched: false,
  killed: false,
  aborted: false,
  haltedAt: undefined,
  waived: undefined,
  waves: (request.rollout?.waves ?? []).map((): WaveState => ({ step: 'pending' })),
  approval:
    request.approval === undefined
      ? undefined
      : {
          needed: request.approval.approvers,
          requested_by: request.approval.requested_by,
          expires_at: request.approval.expires_at,
          approvers: [],
          outcome: 'pending',
        },
});

const evolve = (state: ExecState, event: ExecEvent): ExecState => {
  if (state.status === 'absent') {
    switch (event.type) {
      case 'ExecRequested':
        return requestedState(event.data);
      case 'ExecRequestPart': {
        const parts = withRequestPart(state.parts, event.data);
        return parts === undefined ? state : { status: 'absent', parts };
      }
      case 'ExecRequestedInParts': {
        const request = joinRequestParts(state.parts, event.data.request_id, event.data.parts);
        return request === undefined ? state : requestedState(request);
      }
      default:
        return state;
    }
  }
  switch (event.type) {
    case 'ExecRequested':
    case 'ExecRequestPart':
    case 'ExecRequestedInParts':
    case 'WaveScheduled':
      return state;
    case 'ExecDispatched':
      return { ...state, dispatched: true };
    case 'WaveReleased': {
      const { wave, deadline_at } = event.data;
      const released: WaveState = deadline_at === undefined ? { step: 'released' } : { step: 'released', deadline_at };
      return { ...state, waves: state.waves.map((w, i) => (i === wave ? released : w)) };
    }
    case 'WaveDispatched':
      return {
        ...state,
        waves: state.waves.map((w, i): WaveState => (i === event.data.wave ? { step: 'dispatched' } : w)),
      };
    case 'ExecHalted':
      return { ...state, haltedAt: event.data.wave };
    case 'ExecResumed':
      return { ...state, haltedAt: undefined, waived: event.data.wave };
    case 'ExecAborted':
      return { ...state, aborted: true };
    case 'KillRequested':
      return { ...state, killed: true };
    case 'ExecApproved': {
      if (state.approval === undefined) return state;
      const { approver, approvals, needed, deadline_at } = event.data;
      const approvers = [...state.approval.approvers, approver];
      const granted = approvals >= needed;
      return {
        ...state,
        approval: {
          ...state.approval,
          approvers,
          outcome: granted ? 'granted' : 'pending',
          ...(deadline_at === undefined ? {} : { deadline_at }),
        },
      };
    }
    case 'ExecRejected':
      return state.approval === undefined ? state : { ...state, approval: { ...state.approval, outcome: 'rejected' } };
    case 'ExecApprovalExpired':
      return state.approval === undefined ? state : { ...state, approval: { ...state.approval, outcome: 'expired' } };
    default:
      return unreachable(event);
  }
};

type Requested = Extract<ExecState, { status: 'requested' }>;

const live = (s: Requested) =>
  !s.killed && !s.aborted && s.haltedAt === undefined && (s.approval === undefined || s.approval.outcome === 'granted');

/** The first wave not sent yet, when the rollout is live (not halted, aborted or killed). */
const nextIndex = (s: Requested): number | undefined => {
  const next = s.waves.findIndex((w) => w.step !== 'dispatched');
  return next >= 0 && live(s) ? next : undefined;
};

/** The wave that goes out next, and where it is, or undefined (none left, or the rollout is halted, aborted or killed). */
export const nextWave = (state: ExecState): { wave: number; state: WaveState } | undefined => {
  if (state.status !== 'requested') return undefined;
  const wave = nextIndex(state);
  const w = wave === undefined ? undefined : state.waves[wave];
  return wave === undefined || w === undefined ? undefined : { wave, state: w };
};

const isNext = (s: Requested, wave: number, step: WaveState['step']) =>
  nextIndex(s) === wave && s.waves[wave]?.step === step;

const requested = (id: string, state: ExecState): Requested => {
  if (state.status === 'absent') throw new ExecNotFound(id);
  return state;
};

const decide = (command: ExecAggregateCommand, state: ExecState): ExecEvent[] => {
  switch (command.type) {
    case 'RequestExec':
      return state.status === 'absent' ? requestExec(command, state) : [];
    case 'RecordRequestPart':
      return state.status === 'absent' ? recordPart(command, state) : [];
    case 'MarkDispatched': {
      const s = requested(command.data.exec_id, state);
      if (heldForApproval(s)) throw new NotAwaitingApproval(command.data.exec_id, 'it was never approved');
      return s.dispatched || s.killed || s.aborted ? [] : [{ type: 'ExecDispatched', data: command.data }];
    }
    case 'ReleaseWave': {
      const s = requested(command.data.exec_id, state);
      return isNext(s, command.data.wave, 'pending') ? [{ type: 'WaveReleased', data: command.data }] : [];
    }
    case 'DispatchWave': {
      const s = requested(command.data.exec_id, state);
      return isNext(s, command.data.wave, 'released') ? [{ type: 'WaveDispatched', data: command.data }] : [];
    }
    case 'HaltExec': {
      const s = requested(command.data.exec_id, state);
      return isNext(s, command.data.wave, 'pending') ? [{ type: 'ExecHalted', data: command.data }] : [];
    }
    case 'ResumeExec': {
      const s = requested(command.data.exec_id, state);
      if (s.haltedAt === undefined || s.killed || s.aborted) throw new ExecNotHalted(command.data.exec_id);
      return [{ type: 'ExecResumed', data: { exec_id: command.data.exec_id, wave: s.haltedAt } }];
    }
    case 'AbortExec': {
      const s = requested(command.data.exec_id, state);
      const undispatched = s.waves.some((w) => w.step !== 'dispatched');
      return s.aborted || s.killed || !undispatched ? [] : [{ type: 'ExecAborted', data: command.data }];
    }
    case 'RequestKill': {
      const s = requested(command.data.exec_id, state);
      return s.killed ? [] : [{ type: 'KillRequested', data: command.data }];
    }
    case 'ApproveExec':
      return approve(command, requested(command.data.exec_id, state));
    case 'RejectExec': {
      const { exec_id, rejecter, reason } = command.data;
      pendingApproval(exec_id, requested(exec_id, state));
      return [{ type: 'ExecRejected', data: { exec_id, rejecter, reason } }];
    }
    case 'ExpireApproval': {
      const { exec_id, now } = command.data;
      const approval = pendingApproval(exec_id, requested(exec_id, state));
      return approval.expires_at <= now
        ? [{ type: 'ExecApprovalExpired', data: { exec_id, expires_at: approval.expires_at } }]
        : [];
    }
    default:
      return unreachable(command);
  }
};

// The approval of an exec still waiting for one (anything else is refused).
const pendingApproval = (execId: string, s: Requested): ApprovalState => {
  if (s.approval === undefined) throw new NotAwaitingApproval(execId, 'its job needs no approval');
  if (s.killed) throw new NotAwaitingApproval(execId, 'it was killed');
  if (s.approval.outcome !== 'pending') throw new NotAwaitingApproval(execId, `it was ${s.approval.outcome}`);
  return s.approval;
};

// Two people: never the requester, never the same approver twice. The last approval schedules the waves.
const approve = ({ data }: ApproveExec, s: Requested): ExecEvent[] => {
  const approval = pendingApproval(data.exec_id, s);
  const person = personOf(data.approver);
  if (person === personOf(approval.requested_by)) throw new ApprovalByRequester(data.exec_id, approval.requested_by);
  if (approval.approvers.some((a) => personOf(a) === person)) throw new AlreadyApproved(data.exec_id, person);
  const approvals = approval.approvers.length + 1;
  const last = approvals >= approval.needed;
  const approved: ExecEvent = {
    type: 'ExecApproved',
    data: {
      exec_id: data.exec_id,
      approver: data.approver,
      approvals,
      needed: approval.needed,
      ...(last && data.deadline_at !== undefined ? { deadline_at: data.deadline_at } : {}),
    },
  };
  if (!last) return [approved];
  return [approved, ...scheduledWaves(s.request, data.wave_times)];
};

const scheduledWaves = (request: ExecRequested['data'], waveTimes: WaveTime[] | undefined): ExecEvent[] => {
  const waves = request.rollout?.waves ?? [];
  if (waves.length !== (waveTimes ?? []).length)
    throw new Error(`a rollout of ${waves.length} waves needs as many due times`);
  return waves.map(
    (w, wave): ExecEvent => ({
      type: 'WaveScheduled',
      data: {
        exec_id: request.exec_id,
        wave,
        ...waveChooser(w),
        target_count: w.target_count,
        ...(waveTimes?.[wave] as WaveTime),
      },
    }),
  );
};

// A part is recorded once, in order; one already there (a retried attempt) is not recorded again.
const recordPart = ({ data }: RecordRequestPart, state: Extract<ExecState, { status: 'absent' }>): ExecEvent[] => {
  const had = state.parts?.request_id === data.request_id ? state.parts.texts.length : 0;
  if (data.part < had) return [];
  if (data.part !== had) throw new Error(`part ${data.part} of request ${data.request_id} comes before part ${had}`);
  return [{ type: 'ExecRequestPart', data }];
};

const requestExec = ({ data }: RequestExec, state: Extract<ExecState, { status: 'absent' }>): ExecEvent[] => {
  const { wave_times, parts, ...request } = data;
  const whole = execRequestedData(request);
  // Waiting for approval, no wave is scheduled yet: the last approval schedules them.
  const scheduled = request.approval === undefined ? scheduledWaves(whole, wave_times) : [];
  if (parts === undefined) return [{ type: 'ExecRequested', data: whole }, ...scheduled];
  // In parts: what the parts spell must be this very request.
  const recorded = joinRequestParts(state.parts, request.request_id, parts);
  if (recorded === undefined || JSON.stringify(recorded) !== JSON.stringify(whole))
    throw new Error(`the ${parts} recorded part(s) of request ${request.request_id} do not spell this request`);
  const { exec_id, request_id, kind, job_id, version, target_count } = whole;
  return [
    { type: 'ExecRequestedInParts', data: { exec_id, request_id, kind, job_id, version, target_count, parts } },
    ...scheduled,
  ];
};

/** The exec decider (Emmett's Decider shape). */
export const execDecider = { decide, evolve, initialState };
