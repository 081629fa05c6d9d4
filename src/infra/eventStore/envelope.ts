/** Who and what caused a commit: recorded with every event for the audit trail. */
export type CommitContext = {
  /** Idempotency key, sent as Nats-Msg-Id: a ULID, or a natural key such as `schedule:<id>:<slot>`. */
  id: string;
  /** The named API token, `agent:<pc>`, `scheduler`, … */
  actor: string;
  /** RFC 3339 UTC time of the command, taken at the edge. */
  at: string;
  /** The channel: cli, api, dashboard, ci, agent, scheduler. */
  via?: string;
  /** Groups the commits of one flow, e.g. an exec id. */
  correlationId?: string;
};

/** An event as written in a commit. `schema` starts at 1; a changed payload gets the next number and an upcaster. */
export type StoredEvent = { type: string; schema: number; data: Record<string, unknown> };

/** An event as read back: its position in the log and the context of its commit. */
export type RecordedEvent = StoredEvent & {
  /** Stream sequence of the commit: the global position. */
  seq: number;
  /** Position of the event inside its commit. */
  index: number;
  /** Event-store stream name, `<category>-<id>`. */
  stream: string;
  commitId: string;
  actor: string;
  at: string;
  via?: string;
  correlationId?: string;
};

type WireCommit = {
  id: string;
  actor: string;
  at: string;
  via?: string;
  correlation_id?: string;
  events: { type: string; schema?: number; data?: Record<string, unknown> }[];
};

/** Serializes one commit: the message body of a single JetStream publish. */
export const encodeCommit = (
  context: CommitContext,
  events: readonly { type: string; data: unknown; schema?: number }[],
): string => {
  const wire: WireCommit = {
    id: context.id,
    actor: context.actor,
    at: context.at,
    ...(context.via === undefined ? {} : { via: context.via }),
    ...(context.correlationId === undefined ? {} : { correlation_id: context.correlationId }),
    events: events.map((e) => ({ type: e.type, schema: e.schema ?? 1, data: e.data as Record<string, unknown> })),
  };
  return JSON.stringify(wire);
};

/** Reads a commit tolerantly (unknown fields ignored, defaults for missing ones) into recorded events. */
export const decodeCommit = (stream: string, seq: number, body: string): RecordedEvent[] => {
  const wire = JSON.parse(body) as Partial<WireCommit>;
  const events = Array.isArray(wire.events) ? wire.events : [];
  return events.map((e, index) => ({
    type: String(e.type),
    schema: typeof e.schema === 'number' ? e.schema : 1,
    data: e.data ?? {},
    seq,
    index,
    stream,
    commitId: String(wire.id ?? ''),
    actor: String(wire.actor ?? 'unknown'),
    at: String(wire.at ?? ''),
    ...(wire.via === undefined ? {} : { via: wire.via }),
    ...(wire.correlation_id === undefined ? {} : { correlationId: wire.correlation_id }),
  }));
};
