import type { Permissions } from '@nats-io/jwt';
import { configKey } from '../../domain/config/index.ts';
import { encodeToken } from '../eventStore/subjects.ts';
import { COMMANDS_STREAM, HALT_KEY, TRUST_KEY, VIEWS } from '../nats/fleet.ts';
import { EVENTS_STREAM, EVENTS_SUBJECT_PREFIX } from '../nats/streams.ts';
import {
  agentCommandFilters,
  agentInboxPrefix,
  ENROLL_INBOX_PREFIX,
  ENROLL_SUBJECT,
  groupsKey,
  heartbeatSubject,
  OUTPUT_PREFIX,
  pingSubject,
  pongPrefix,
} from '../nats/subjects.ts';

// A direct get of the last message on `subject`: the subject is part of the API subject, so a
// permission can name it (a body-form get could ask for any message of the stream).
const directGet = (stream: string, subject: string) => `$JS.API.DIRECT.GET.${stream}.${subject}`;
const kvSubject = (bucket: string, key: string) => `$KV.${bucket}.${key}`;
const kvStream = (bucket: string) => `KV_${bucket}`;

// The config layers an agent may read: the global one, any group's (membership changes need no new
// credential to follow them), and its own PC's.
const configKeys = (pcId: string) => ['global', 'group.*', configKey({ layer: 'pc', pc: pcId })];

/**
 * What one agent's broker credential may do, and nothing more: publish its own heartbeats, run
 * events, facts and output, and its enrollment (credential refresh) requests; answer pings; read — never
 * write — the commands for all, its groups and itself, and the KV views its gates need. No other
 * JetStream API: no consumers, no stream or KV changes, no purge, no other PC's commands or runs.
 * Group membership is part of the credential: when it changes the agent fetches a new one.
 */
export const agentPermissions = (pcId: string, groups: readonly string[]): Permissions => {
  const pc = encodeToken(pcId);
  const commandFilters = agentCommandFilters(pcId, groups);
  return {
    pub: {
      allow: [
        heartbeatSubject(pcId),
        `${EVENTS_SUBJECT_PREFIX}.run.${pc}.>`,
        `${EVENTS_SUBJECT_PREFIX}.facts.${pc}`,
        `${OUTPUT_PREFIX}.${pc}.>`,
        `${pongPrefix(pcId)}.>`,
        ENROLL_SUBJECT,
        '$JS.API.INFO',
        `$JS.API.STREAM.INFO.${COMMANDS_STREAM}`,
        ...commandFilters.map((filter) => directGet(COMMANDS_STREAM, filter)),
        directGet(EVENTS_STREAM, `${EVENTS_SUBJECT_PREFIX}.run.${pc}.>`),
        ...[VIEWS.jobStatus, VIEWS.pins, VIEWS.kills, VIEWS.fleet].map((bucket) =>
          directGet(kvStream(bucket), kvSubject(bucket, '>')),
        ),
        directGet(kvStream(VIEWS.groups), kvSubject(VIEWS.groups, groupsKey(pcId))),
        ...configKeys(pcId).map((key) => directGet(kvStream(VIEWS.config), kvSubject(VIEWS.config, key))),
      ],
      deny: [],
    },
    sub: {
      allow: [
        `${agentInboxPrefix(pcId)}.>`,
        ...commandFilters,
        'kanade.kill.>',
        pingSubject(pcId),
        kvSubject(VIEWS.fleet, HALT_KEY),
        kvSubject(VIEWS.fleet, TRUST_KEY),
        kvSubject(VIEWS.groups, groupsKey(pcId)),
        ...configKeys(pcId).map((key) => kvSubject(VIEWS.config, key)),
      ],
      deny: [],
    },
    // No reply permission: a reply right would let it answer any message it receives that carries
    // a reply subject (the server's JetStream acknowledgements among them). Pings are answered on
    // its own pong subject instead.
  };
};

/**
 * The enrollment responder's own credential: it reads requests and answers into the two inbox
 * families, nothing else. A requester chooses the reply subject, so the responder must not be able
 * to publish anywhere else (with the server's credential it could be aimed at a KV key or the API).
 */
export const responderPermissions = (): Permissions => ({
  pub: { allow: [`${ENROLL_INBOX_PREFIX}.>`, '_INBOX_agent.>'], deny: [] },
  sub: { allow: [ENROLL_SUBJECT], deny: [] },
});

/** The shared bootstrap credential an agent installs with: it may send enrollment requests, nothing else. */
export const bootstrapPermissions = (): Permissions => ({
  pub: { allow: [ENROLL_SUBJECT], deny: [] },
  sub: { allow: [`${ENROLL_INBOX_PREFIX}.>`], deny: [] },
});
