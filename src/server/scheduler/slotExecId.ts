import { createHash } from 'node:crypto';
import { encodeTime } from 'ulid';

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/**
 * The exec id of one schedule slot: a ULID whose time part is the slot and whose random part comes
 * from a hash of schedule and slot. Every server derives the same id, so a slot can never have two
 * execs, and ids still sort by time like the API's.
 */
export const slotExecId = (scheduleId: string, slot: string): string => {
  const digest = createHash('sha256').update(`${scheduleId}\u0000${slot}`).digest();
  const random = Array.from(digest.subarray(0, 16), (byte) => CROCKFORD[byte % 32]).join('');
  return `${encodeTime(Date.parse(slot), 10)}${random}`;
};
