import type { KV } from '@nats-io/kv';
import {
  type AgentState,
  agentDecider,
  agentStreamName,
  EnrollmentBusy,
  EnrollmentRefused,
} from '../../domain/agents/index.ts';
import { enrollmentTokenDecider, enrollmentTokenStreamName, tokenUnusable } from '../../domain/enrollment/index.ts';
import { isGroupName, pcIdProblem } from '../../domain/shared/index.ts';
import type { BrokerAuthority } from '../../infra/broker/authority.ts';
import { commandHandlerFor, type JetStreamEventStore } from '../../infra/eventStore/index.ts';
import type { EnrollmentReply, EnrollmentRequest } from '../../infra/nats/enrollment.ts';
import { checkEnrollmentSecret, parseEnrollmentToken } from '../../infra/nats/secrets.ts';

const handleAgent = commandHandlerFor(agentDecider);

/** What answering enrollment requests needs. */
export type EnrollDeps = {
  store: JetStreamEventStore;
  secrets: KV;
  /** Present when the broker enforces credentials: approved agents then get a user JWT. */
  authority: BrokerAuthority | undefined;
  /** The command-signing keys agents are to trust. */
  trustedKeys: () => string[];
  now: () => Date;
};

/**
 * Answers one (signature-checked) enrollment request. A known key gets its standing (and, approved, a
 * fresh credential for its current groups); a new key — a new pc id, or a known one with another key
 * — needs a valid enrollment token and is recorded as a pending request (one at a time per pc id).
 * An auto-approve token approves only pc ids never seen before, with the groups it allows: nobody
 * takes over an existing identity, or joins a group the token does not grant, without an operator.
 */
export const answerEnrollment = async (deps: EnrollDeps, request: EnrollmentRequest): Promise<EnrollmentReply> => {
  const invalid = invalidRequest(request);
  if (invalid !== undefined) return { status: 'refused', reason: invalid };
  const stream = agentStreamName(request.pc_id);
  const { state } = await deps.store.aggregateStream(stream, agentDecider);
  const standing = await standingOf(deps, request, state);
  if (standing !== undefined) return standing;

  const token = await usableToken(deps, request.token);
  if (!token.ok) return { status: 'refused', reason: token.reason };
  const { pc_id, hostname, os, arch, agent_version, groups, public_key } = request;
  const data = {
    pc_id,
    hostname,
    os,
    arch,
    agent_version,
    groups,
    public_key,
    token_id: token.id,
    token_name: token.name,
  };
  let handled: Awaited<ReturnType<typeof handleAgent>>;
  try {
    handled = await handleAgent(
      deps.store,
      stream,
      {
        type: 'RequestEnrollment',
        data: { ...data, ...(token.autoApprove ? { auto_approve: { groups: token.groups } } : {}) },
      },
      { id: `enroll:${pc_id}:${public_key}`, actor: `agent:${pc_id}`, at: deps.now().toISOString(), via: 'enrollment' },
    );
  } catch (error) {
    if (error instanceof EnrollmentBusy || error instanceof EnrollmentRefused)
      return { status: 'refused', reason: error.message };
    throw error;
  }
  return (await standingOf(deps, request, handled.state)) ?? { status: 'pending' };
};

const invalidRequest = (request: EnrollmentRequest): string | undefined => {
  const pc = pcIdProblem(request.pc_id);
  if (pc !== undefined) return `pc id ${JSON.stringify(request.pc_id)}: ${pc}`;
  const bad = request.groups.filter((g) => !isGroupName(g));
  return bad.length > 0 ? `not valid group names: ${bad.join(', ')}` : undefined;
};

// Where a key already stands, or undefined for a key this pc id has not presented yet.
const standingOf = async (
  deps: EnrollDeps,
  request: EnrollmentRequest,
  state: AgentState,
): Promise<EnrollmentReply | undefined> => {
  const key = request.public_key;
  if (state.status === 'approved' && state.key === key) {
    const jwt =
      deps.authority === undefined
        ? undefined
        : await deps.authority.issueAgentJwt({ pcId: request.pc_id, publicKey: key, groups: state.groups }, deps.now());
    return { status: 'approved', trusted_keys: deps.trustedKeys(), ...(jwt === undefined ? {} : { jwt }) };
  }
  if (state.pending?.key === key) return { status: 'pending' };
  if (state.refusedKeys.includes(key)) {
    const terminated = state.status === 'terminated';
    return {
      status: terminated ? 'terminated' : 'rejected',
      reason: terminated ? 'this agent was terminated' : 'an operator rejected this enrollment',
    };
  }
  return undefined;
};

type Token =
  | { ok: true; id: string; name: string; autoApprove: boolean; groups: string[] }
  | { ok: false; reason: string };

const usableToken = async (deps: EnrollDeps, presented: string | undefined): Promise<Token> => {
  if (presented === undefined || presented === '')
    return { ok: false, reason: 'an enrollment token is required (--enroll-token or KANADE_ENROLL_TOKEN)' };
  const parsed = parseEnrollmentToken(presented);
  if (parsed === undefined || !(await checkEnrollmentSecret(deps.secrets, parsed.id, parsed.secret)))
    return { ok: false, reason: 'the enrollment token is not valid' };
  const { state } = await deps.store.aggregateStream(enrollmentTokenStreamName(parsed.id), enrollmentTokenDecider);
  const unusable = tokenUnusable(state, deps.now().toISOString());
  if (unusable !== undefined || !state.exists) return { ok: false, reason: unusable ?? 'unknown enrollment token' };
  return { ok: true, id: parsed.id, name: state.name, autoApprove: state.auto_approve, groups: state.groups };
};
