import { RequestRejected } from './errors.ts';

/** A boolean query flag: absent → false; "", "1", "true" → true; "0", "false" → false. */
export const flag = (name: string, raw: string | undefined): boolean => {
  if (raw === undefined) return false;
  if (['', '1', 'true', 'yes'].includes(raw.toLowerCase())) return true;
  if (['0', 'false', 'no'].includes(raw.toLowerCase())) return false;
  throw new RequestRejected(400, 'bad-query', `${name} must be true or false`, [
    { path: name, message: 'must be true or false' },
  ]);
};

/** An optional integer query parameter within [min, max]. */
export const integer = (name: string, raw: string | undefined, min: number, max: number): number | undefined => {
  if (raw === undefined || raw === '') return undefined;
  const n = /^\d{1,16}$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    const message = `must be an integer from ${min} to ${max}`;
    throw new RequestRejected(400, 'bad-query', `${name} ${message}`, [{ path: name, message }]);
  }
  return n;
};

/** An optional RFC 3339 time query parameter, normalized to UTC ISO. */
export const time = (name: string, raw: string | undefined): string | undefined => {
  if (raw === undefined || raw === '') return undefined;
  const ms = Date.parse(raw);
  if (Number.isNaN(ms)) {
    const message = 'must be an RFC 3339 time such as 2026-11-22T10:00:00Z';
    throw new RequestRejected(400, 'bad-query', `${name} ${message}`, [{ path: name, message }]);
  }
  return new Date(ms).toISOString();
};
