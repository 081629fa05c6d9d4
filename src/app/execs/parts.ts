// Room left in a message for the commit envelope, its headers and the other events of the commit.
const ENVELOPE_ROOM = 16 * 1024;
// In JSON, one UTF-16 unit of a string takes at most 6 bytes (`\uXXXX`).
const MAX_BYTES_PER_UNIT = 6;

/** Whether the request's JSON fits one commit (with room for the rest of the commit). */
export const fitsOneCommit = (json: string, maxPayload: number): boolean =>
  Buffer.byteLength(json) * 2 <= maxPayload - ENVELOPE_ROOM;

/**
 * Cuts a JSON text into parts that each fit a commit whatever they hold (a part is a JSON string in
 * its event: escaping can make it 6 times longer), never between the two halves of a surrogate pair.
 */
export const cutIntoParts = (json: string, maxPayload: number): string[] => {
  const size = Math.floor((maxPayload - ENVELOPE_ROOM) / MAX_BYTES_PER_UNIT);
  if (size < 1024) throw new Error(`the broker's max_payload (${maxPayload} bytes) is too small to record a request`);
  const parts: string[] = [];
  for (let at = 0; at < json.length; ) {
    let end = Math.min(at + size, json.length);
    const last = json.charCodeAt(end - 1);
    if (end < json.length && last >= 0xd800 && last <= 0xdbff) end -= 1;
    parts.push(json.slice(at, end));
    at = end;
  }
  return parts;
};
