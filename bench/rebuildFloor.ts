import { DeliverPolicy, jetstream } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import Database from 'better-sqlite3';
import { EVENTS_STREAM } from '../src/infra/nats/streams.ts';
import { processResources } from './machine.ts';

/**
 * The floor for a rebuild, in a process of its own: the same messages consumed with the same client
 * library and the same pull size, inserted as raw rows (sequence, subject, body) into a fresh SQLite
 * file in transactions of `batch` rows, with the pragmas kanade's bulk load uses. No decoding into
 * events, no projection logic: what reading the stream into SQLite costs at the least. Prints one JSON line.
 */
export const rebuildFloorWorker = async (options: { natsUrl: string; file: string; batch?: number }): Promise<void> => {
  const batch = options.batch ?? 10_000;
  const nc = await connect({ servers: options.natsUrl });
  const js = jetstream(nc);
  const sqlite = new Database(options.file);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = OFF');
  sqlite.pragma('cache_size = -65536');
  sqlite.exec('CREATE TABLE raw (seq INTEGER PRIMARY KEY, subject TEXT NOT NULL, body BLOB NOT NULL)');
  const insert = sqlite.prepare('INSERT INTO raw (seq, subject, body) VALUES (?, ?, ?)');
  const write = sqlite.transaction((rows: [number, string, Uint8Array][]) => {
    for (const row of rows) insert.run(row);
  });
  const started = performance.now();
  const cpu = process.cpuUsage();
  const consumer = await js.consumers.get(EVENTS_STREAM, { deliver_policy: DeliverPolicy.All });
  const messages = await consumer.consume({ max_messages: 500 });
  let rows: [number, string, Uint8Array][] = [];
  for await (const m of messages) {
    rows.push([m.seq, m.subject, m.data]);
    if (rows.length >= batch || m.info.pending === 0) {
      write.immediate(rows);
      rows = [];
    }
    if (m.info.pending === 0) break;
  }
  await messages.close();
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('wal_checkpoint(TRUNCATE)');
  const seconds = (performance.now() - started) / 1000;
  const count = sqlite.prepare('SELECT count(*) FROM raw').pluck().get() as number;
  sqlite.close();
  await nc.drain();
  console.log(JSON.stringify({ seconds, rows: count, ...processResources(cpu) }));
};
