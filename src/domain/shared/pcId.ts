import { encodeId } from './idEncoding.ts';

/** The longest pc id (a fully qualified host name has at most 253 characters). */
export const PC_ID_MAX_CHARS = 253;
/** The longest encoded pc id: it names files (`agent-<id>`), and file names stop at 255 bytes. */
export const PC_ID_MAX_ENCODED = 240;

/**
 * Why `id` cannot be a pc id, or undefined when it can. A pc id is the agent's identity, usually its
 * host name: FQDNs, `DOMAIN\host`, upper case and Unicode names are all fine. Refused are what no
 * component could carry safely, or what reads as something else: empty, control characters and white
 * space, `/` (a path), `*` and `>` (NATS wildcards), a leading `.` or `-` (hidden files, CLI flags).
 */
export const pcIdProblem = (id: string): string | undefined => {
  if (id === '') return 'a pc id cannot be empty';
  if ([...id].length > PC_ID_MAX_CHARS) return `a pc id has at most ${PC_ID_MAX_CHARS} characters`;
  if (/[\p{Cc}\p{Cf}\p{Z}\s]/u.test(id)) return 'a pc id cannot contain white space or control characters';
  if (/[/*>]/.test(id)) return 'a pc id cannot contain "/", "*" or ">"';
  if (id.startsWith('.') || id.startsWith('-')) return 'a pc id cannot start with "." or "-"';
  if (encodeId(id).length > PC_ID_MAX_ENCODED)
    return `this pc id is too long once encoded (${encodeId(id).length} bytes, at most ${PC_ID_MAX_ENCODED}); choose a shorter one`;
  return undefined;
};

/** True when `id` is a valid pc id. */
export const isPcId = (id: string): boolean => pcIdProblem(id) === undefined;
