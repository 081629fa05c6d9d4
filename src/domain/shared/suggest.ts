/** Edit distance between two short strings, a swap of two neighbours counting as one edit (`shel`, `exce`). */
const distance = (a: string, b: string): number => {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  const at = (i: number, j: number) => d[i]?.[j] ?? 0;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, at(i - 2, j - 2) + 1);
      (d[i] as number[])[j] = best;
    }
  }
  return at(a.length, b.length);
};

/**
 * The known word closest to a mistyped one ("did you mean …?"), when it is close enough to be a
 * typo: at most a third of its letters off (and at most 3), or the typed word is a prefix of it.
 */
export const closest = (typed: string, known: readonly string[]): string | undefined => {
  const lower = typed.toLowerCase();
  let best: { word: string; d: number } | undefined;
  for (const word of known) {
    const d = distance(lower, word.toLowerCase());
    if (best === undefined || d < best.d) best = { word, d };
  }
  if (best === undefined || best.d === 0) return undefined;
  const limit = Math.min(3, Math.max(1, Math.floor(typed.length / 3)));
  if (best.d <= limit) return best.word;
  return known.find((w) => lower.length >= 3 && w.toLowerCase().startsWith(lower));
};
