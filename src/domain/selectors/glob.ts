/** True when `segment` (`?` is any one character) matches `value` at `at`; the caller checks it fits. */
const matchesAt = (value: string, segment: string, at: number): boolean => {
  for (let i = 0; i < segment.length; i++) {
    const c = segment[i];
    if (c !== '?' && value[at + i] !== c) return false;
  }
  return true;
};

/**
 * The first place at or after `from` where `segment` (holding a `?`) matches and ends by `end`, or
 * -1: bit-parallel (shift-and), so each character of the value costs one step per 32 characters of
 * the segment, whatever the value holds.
 */
const findWild = (value: string, segment: string, from: number, end: number): number => {
  const words = Math.ceil(segment.length / 32);
  const any = new Uint32Array(words);
  for (let i = 0; i < segment.length; i++)
    if (segment[i] === '?') any[i >>> 5] = (any[i >>> 5] as number) | (1 << (i & 31));
  const masks = new Map<string, Uint32Array>();
  for (let i = 0; i < segment.length; i++) {
    const c = segment[i] as string;
    if (c === '?') continue;
    const mask = masks.get(c) ?? any.slice();
    mask[i >>> 5] = (mask[i >>> 5] as number) | (1 << (i & 31));
    masks.set(c, mask);
  }
  const state = new Uint32Array(words);
  const last = segment.length - 1;
  for (let at = from; at < end; at++) {
    const mask = masks.get(value[at] as string) ?? any;
    let carry = 1;
    for (let w = 0; w < words; w++) {
      const word = state[w] as number;
      state[w] = ((word << 1) | carry) & (mask[w] as number);
      carry = word >>> 31;
    }
    if (((state[last >>> 5] as number) & (1 << (last & 31))) !== 0) return at - last;
  }
  return -1;
};

/** The first place at or after `from` where `segment` matches and ends by `end`, or -1. */
const find = (value: string, segment: string, from: number, end: number): number => {
  if (segment.includes('?')) return findWild(value, segment, from, end);
  const at = value.indexOf(segment, from);
  return at !== -1 && at + segment.length <= end ? at : -1;
};

/**
 * Whether `value` matches the glob `pattern` as a whole: `*` is any run of characters (none too),
 * `?` exactly one UTF-16 unit, every other character itself (case matters; there is no escape).
 * No backtracking: the parts between stars are found leftmost-first, each once, which is exact for
 * globs; a part with `?` is searched bit-parallel, so the cost is linear in the value's length
 * (times one step per 32 characters of the pattern).
 */
export const globMatch = (pattern: string, value: string): boolean => {
  const parts = pattern.split('*');
  const first = parts[0] as string;
  if (parts.length === 1) return value.length === first.length && matchesAt(value, first, 0);
  const last = parts[parts.length - 1] as string;
  const end = value.length - last.length;
  if (first.length > end || !matchesAt(value, first, 0) || !matchesAt(value, last, end)) return false;
  let at = first.length;
  for (const part of parts.slice(1, -1)) {
    if (part === '') continue;
    const found = find(value, part, at, end);
    if (found === -1) return false;
    at = found + part.length;
  }
  return true;
};
