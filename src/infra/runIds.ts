import { hash } from 'node:crypto';

/** One result per (command, pc), derived rather than random, so even a re-run could not record twice. */
// crypto.hash: one call, no Hash object (every run event is checked against it when it is applied).
export const resultIdOf = (requestId: string, pcId: string): string =>
  hash('sha256', `${requestId}|${pcId}`, 'hex').slice(0, 32);

/**
 * The result id of a command an agent refused for its signature (unsigned, altered, signed for
 * another subject): distinct from the real command's, so a forgery reusing a real request id cannot
 * take the real result, and still derived, so readers can check it.
 */
export const refusedResultIdOf = (requestId: string, pcId: string): string =>
  resultIdOf(`${requestId}|unverified`, pcId);
