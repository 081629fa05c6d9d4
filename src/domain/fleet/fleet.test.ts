import { DeciderSpecification } from '@event-driven-io/emmett';
import { describe, it } from 'vitest';
import { type FleetEvent, fleetDecider } from './fleet.ts';

const given = DeciderSpecification.for(fleetDecider);
const halted: FleetEvent = { type: 'FleetHalted', data: { reason: 'bad rollout', kill_running: false } };

describe('fleet decider', () => {
  it('halts a running fleet', () =>
    given([])
      .when({ type: 'HaltFleet', data: { reason: 'bad rollout', kill_running: false } })
      .then([halted]));

  it('does nothing when halted again the same way', () =>
    given([halted])
      .when({ type: 'HaltFleet', data: { reason: 'again', kill_running: false } })
      .thenNothingHappened());

  it('escalates a halt to killing running work', () =>
    given([halted])
      .when({ type: 'HaltFleet', data: { reason: 'worse', kill_running: true } })
      .then([{ type: 'FleetHalted', data: { reason: 'worse', kill_running: true } }]));

  it('resumes a halted fleet, and only a halted one', () => {
    given([halted])
      .when({ type: 'ResumeFleet', data: { reason: 'fixed' } })
      .then([{ type: 'FleetResumed', data: { reason: 'fixed' } }]);
    given([]).when({ type: 'ResumeFleet', data: {} }).thenNothingHappened();
  });
});
