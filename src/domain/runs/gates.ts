import type { ExecCommand } from '../execs/command.ts';
import { EXIT, type Outcome } from './outcome.ts';

/** What the agent knows when a command arrives. Times in milliseconds since the epoch. */
export type GateInput = {
  command: ExecCommand;
  now: number;
  /** The agent's views of the fleet: undefined fields are unknown (no key, or never read). */
  views: {
    /** The emergency stop, when the fleet is halted. */
    halt: { reason: string; by: string } | undefined;
    revoked: boolean;
    pin: string | undefined;
    killed: boolean;
    /** Views holding a value no trusted key signed: the gates that read them refuse (fail closed). */
    unverified?: readonly ('status' | 'pin' | 'kill')[];
  };
  /** Seconds the agent has been cut off from the broker (0 while connected): kanade's staleness. */
  stalenessSecs: number;
  platform: string;
  /** Shells present on this machine. */
  shells: readonly string[];
};

/** Run the command, or refuse it with a reserved exit code and a reason (never silently). */
export type GateDecision = { run: true } | { run: false; exit_code: number; outcome: Outcome; reason: string };

const refuse = (exit_code: number, reason: string, outcome: Outcome = 'skipped'): GateDecision => ({
  run: false,
  exit_code,
  outcome,
  reason,
});

/**
 * The gates, in order: fleet halt, kill, staleness, revoke, version pin, starting deadline, script, platform.
 * `unchecked` staleness skips the revoke and pin checks (they rely on the views).
 */
export const gate = ({ command, now, views, stalenessSecs, platform, shells }: GateInput): GateDecision => {
  if (views.halt !== undefined)
    return refuse(EXIT.halted, `refused: the fleet is halted by ${views.halt.by}: ${views.halt.reason}`);
  if (views.killed) return refuse(EXIT.none, `killed before it started (kill.${command.exec_id})`, 'killed');
  const { staleness } = command;
  if (staleness.mode === 'strict' && stalenessSecs > staleness.max_cache_age_secs) {
    return refuse(
      EXIT.stale,
      `skipped: staleness policy (mode=strict) exceeded — agent has been disconnected for ${stalenessSecs}s, max allowed ${staleness.max_cache_age_secs}s`,
    );
  }
  if (staleness.mode !== 'unchecked') {
    const unverified = views.unverified ?? [];
    if (unverified.includes('status'))
      return refuse(EXIT.revoked, `skipped: the status of job ${command.id} is not signed by the server (tampering?)`);
    if (views.revoked) return refuse(EXIT.revoked, `skipped: job ${command.id} is revoked`);
    if (unverified.includes('pin'))
      return refuse(
        EXIT.versionPin,
        `skipped: the version pin of job ${command.id} is not signed by the server (tampering?)`,
      );
    if (views.pin !== undefined && views.pin !== command.version) {
      return refuse(
        EXIT.versionPin,
        `skipped: version-pin mismatch — pinned ${command.id} = ${views.pin}, command brought ${command.version}`,
      );
    }
  }
  if (command.deadline_at !== undefined && now > Date.parse(command.deadline_at)) {
    const late = Math.round((now - Date.parse(command.deadline_at)) / 1000);
    return refuse(EXIT.deadline, `skipped: starting deadline expired ${late}s ago (deadline ${command.deadline_at})`);
  }
  return scriptGate(command) ?? platformGate(command, platform, shells);
};

// An empty script would "succeed" without anything having run: refused, like any other gate.
const scriptGate = (command: ExecCommand): GateDecision | undefined => {
  if ((command.script ?? '').trim() !== '') return undefined;
  if (command.script_object !== undefined && command.script_object !== '')
    return refuse(
      EXIT.noScript,
      `skipped: script objects are not supported by this agent (script_object ${command.script_object}); nothing ran`,
    );
  return refuse(EXIT.noScript, 'skipped: the command has no script to run; nothing ran');
};

const WINDOWS_ONLY_SHELLS = ['powershell', 'cmd'];

const platformGate = (command: ExecCommand, platform: string, shells: readonly string[]): GateDecision => {
  const windows = platform === 'win32';
  if (!windows && command.run_as !== 'system')
    return refuse(EXIT.unsupported, `skipped: run_as ${command.run_as} is Windows-only`);
  if (!windows && WINDOWS_ONLY_SHELLS.includes(command.shell))
    return refuse(EXIT.unsupported, `skipped: shell ${command.shell} is Windows-only`);
  if (!shells.includes(command.shell))
    return refuse(EXIT.unsupported, `skipped: shell ${command.shell} is not installed on this agent`);
  return { run: true };
};
