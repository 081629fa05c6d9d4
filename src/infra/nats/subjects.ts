import type { CommandAddress } from '../../domain/execs/index.ts';
import { encodeToken } from '../eventStore/subjects.ts';

/** Subject prefix of commands: `kanade.cmd.{all,group.<g>,pc.<pc>}.<job>`. */
export const COMMANDS_PREFIX = 'kanade.cmd';
/** Subject prefix of heartbeats: `kanade.hb.<pc>`. */
export const HEARTBEATS_PREFIX = 'kanade.hb';
/** Subject prefix of large run output, in chunks: `kanade.out.<pc>.<result>.<stdout|stderr>`. */
export const OUTPUT_PREFIX = 'kanade.out';
/** Where agents ask to enroll (and approved agents for fresh credentials); the server answers. */
export const ENROLL_SUBJECT = 'kanade.enroll';
/** Reply subjects of the shared bootstrap credential (it may subscribe to nothing else). */
export const ENROLL_INBOX_PREFIX = '_INBOX_enroll';

/** The last token of a command subject: the job id, or `adhoc-<exec>` so ad-hoc runs never replace each other. */
export const commandToken = (jobId: string, kind: 'job' | 'adhoc', execId: string): string =>
  kind === 'adhoc' ? `adhoc-${execId.toLowerCase()}` : jobId;

/** The subject a command is published on for one target part. */
export const commandSubject = (address: CommandAddress, token: string): string => {
  switch (address.kind) {
    case 'all':
      return `${COMMANDS_PREFIX}.all.${token}`;
    case 'group':
      return `${COMMANDS_PREFIX}.group.${address.group}.${token}`;
    case 'pc':
      return `${COMMANDS_PREFIX}.pc.${encodeToken(address.pc)}.${token}`;
  }
};

/** The subject filters an agent listens on (and catches up from). */
export const agentCommandFilters = (pcId: string, groups: readonly string[]): string[] => [
  `${COMMANDS_PREFIX}.all.>`,
  pcCommandFilter(pcId),
  ...groups.map((g) => groupCommandFilter(g)),
];

/** The filter of one PC's own commands. */
export const pcCommandFilter = (pcId: string): string => `${COMMANDS_PREFIX}.pc.${encodeToken(pcId)}.>`;

/** The filter of one group's commands. */
export const groupCommandFilter = (group: string): string => `${COMMANDS_PREFIX}.group.${group}.>`;

/** Where an agent's heartbeats go (the stream keeps the last one per agent). */
export const heartbeatSubject = (pcId: string): string => `${HEARTBEATS_PREFIX}.${encodeToken(pcId)}`;

/** Request/reply subject an agent answers pings on. */
export const pingSubject = (pcId: string): string => `kanade.agent.${encodeToken(pcId)}.ping`;

/** Where an agent answers a ping (the server subscribes to `<prefix>.<nonce>` and sends that as the reply subject). */
export const pongPrefix = (pcId: string): string => `kanade.agent.${encodeToken(pcId)}.pong`;

/** Core subject a kill is announced on; agents listen while they run a command of the exec. */
export const killSubject = (execId: string): string => `kanade.kill.${execId}`;

/** The KV key of an agent in the groups view (pc ids may hold characters KV keys do not take). */
export const groupsKey = (pcId: string): string => encodeToken(pcId);

/** The subject of one output stream of a run (its chunks, in order). */
export const outputSubject = (pcId: string, resultId: string, stream: 'stdout' | 'stderr'): string =>
  `${OUTPUT_PREFIX}.${encodeToken(pcId)}.${resultId}.${stream}`;

/** The reply-subject prefix of an agent's connection: its credential may subscribe to these and no others'. */
export const agentInboxPrefix = (pcId: string): string => `_INBOX_agent.${encodeToken(pcId)}`;
