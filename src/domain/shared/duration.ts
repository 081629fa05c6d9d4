// Humantime durations as operators write them in manifests: "30s", "10m", "1h30m", "2d", "1h 30m".
const UNIT_SECONDS: Readonly<Record<string, number>> = {
  s: 1,
  sec: 1,
  secs: 1,
  second: 1,
  seconds: 1,
  m: 60,
  min: 60,
  mins: 60,
  minute: 60,
  minutes: 60,
  h: 3600,
  hr: 3600,
  hrs: 3600,
  hour: 3600,
  hours: 3600,
  d: 86400,
  day: 86400,
  days: 86400,
  w: 604800,
  week: 604800,
  weeks: 604800,
};
const PART = /(\d+)\s*([a-z]+)/gy;

/** Parses a humantime duration into whole seconds; undefined when it is not one. */
export const parseDuration = (text: string): number | undefined => {
  const input = text.trim().toLowerCase();
  if (input === '') return undefined;
  let total = 0;
  let at = 0;
  PART.lastIndex = 0;
  while (at < input.length) {
    PART.lastIndex = at;
    const match = PART.exec(input);
    const unit = match?.[2] === undefined ? undefined : UNIT_SECONDS[match[2]];
    if (match === null || unit === undefined) return undefined;
    total += Number(match[1]) * unit;
    at = PART.lastIndex;
    while (input[at] === ' ') at++;
  }
  return Number.isSafeInteger(total) ? total : undefined;
};

/** Formats seconds in the canonical humantime form: largest units first, e.g. 5400 → "1h30m". */
export const formatDuration = (seconds: number): string => {
  if (seconds === 0) return '0s';
  const parts: string[] = [];
  let rest = seconds;
  for (const [unit, size] of [
    ['d', 86400],
    ['h', 3600],
    ['m', 60],
    ['s', 1],
  ] as const) {
    const n = Math.floor(rest / size);
    if (n > 0) parts.push(`${n}${unit}`);
    rest -= n * size;
  }
  return parts.join('');
};

/** Rewrites a humantime duration into its canonical form; undefined when it is not one. */
export const normalizeDuration = (text: string): string | undefined => {
  const seconds = parseDuration(text);
  return seconds === undefined ? undefined : formatDuration(seconds);
};
