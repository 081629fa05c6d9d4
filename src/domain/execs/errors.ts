import { DomainError } from '../shared/errors.ts';
import type { Issue } from '../shared/issues.ts';

/** The target names PCs with no approved agent (never enrolled, waiting for approval, or terminated). */
export class UnknownPc extends DomainError {
  readonly code = 'unknown-pc';
  constructor(pcs: readonly string[]) {
    super(
      `no approved agent ${pcs.join(', ')} (never enrolled, waiting for approval, or terminated)`,
      pcs.map((pc) => ({ path: 'target.pcs', message: `no approved agent ${pc}` })),
    );
    this.name = 'UnknownPc';
  }
}

/** The target or a wave names groups no approved agent is in (each issue has the nearest name). */
export class UnknownGroup extends DomainError {
  readonly code = 'unknown-group';
  constructor(groups: readonly string[], issues: readonly Issue[]) {
    super(`no approved agent is in group(s) ${groups.join(', ')}`, issues);
    this.name = 'UnknownGroup';
  }
}

/** The target resolves to nobody online: an exec would be done at once, running nothing. */
export class TargetOffline extends DomainError {
  readonly code = 'target-offline';
  constructor(detail: readonly string[]) {
    super(`the target resolves to no online agent${detail.length === 0 ? '' : ` (${detail.join('; ')})`}`, [
      { path: 'target', message: 'no online agent in the target; name PCs to reach offline ones when they return' },
    ]);
    this.name = 'TargetOffline';
  }
}

/** A rollout that could only halt (no wave has a PC, or a gate no wave can meet). */
export class RolloutCannotSucceed extends DomainError {
  readonly code = 'rollout-cannot-succeed';
  constructor(issues: readonly Issue[]) {
    super('this rollout could only halt', issues);
    this.name = 'RolloutCannotSucceed';
  }
}

/** A `where` selector that does not parse: every problem, with its line and column. */
export class SelectorInvalid extends DomainError {
  readonly code = 'invalid-input';
  constructor(issues: readonly Issue[]) {
    super('the where selector is not valid', issues);
    this.name = 'SelectorInvalid';
  }
}

/** A `where` selector that no agent in the target matches: the exec would run nothing. */
export class NoAgentMatches extends DomainError {
  readonly code = 'target-offline';
  constructor(selector: string, candidates: number) {
    super(`no agent in the target matches ${selector} (${candidates} online or named agent(s) looked at)`, [
      { path: 'where', message: 'matches no agent in the target' },
    ]);
    this.name = 'NoAgentMatches';
  }
}
