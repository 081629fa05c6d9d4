import { EVENTS_SUBJECT_PREFIX } from '../nats/streams.ts';

// Subject tokens may not contain ".", "*", ">" or white space, and host names (pc ids) contain dots:
// everything outside [A-Za-z0-9_-] is percent-encoded, reversibly.
const SAFE = /^[A-Za-z0-9_-]$/;

/** Encodes any string into one NATS subject token. */
export const encodeToken = (value: string): string => {
  if (value === '') throw new Error('a subject token cannot be empty');
  let out = '';
  for (const ch of value) {
    if (SAFE.test(ch)) out += ch;
    else for (const byte of new TextEncoder().encode(ch)) out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
};

/** Decodes a token made by `encodeToken`. */
export const decodeToken = (token: string): string => decodeURIComponent(token);

/** The subject of an event-store stream named `<category>-<id>` (Emmett's convention). */
export const subjectOf = (streamName: string): string => {
  const dash = streamName.indexOf('-');
  if (dash <= 0 || dash === streamName.length - 1) {
    throw new Error(`stream name ${JSON.stringify(streamName)} is not <category>-<id>`);
  }
  const category = streamName.slice(0, dash);
  if (!/^[a-z][a-z0-9_]*$/.test(category)) throw new Error(`bad stream category ${JSON.stringify(category)}`);
  return `${EVENTS_SUBJECT_PREFIX}.${category}.${encodeToken(streamName.slice(dash + 1))}`;
};

/** The stream name of an event subject, or undefined for a subject outside the event log. */
export const streamNameOf = (subject: string): string | undefined => {
  const prefix = `${EVENTS_SUBJECT_PREFIX}.`;
  if (!subject.startsWith(prefix)) return undefined;
  const [category, token, ...rest] = subject.slice(prefix.length).split('.');
  if (category === undefined || token === undefined || rest.length > 0) return undefined;
  return `${category}-${decodeToken(token)}`;
};
