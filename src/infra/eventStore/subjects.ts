import { decodeId, encodeId } from '../../domain/shared/index.ts';
import { EVENTS_SUBJECT_PREFIX } from '../nats/streams.ts';

/** Encodes any non-empty string into one NATS subject token (see `encodeId`). */
export const encodeToken = encodeId;

/** Decodes a token made by `encodeToken` (and the `%XX` tokens recorded before it). */
export const decodeToken = decodeId;

/**
 * The subject of an event-store stream named `<category>-<id>` (Emmett's convention). An id of
 * several parts, `a/b`, takes one token per part (`run-<pc>/<result>` → `kanade.ev.run.<pc>.<result>`),
 * so a broker permission can name the first part: an agent may write only runs under its own pc.
 */
export const subjectOf = (streamName: string): string => {
  const dash = streamName.indexOf('-');
  if (dash <= 0 || dash === streamName.length - 1) {
    throw new Error(`stream name ${JSON.stringify(streamName)} is not <category>-<id>`);
  }
  const category = streamName.slice(0, dash);
  if (!/^[a-z][a-z0-9_]*$/.test(category)) throw new Error(`bad stream category ${JSON.stringify(category)}`);
  const tokens = streamName
    .slice(dash + 1)
    .split('/')
    .map((part) => encodeToken(part));
  return `${EVENTS_SUBJECT_PREFIX}.${category}.${tokens.join('.')}`;
};

/** The stream name of an event subject, or undefined for a subject outside the event log. */
export const streamNameOf = (subject: string): string | undefined => {
  const parts = subjectParts(subject);
  return parts === undefined ? undefined : `${parts.category}-${parts.id.join('/')}`;
};

/** The category and decoded id parts of an event subject, or undefined when it is not one. */
export const subjectParts = (subject: string): { category: string; id: string[] } | undefined => {
  const prefix = `${EVENTS_SUBJECT_PREFIX}.`;
  if (!subject.startsWith(prefix)) return undefined;
  const [category, ...tokens] = subject.slice(prefix.length).split('.');
  if (category === undefined || tokens.length === 0 || tokens.length > 2) return undefined;
  try {
    return { category, id: tokens.map((t) => decodeToken(t)) };
  } catch {
    return undefined;
  }
};
