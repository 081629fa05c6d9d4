import { canonicalJson } from './canonical.ts';

/** Top-level keys, and the keys of nested objects, whose values differ between two manifests. */
export const changedPaths = (before: object, after: object): string[] => {
  const changed: string[] = [];
  const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
  for (const key of [...keys].sort()) {
    const a = (before as Record<string, unknown>)[key];
    const b = (after as Record<string, unknown>)[key];
    if (canonicalJson(a) === canonicalJson(b)) continue;
    if (isPlainObject(a) && isPlainObject(b)) {
      const inner = new Set([...Object.keys(a), ...Object.keys(b)]);
      for (const k of [...inner].sort()) {
        if (canonicalJson(a[k]) !== canonicalJson(b[k])) changed.push(`${key}.${k}`);
      }
    } else {
      changed.push(key);
    }
  }
  return changed;
};

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v);
