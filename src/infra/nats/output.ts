import { createHash } from 'node:crypto';
import { DeliverPolicy, type JetStreamClient } from '@nats-io/jetstream';
import { headers } from '@nats-io/transport-node';
import { OUTPUT_STREAM } from './fleet.ts';
import { outputSubject } from './subjects.ts';

/** Where a run's large output is: its chunks on the run's output subject, and what they must add up to. */
export type OutputRef = { chunks: number; bytes: number; sha256: string };

/** Chunks stay well under NATS' 1 MB message limit. */
const CHUNK_BYTES = 256 * 1024;
const CHUNK_HEADER = 'Kanade-Chunk';
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/**
 * Publishes one output stream of a run in chunks, each acknowledged by JetStream. Message ids make a
 * retry inside the duplicate window a no-op; a later retry stores chunks again, which readers drop
 * (they take each chunk index once and check the digest).
 */
export const publishOutput = async (
  js: JetStreamClient,
  run: { pc_id: string; result_id: string },
  stream: 'stdout' | 'stderr',
  text: string,
  /** Unguessable and fixed per result (message ids are deduplicated across the whole stream). */
  nonce: string,
): Promise<OutputRef> => {
  const bytes = new TextEncoder().encode(text);
  const subject = outputSubject(run.pc_id, run.result_id, stream);
  const chunks = Math.max(1, Math.ceil(bytes.length / CHUNK_BYTES));
  for (let i = 0; i < chunks; i++) {
    const h = headers();
    h.set(CHUNK_HEADER, `${i}/${chunks}`);
    await js.publish(subject, bytes.subarray(i * CHUNK_BYTES, (i + 1) * CHUNK_BYTES), {
      msgID: `${nonce}:${stream}:${i}`,
      headers: h,
    });
  }
  return { chunks, bytes: bytes.length, sha256: sha256(bytes) };
};

/** Reads an output stream back; a note in brackets when it is incomplete or does not match its digest. */
export const readOutput = async (
  js: JetStreamClient,
  run: { pc_id: string; result_id: string },
  stream: 'stdout' | 'stderr',
  ref: OutputRef,
): Promise<string> => {
  if (
    !Number.isInteger(ref.chunks) ||
    ref.chunks < 1 ||
    ref.chunks > 64 ||
    !Number.isInteger(ref.bytes) ||
    ref.bytes < 0
  )
    return `[kanade: ${stream} has an impossible size (${ref.chunks} chunks, ${ref.bytes} bytes)]`;
  return readChunks(js, run, stream, ref);
};

const readChunks = async (
  js: JetStreamClient,
  run: { pc_id: string; result_id: string },
  stream: 'stdout' | 'stderr',
  ref: OutputRef,
): Promise<string> => {
  const subject = outputSubject(run.pc_id, run.result_id, stream);
  const parts = new Map<number, Uint8Array>();
  const consumer = await js.consumers.get(OUTPUT_STREAM, {
    filter_subjects: subject,
    deliver_policy: DeliverPolicy.All,
  });
  const messages = await consumer.fetch({ max_messages: ref.chunks * 2 + 8, expires: 2_000 });
  for await (const m of messages) {
    const [index, total] = (m.headers?.get(CHUNK_HEADER) ?? '').split('/').map(Number);
    if (total === ref.chunks && index !== undefined && !parts.has(index)) parts.set(index, m.data);
    if (parts.size === ref.chunks || m.info.pending === 0) break;
  }
  if (parts.size !== ref.chunks)
    return `[kanade: ${stream} is incomplete: ${parts.size} of ${ref.chunks} chunks found]`;
  const whole = new Uint8Array(ref.bytes);
  let at = 0;
  for (let i = 0; i < ref.chunks; i++) {
    const part = parts.get(i) as Uint8Array;
    if (at + part.length > ref.bytes) return `[kanade: ${stream} does not match the size its result recorded]`;
    whole.set(part, at);
    at += part.length;
  }
  if (at !== ref.bytes || sha256(whole) !== ref.sha256)
    return `[kanade: ${stream} does not match the digest its result recorded]`;
  return new TextDecoder().decode(whole);
};
