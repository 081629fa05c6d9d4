/**
 * The one encoding of identifiers (pc ids, above all: host names with dots, `DOMAIN\host`, Unicode)
 * into what every NATS and file-system component accepts: a subject token (no `.`, `*`, `>`, white
 * space), a KV key (`[-/_=.A-Za-z0-9]`), an object or file name (no `/`, no `..`). Letters, digits, `_`
 * and `-` stay as they are; every other UTF-8 byte becomes `=XX` (upper-case hex). Reversible.
 */
const LITERAL = /^[A-Za-z0-9_-]$/;
const utf8 = new TextEncoder();
const hex = (byte: number) => byte.toString(16).toUpperCase().padStart(2, '0');

/** Encodes a non-empty string into one token of the safe alphabet `[A-Za-z0-9_=-]`. */
export const encodeId = (value: string): string => {
  if (value === '') throw new Error('an identifier cannot be empty');
  let out = '';
  for (const ch of value) {
    if (LITERAL.test(ch)) out += ch;
    else for (const byte of utf8.encode(ch)) out += `=${hex(byte)}`;
  }
  return out;
};

/**
 * Decodes a token made by `encodeId`. Tokens written before this encoding used `%XX` for the same
 * bytes (recorded subjects never change), so both escapes are read; anything else is refused.
 */
export const decodeId = (token: string): string => {
  const bytes: number[] = [];
  for (let i = 0; i < token.length; ) {
    const ch = token[i] as string;
    if (ch === '=' || ch === '%') {
      const pair = token.slice(i + 1, i + 3);
      if (!/^[0-9A-Fa-f]{2}$/.test(pair)) throw new Error(`bad escape in encoded identifier ${JSON.stringify(token)}`);
      bytes.push(Number.parseInt(pair, 16));
      i += 3;
    } else if (LITERAL.test(ch)) {
      bytes.push(ch.charCodeAt(0));
      i += 1;
    } else throw new Error(`character ${JSON.stringify(ch)} cannot occur in an encoded identifier`);
  }
  return new TextDecoder('utf-8', { fatal: true }).decode(new Uint8Array(bytes));
};
