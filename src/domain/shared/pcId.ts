/** A pc id is the agent's identity (usually its host name): printable, no spaces, at most 253 characters. */
export const PC_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,252}$/;

/** True when `id` is a valid pc id. */
export const isPcId = (id: string): boolean => PC_ID_PATTERN.test(id);
