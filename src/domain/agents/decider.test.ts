import { DeciderSpecification } from '@event-driven-io/emmett';
import { describe, it } from 'vitest';
import {
  AgentNotFound,
  agentDecider,
  EnrollmentBusy,
  EnrollmentRefused,
  NothingPending,
  PendingKeyChanged,
} from './decider.ts';
import type { AgentEvent } from './events.ts';

const given = DeciderSpecification.for(agentDecider);
const facts = { pc_id: 'pc1', hostname: 'pc1', os: 'linux', arch: 'x64', agent_version: '0.1.0' };
const K1 = `U${'A'.repeat(55)}`;
const K2 = `U${'B'.repeat(55)}`;
const token = { token_id: '01TOKEN', token_name: 'install' };
const request = (key: string, groups = ['b', 'a', 'b']) =>
  ({ type: 'RequestEnrollment', data: { ...facts, groups, public_key: key, ...token } }) as const;
const requested = (key: string): AgentEvent => ({
  type: 'AgentEnrollmentRequested',
  data: { ...facts, groups: ['a', 'b'], public_key: key, ...token },
});
const approved = (key: string, replaced?: string): AgentEvent => ({
  type: 'AgentApproved',
  data: {
    pc_id: 'pc1',
    public_key: key,
    groups: ['a', 'b'],
    ...(replaced === undefined ? {} : { replaced_key: replaced }),
    auto_approved: false,
  },
});
const legacy: AgentEvent = { type: 'AgentEnrolled', data: { ...facts, groups: ['a', 'b'] } };

describe('agent decider', () => {
  describe('enrollment', () => {
    it('records a request with sorted unique groups, once per key', () => {
      given([])
        .when(request(K1))
        .then([requested(K1)]);
      given([requested(K1)])
        .when(request(K1))
        .thenNothingHappened();
    });

    it('approves the pending key with the groups it asked for', () =>
      given([requested(K1)])
        .when({ type: 'ApproveAgent', data: { pc_id: 'pc1' } })
        .then([approved(K1)]));

    it('refuses to approve or reject when nothing waits', () => {
      given([])
        .when({ type: 'ApproveAgent', data: { pc_id: 'pc1' } })
        .thenThrows((e) => e instanceof NothingPending);
      given([requested(K1), approved(K1)])
        .when({ type: 'RejectAgent', data: { pc_id: 'pc1' } })
        .thenThrows((e) => e instanceof NothingPending);
    });

    it('refuses an approval or a rejection of a key other than the one waiting', () => {
      given([requested(K2)])
        .when({ type: 'ApproveAgent', data: { pc_id: 'pc1', public_key: K1 } })
        .thenThrows((e) => e instanceof PendingKeyChanged);
      given([requested(K2)])
        .when({ type: 'RejectAgent', data: { pc_id: 'pc1', public_key: K1 } })
        .thenThrows((e) => e instanceof PendingKeyChanged);
    });

    it('lets one request wait at a time: a second key cannot push the first aside', () =>
      given([requested(K1)])
        .when(request(K2))
        .thenThrows((e) => e instanceof EnrollmentBusy));

    it('approves a never-seen pc id at once with an auto-approve token, in the groups the token allows', () => {
      const auto = {
        ...request(K1, ['canary', 'finance']),
        data: { ...request(K1, ['canary', 'finance']).data, auto_approve: { groups: ['canary', 'wave1'] } },
      };
      given([])
        .when(auto)
        .then([
          {
            type: 'AgentEnrollmentRequested',
            data: { ...facts, groups: ['canary', 'finance'], public_key: K1, ...token },
          },
          { type: 'AgentApproved', data: { pc_id: 'pc1', public_key: K1, groups: ['canary'], auto_approved: true } },
        ]);
      // A known pc id never: a new key waits for an operator.
      given([requested(K1), approved(K1)])
        .when({ ...auto, data: { ...auto.data, public_key: K2 } })
        .then([
          {
            type: 'AgentEnrollmentRequested',
            data: { ...facts, groups: ['canary', 'finance'], public_key: K2, ...token },
          },
        ]);
    });

    it('needs approval again for a known pc id with a new key, and revokes the old key on approval', () => {
      given([requested(K1), approved(K1)])
        .when(request(K2))
        .then([requested(K2)]);
      given([requested(K1), approved(K1), requested(K2)])
        .when({ type: 'ApproveAgent', data: { pc_id: 'pc1' } })
        .then([approved(K2, K1)]);
    });

    it('keeps the groups an operator decided when a new key is approved', () =>
      given([
        requested(K1),
        approved(K1),
        { type: 'AgentGroupsSet', data: { pc_id: 'pc1', groups: ['z'], previous: ['a', 'b'] } },
        requested(K2),
      ])
        .when({ type: 'ApproveAgent', data: { pc_id: 'pc1' } })
        .then([
          {
            type: 'AgentApproved',
            data: { pc_id: 'pc1', public_key: K2, groups: ['z'], replaced_key: K1, auto_approved: false },
          },
        ]));

    it('never takes a rejected or revoked key again', () => {
      given([requested(K1), { type: 'AgentRejected', data: { pc_id: 'pc1', public_key: K1 } }])
        .when(request(K1))
        .thenThrows((e) => e instanceof EnrollmentRefused);
      given([requested(K1), approved(K1), { type: 'AgentTerminated', data: { pc_id: 'pc1', public_key: K1 } }])
        .when(request(K1))
        .thenThrows((e) => e instanceof EnrollmentRefused);
    });

    it('lets a terminated pc id enroll again with a new key, pending approval', () =>
      given([requested(K1), approved(K1), { type: 'AgentTerminated', data: { pc_id: 'pc1', public_key: K1 } }])
        .when(request(K2))
        .then([requested(K2)]));

    it('terminates once; an agent that enrolled itself before keys existed has no key to revoke', () => {
      given([legacy])
        .when({ type: 'TerminateAgent', data: { pc_id: 'pc1', reason: 'decommissioned' } })
        .then([{ type: 'AgentTerminated', data: { pc_id: 'pc1', reason: 'decommissioned' } }]);
      given([legacy, { type: 'AgentTerminated', data: { pc_id: 'pc1' } }])
        .when({ type: 'TerminateAgent', data: { pc_id: 'pc1' } })
        .thenNothingHappened();
      given([])
        .when({ type: 'TerminateAgent', data: { pc_id: 'pc1' } })
        .thenThrows((e) => e instanceof AgentNotFound);
    });
  });

  describe('groups', () => {
    it('sets groups, remembering the previous ones', () =>
      given([legacy])
        .when({ type: 'SetAgentGroups', data: { pc_id: 'pc1', groups: ['c'] } })
        .then([{ type: 'AgentGroupsSet', data: { pc_id: 'pc1', groups: ['c'], previous: ['a', 'b'] } }]));

    it('does nothing when the groups are the same set', () =>
      given([legacy])
        .when({ type: 'SetAgentGroups', data: { pc_id: 'pc1', groups: ['b', 'a'] } })
        .thenNothingHappened());

    it('refuses groups for an agent that never enrolled', () =>
      given([])
        .when({ type: 'SetAgentGroups', data: { pc_id: 'x', groups: [] } })
        .thenThrows((e) => e instanceof AgentNotFound));
  });
});
