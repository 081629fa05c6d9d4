// Shows the nats-server caveat docs/architecture.md describes ("Running on a NATS cluster"): on a
// replicated stream, concurrent publishes with the same Nats-Expected-Last-Subject-Sequence can all be
// accepted, while publishes sharing a Nats-Msg-Id are stored once. Spawns a throwaway three-server
// cluster: node scripts/clusterCasRace.ts [rounds] [writers]
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { startTestNatsCluster } from '../src/testing/natsCluster.ts';

const rounds = Number(process.argv[2] ?? 50);
const writers = Number(process.argv[3] ?? 8);
const cluster = await startTestNatsCluster(3);
const nc = await cluster.connect();
try {
  const jsm = await jetstreamManager(nc);
  const js = jetstream(nc);
  await jsm.streams.add({ name: 'CAS_RACE', subjects: ['cas.>'], num_replicas: 3 });
  let racedRounds = 0;
  let accepted = 0;
  let storedWithOneId = 0;
  for (let round = 0; round < rounds; round++) {
    const first = await js.publish(`cas.expected.${round}`, 'first');
    const conditional = await Promise.allSettled(
      Array.from({ length: writers }, (_, i) =>
        js.publish(`cas.expected.${round}`, `w${i}`, { expect: { lastSubjectSequence: first.seq } }),
      ),
    );
    const ok = conditional.filter((r) => r.status === 'fulfilled').length;
    accepted += ok;
    if (ok > 1) racedRounds++;
    await Promise.allSettled(
      Array.from({ length: writers }, (_, i) =>
        js.publish(`cas.msgid.${round}`, `w${i}`, { msgID: `round-${round}`, expect: { lastSubjectSequence: 0 } }),
      ),
    );
    const info = await jsm.streams.info('CAS_RACE', { subjects_filter: `cas.msgid.${round}` });
    storedWithOneId += info.state.subjects?.[`cas.msgid.${round}`] ?? 0;
  }
  console.log(`nats-server ${nc.info?.version}, 3 servers, an R3 stream, ${writers} concurrent writers per round`);
  console.log(
    `same expected subject sequence: more than one accepted in ${racedRounds} of ${rounds} rounds (${accepted} accepted, ${rounds} would be serial)`,
  );
  console.log(`same Nats-Msg-Id: ${storedWithOneId} stored in ${rounds} rounds (one per round is exactly once)`);
  console.log(
    JSON.stringify({ rounds, writers, raced_rounds: racedRounds, accepted, stored_with_one_id: storedWithOneId }),
  );
} finally {
  await nc.close();
  await cluster.dispose();
}
