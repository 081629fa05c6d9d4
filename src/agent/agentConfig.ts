import type { KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import {
  AGENT_LOG_LEVELS,
  type AgentSettings,
  type ConfigManifest,
  type ConfigSettings,
  configKey,
  type EffectiveValue,
  effectiveConfig,
  settingsOf,
} from '../domain/config/index.ts';
import { canonicalJson, isGroupName, parseDuration } from '../domain/shared/index.ts';
import type { Logger } from '../infra/log.ts';
import { VIEWS } from '../infra/nats/fleet.ts';
import { followKey } from './followKey.ts';
import { verifiedView } from './views.ts';

/**
 * A layer as an agent reads it from KV: the server signed it, but an agent believes no value blindly.
 * Each setting is kept only when it has the right type and bounds; the rest is dropped (and the
 * agent's own setting stays), so one odd value never stops the others.
 */
export const readLayer = (json: string, expected: Pick<ConfigManifest, 'layer'>): ConfigManifest | undefined => {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    return undefined;
  }
  if (!isRecord(parsed) || parsed.layer !== expected.layer || !isRecord(parsed.settings)) return undefined;
  const settings = saneSettings(parsed.settings);
  if (parsed.layer === 'global') return { id: 'global', layer: 'global', settings };
  if (parsed.layer === 'group' && typeof parsed.group === 'string' && isGroupName(parsed.group)) {
    const priority = typeof parsed.priority === 'number' && Number.isInteger(parsed.priority) ? parsed.priority : 0;
    return { id: `group/${parsed.group}`, layer: 'group', group: parsed.group, priority, settings };
  }
  if (parsed.layer === 'pc' && typeof parsed.pc === 'string')
    return { id: `pc/${parsed.pc}`, layer: 'pc', pc: parsed.pc, settings };
  return undefined;
};

const isRecord = (x: unknown): x is Record<string, unknown> => x !== null && typeof x === 'object' && !Array.isArray(x);
const isDuration = (x: unknown, minSecs: number): x is string =>
  typeof x === 'string' && (parseDuration(x) ?? -1) >= minSecs;

const saneSettings = (s: Record<string, unknown>): ConfigSettings => {
  const out: Record<string, unknown> = {};
  if (isDuration(s.heartbeat, 1)) out.heartbeat = s.heartbeat;
  if (isDuration(s.facts_interval, 10)) out.facts_interval = s.facts_interval;
  if (isDuration(s.facts_jitter, 0)) out.facts_jitter = s.facts_jitter;
  if (typeof s.max_concurrent === 'number' && Number.isInteger(s.max_concurrent) && s.max_concurrent >= 1)
    out.max_concurrent = Math.min(s.max_concurrent, 1_024);
  if ((AGENT_LOG_LEVELS as readonly unknown[]).includes(s.log_level)) out.log_level = s.log_level;
  if (isRecord(s.staleness) && ['cached', 'unchecked'].includes(String(s.staleness.mode)))
    out.staleness = { mode: s.staleness.mode };
  if (isRecord(s.staleness) && s.staleness.mode === 'strict' && isDuration(s.staleness.max_cache_age, 1))
    out.staleness = { mode: 'strict', max_cache_age: s.staleness.max_cache_age };
  if (typeof s.agent_version === 'string' && s.agent_version.length <= 64) out.agent_version = s.agent_version;
  return out as ConfigSettings;
};

/**
 * Follows the config layers that apply to this agent — the global one, each of its groups', its own
 * PC's — and calls `onChange` with the effective settings whenever they change.
 * `defaults` are the agent's own settings (its flags): what no layer sets. Only values the server
 * signed count; a layer that is deleted, unreadable or unsigned no longer applies.
 */
export const followConfig = (deps: {
  nc: NatsConnection;
  kv: KV;
  trusted: () => readonly string[];
  pcId: string;
  groups: readonly string[];
  defaults: AgentSettings;
  onChange: (settings: AgentSettings, values: readonly EffectiveValue[]) => void;
  log: Logger;
  signal: AbortSignal;
}) => {
  const layers = new Map<string, ConfigManifest>(); // by KV key
  const followers = new Map<string, { stop: AbortController; done: Promise<void> }>();
  let groups = [...deps.groups];
  let applied = canonicalJson(deps.defaults); // what the agent runs with until a layer says otherwise

  const recompute = () => {
    const values = effectiveConfig(
      {
        global: layers.get('global'),
        groups: groups.flatMap((g) => layers.get(configKey({ layer: 'group', group: g })) ?? []),
        pc: layers.get(configKey({ layer: 'pc', pc: deps.pcId })),
      },
      groups,
      deps.defaults,
    );
    const settings = settingsOf(values);
    const text = canonicalJson(settings);
    if (text === applied) return;
    applied = text;
    deps.onChange(settings, values);
  };

  const follow = (key: string, layer: ConfigManifest['layer']) => {
    if (followers.has(key)) return;
    const stop = new AbortController();
    const signal = AbortSignal.any([deps.signal, stop.signal]);
    const done = followKey({
      nc: deps.nc,
      kv: deps.kv,
      bucket: VIEWS.config,
      key,
      log: deps.log,
      signal,
      onValue: (stored) => {
        if (signal.aborted) return;
        const view = verifiedView(deps.trusted, VIEWS.config, key, stored);
        if (view.kind === 'unverified') deps.log.warn('ignored a config layer not signed by the server', { key });
        const manifest = view.kind === 'signed' ? readLayer(view.value, { layer }) : undefined;
        if (manifest === undefined) layers.delete(key);
        else layers.set(key, manifest);
        recompute();
      },
    });
    followers.set(key, { stop, done });
  };

  const followGroups = () => {
    const wanted = new Set(groups.map((g) => configKey({ layer: 'group', group: g })));
    for (const [key, f] of followers)
      if (key.startsWith('group.') && !wanted.has(key)) {
        f.stop.abort();
        followers.delete(key);
        layers.delete(key);
      }
    for (const g of groups) follow(configKey({ layer: 'group', group: g }), 'group');
  };

  follow('global', 'global');
  follow(configKey({ layer: 'pc', pc: deps.pcId }), 'pc');
  followGroups();
  return {
    /** The agent's groups changed: follow the layers of the new ones, drop the others. */
    setGroups: (next: readonly string[]) => {
      groups = [...next];
      followGroups();
      recompute();
    },
    done: async () => {
      while (followers.size > 0) {
        const all = [...followers.values()];
        followers.clear();
        await Promise.allSettled(all.map((f) => f.done));
      }
    },
  };
};

/** A duration setting in milliseconds (the settings were checked: a fallback only guards the type). */
export const durationMs = (d: string, fallbackMs: number): number => {
  const secs = parseDuration(d);
  return secs === undefined ? fallbackMs : secs * 1000;
};
