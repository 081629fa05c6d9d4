/** The longest selector text, in UTF-8 bytes (4 KiB). */
export const MAX_SELECTOR_BYTES = 4096;

/** How deep parentheses and `not` may nest. */
export const MAX_SELECTOR_DEPTH = 64;

/** How many comparisons one selector may hold. */
export const MAX_SELECTOR_TERMS = 256;

/** The longest glob pattern (`~`), in characters: a glob costs at most this much work per character of a fact. */
export const MAX_GLOB_CHARS = 256;

/** At most this many problems are listed for one selector. */
export const MAX_SELECTOR_ISSUES = 100;

/** How many UTF-8 bytes the character at `i` takes, and how many UTF-16 units it spans. */
const utf8At = (text: string, i: number): [bytes: number, width: number] => {
  const c = text.charCodeAt(i);
  if (c < 0x80) return [1, 1];
  if (c < 0x800) return [2, 1];
  const next = text.charCodeAt(i + 1);
  const pair = c >= 0xd800 && c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff;
  return pair ? [4, 2] : [3, 1];
};

/** The UTF-8 length of a text, and the UTF-16 offset at which it first passes `max` bytes (if it does). */
export const utf8Length = (text: string, max: number): { bytes: number; over?: number } => {
  let bytes = 0;
  let over: number | undefined;
  for (let i = 0; i < text.length; ) {
    const [b, width] = utf8At(text, i);
    bytes += b;
    if (bytes > max && over === undefined) over = i;
    i += width;
  }
  return over === undefined ? { bytes } : { bytes, over };
};
