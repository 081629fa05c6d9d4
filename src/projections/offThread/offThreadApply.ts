import type { JsMsg } from '@nats-io/jetstream';
import type { RecordedEvent } from '../../infra/eventStore/index.ts';
import type { Logger } from '../../infra/log.ts';
import { enrichOrSkip } from '../applyBatch.ts';
import { decodeMessage } from '../decode.ts';
import type { BatchRequest, OffThreadSet } from './protocol.ts';
import { startWriterThread } from './writerThread.ts';

/** What a pass over the stream with a writer thread needs from its runner. */
export type OffThreadPass = {
  file: string;
  set: OffThreadSet;
  batchSize: number;
  log: Logger;
  position: () => number;
  /** Called, in order, after each batch is committed by the writer thread. */
  committed: (lastSeq: number) => void;
  /** Told of each message received (receiving is progress, for the stall watch). */
  received: (seq: number) => void;
  /** Told whether batches are being written (a long batch is not a stalled consumer). */
  busy: (writing: boolean) => void;
  enrich?: (events: RecordedEvent[]) => Promise<void>;
  stopAt: number | undefined;
  aborted: () => boolean;
};

// Batches sent but not yet committed: one being written while the next is read from NATS.
const IN_FLIGHT = 2;

// Bodies a batch carries at most, whatever its message count (a commit may be close to 1 MiB).
const BATCH_BYTES = 64 * 2 ** 20;

// Only a RunFinished can carry output kept elsewhere; its body names the reference.
const RUN_SUBJECT = 'kanade.ev.run.';
const mayNeedEnrich = (m: JsMsg): boolean => {
  if (!m.subject.startsWith(RUN_SUBJECT)) return false;
  const body = Buffer.from(m.data.buffer, m.data.byteOffset, m.data.byteLength);
  return body.indexOf('_output"') >= 0 || body.indexOf('_object"') >= 0;
};

/**
 * Applies messages through a writer thread: this thread reads NATS and copies each body once; the
 * writer decodes, projects and writes, one batch behind. Position moves only when a batch is
 * committed, so a failure is retried from the checkpoint like any other.
 */
export const applyOffThread = async (messages: AsyncIterable<JsMsg>, pass: OffThreadPass): Promise<void> => {
  const thread = startWriterThread({ file: pass.file, set: pass.set, batchSize: pass.batchSize });
  const inFlight: Promise<void>[] = [];
  let failure: Error | undefined;
  let writing = 0;
  let queued = pass.position();
  let batch = newBatch(queued);
  const send = () => {
    const request = seal(batch, queued);
    batch = newBatch(queued);
    writing++;
    pass.busy(true);
    const written = () => {
      writing--;
      pass.busy(writing > 0);
    };
    inFlight.push(
      thread
        .apply(request)
        .finally(written)
        .then(
          (reply) => {
            for (const s of reply.skipped)
              pass.log.error('a commit cannot be applied; recorded and skipped', { seq: s.seq, error: s.error });
            pass.committed(reply.lastSeq);
          },
          (error: Error) => {
            failure ??= error;
          },
        ),
    );
  };
  try {
    for await (const m of messages) {
      if (m.seq <= queued) continue;
      pass.received(m.seq);
      if (pass.enrich !== undefined && mayNeedEnrich(m)) await addEnriched(batch, m, pass.enrich);
      else add(batch, m);
      queued = m.seq;
      const atStop = pass.stopAt !== undefined && m.seq >= pass.stopAt;
      if (batch.seqs.length >= pass.batchSize || batch.bytes >= BATCH_BYTES || m.info.pending === 0 || atStop) {
        send();
        if (inFlight.length >= IN_FLIGHT) await inFlight.shift();
      }
      if (failure !== undefined) throw failure;
      if (atStop || pass.aborted()) break;
    }
    if (batch.seqs.length > 0) send();
  } finally {
    await Promise.all(inFlight);
    await thread.close();
  }
  if (failure !== undefined) throw failure;
};

type Batch = Omit<BatchRequest, 'lastSeq' | 'ends' | 'bodies'> & { bodies: Uint8Array[]; bytes: number };

const newBatch = (afterSeq: number): Batch => ({
  afterSeq,
  subjects: [],
  seqs: [],
  bodies: [],
  bytes: 0,
  decoded: {},
  skip: {},
});

// A message as it came: the writer thread decodes it.
const add = (batch: Batch, m: JsMsg): void => {
  batch.subjects.push(m.subject);
  batch.seqs.push(m.seq);
  batch.bodies.push(m.data);
  batch.bytes += m.data.byteLength;
};

// A message completed here (its output read back from the output stream), sent as its events.
const addEnriched = async (
  batch: Batch,
  m: JsMsg,
  enrich: (events: RecordedEvent[]) => Promise<void>,
): Promise<void> => {
  const events = decodeMessage(m);
  const reason = (await enrichOrSkip(enrich, events)).get(m.seq);
  const i = batch.seqs.length;
  batch.subjects.push(m.subject);
  batch.seqs.push(m.seq);
  batch.bodies.push(new Uint8Array(0));
  batch.decoded[i] = events;
  if (reason !== undefined) batch.skip[i] = reason;
};

// One buffer for every body, copied once and transferred (not copied again) to the writer thread.
const seal = (batch: Batch, lastSeq: number): BatchRequest => {
  const ends = new Uint32Array(batch.bodies.length);
  let total = 0;
  for (let i = 0; i < batch.bodies.length; i++) {
    total += (batch.bodies[i] as Uint8Array).byteLength;
    ends[i] = total;
  }
  // Never from Buffer's shared pool: this buffer is transferred (detached) to the writer thread.
  const bodies = Buffer.allocUnsafeSlow(total);
  let at = 0;
  for (const body of batch.bodies) {
    bodies.set(body, at);
    at += body.byteLength;
  }
  const { bytes: _bytes, ...rest } = batch;
  return { ...rest, lastSeq, ends, bodies };
};
