export type { Handled } from './commandHandling.ts';
export { commandHandlerFor } from './commandHandling.ts';
export type { CommitContext, RecordedEvent, StoredEvent } from './envelope.ts';
export { decodeCommit, encodeCommit } from './envelope.ts';
export type {
  JetStreamEventStore,
  KanadeAppendOptions,
  KanadeAppendResult,
  KanadeReadMetadata,
} from './jetStreamEventStore.ts';
export { jetStreamEventStore } from './jetStreamEventStore.ts';
export { readCommits } from './readCommits.ts';
export type { StateCache } from './stateCache.ts';
export { stateCache } from './stateCache.ts';
export { decodeToken, encodeToken, streamNameOf, subjectOf, subjectParts } from './subjects.ts';
