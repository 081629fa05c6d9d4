import { createHash } from 'node:crypto';
import { readFileSync, statfsSync } from 'node:fs';
import { arch, cpus, networkInterfaces, platform, release, totalmem, uptime, version } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import type { JetStreamClient } from '@nats-io/jetstream';
import { monotonicFactory } from 'ulid';
import { type Facts, type FactsReported, factsProblem, factsStreamName } from '../domain/facts/index.ts';
import { canonicalJson } from '../domain/shared/index.ts';
import { encodeCommit } from '../infra/eventStore/envelope.ts';
import { subjectOf } from '../infra/eventStore/subjects.ts';
import type { Logger } from '../infra/log.ts';

const GIB = 1024 ** 3;
const nextNonce = monotonicFactory();

// `ID="debian"`, `VERSION_ID="12"` … from /etc/os-release (Linux); absent elsewhere.
const osRelease = (): Record<string, string> => {
  try {
    const text = readFileSync('/etc/os-release', 'utf8');
    return Object.fromEntries(
      text
        .split('\n')
        .map((line) => /^([A-Z_]+)=(.*)$/.exec(line.trim()))
        .filter((m): m is RegExpExecArray => m !== null)
        .map((m) => [m[1] as string, (m[2] as string).replace(/^"(.*)"$/, '$1')]),
    );
  } catch {
    return {};
  }
};

const FAMILIES: Record<string, string> = { win32: 'windows', darwin: 'macos', linux: 'linux' };

// Whole gigabytes (a byte-exact free space would change at every report).
const gb = (bytes: number) => Math.floor(bytes / GIB);

const diskOf = (path: string) => {
  try {
    const s = statfsSync(path);
    return { mount: path, size_gb: gb(s.blocks * s.bsize), free_gb: gb(s.bavail * s.bsize) };
  } catch {
    return undefined;
  }
};

/**
 * What this machine is, as facts that change only when the machine does: OS, kernel, architecture,
 * CPU, memory, the system disk, addresses, boot time (to the minute), the agent's version.
 */
export const collectFacts = (agentVersion: string, now: number): Facts => {
  const release_ = osRelease();
  const family = FAMILIES[platform()] ?? platform();
  const cpu = cpus();
  const systemDisk = diskOf(family === 'windows' ? `${process.env.SystemDrive ?? 'C:'}\\` : '/');
  const addresses = Object.values(networkInterfaces())
    .flat()
    .filter((a) => a !== undefined && !a.internal)
    .map((a) => a?.address as string)
    .sort();
  return {
    os: {
      family,
      name: release_.NAME ?? version(),
      version: release_.VERSION_ID ?? release(),
      ...(release_.ID === undefined ? {} : { id: release_.ID }),
    },
    kernel: release(),
    arch: arch(),
    cpu: { model: cpu[0]?.model.trim() ?? 'unknown', count: cpu.length },
    memory: { total_gb: Math.round((totalmem() / GIB) * 10) / 10 },
    ...(systemDisk === undefined ? {} : { disk: systemDisk }),
    ip: addresses,
    boot_time: new Date(Math.floor((now - uptime() * 1000) / 60_000) * 60_000).toISOString(),
    agent: { version: agentVersion },
  };
};

/** The SHA-256 of facts' canonical JSON. */
export const factsDigest = (facts: Facts): string => createHash('sha256').update(canonicalJson(facts)).digest('hex');

/**
 * Reports the machine's facts now and then every `intervalMs` (± `jitterMs`, so a fleet does not
 * report at once), recording a FactsReported only when they changed since the last report that
 * reached the broker. A failed report is tried again at the next interval.
 */
export const startFactsReporter = (deps: {
  js: JetStreamClient;
  pcId: string;
  agentVersion: string;
  intervalMs: number;
  jitterMs: number;
  now: () => number;
  random: () => number;
  log: Logger;
  signal: AbortSignal;
}) => {
  let reported: string | undefined;
  const report = async () => {
    const facts = collectFacts(deps.agentVersion, deps.now());
    const problem = factsProblem(facts);
    if (problem !== undefined) return deps.log.warn('facts not reported', { problem });
    const digest = factsDigest(facts);
    if (digest === reported) return;
    const event: FactsReported = { type: 'FactsReported', data: { pc_id: deps.pcId, facts, digest } };
    const at = new Date(deps.now()).toISOString();
    const commit = { id: `facts:${deps.pcId}:${digest}`, actor: `agent:${deps.pcId}`, at, via: 'agent' };
    // A random message id, as for results: a predictable one could be claimed first by another agent.
    await deps.js.publish(subjectOf(factsStreamName(deps.pcId)), encodeCommit(commit, [event]), {
      msgID: `facts:${nextNonce()}`,
    });
    reported = digest;
  };
  let { intervalMs, jitterMs } = deps;
  let wake = new AbortController();
  const loop = async () => {
    while (!deps.signal.aborted) {
      await report().catch((error: unknown) =>
        deps.log.warn('facts could not be reported; trying again at the next interval', { error }),
      );
      const spread = (deps.random() * 2 - 1) * Math.min(jitterMs, intervalMs / 2);
      const signal = AbortSignal.any([deps.signal, wake.signal]);
      await sleep(Math.max(1_000, intervalMs + spread), undefined, { signal }).catch(() => {});
      if (wake.signal.aborted) wake = new AbortController();
    }
  };
  return {
    done: loop(),
    /** Checks every `interval` ± `jitter` from now on (a config change); the next check is now. */
    reschedule: (next: { intervalMs: number; jitterMs: number }) => {
      if (next.intervalMs === intervalMs && next.jitterMs === jitterMs) return;
      ({ intervalMs, jitterMs } = next);
      wake.abort();
    },
  };
};
