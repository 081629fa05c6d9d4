/** One sample of the Prometheus text format: `name{label="value",…} 1.5`. */
export type Sample = { name: string; labels: Record<string, string>; value: number };

/** A metric family: its `# TYPE`, its `# HELP`, and its samples (a histogram's `_bucket`, `_sum`, `_count`). */
export type Family = { name: string; type: string; help: string; samples: Sample[] };

// Bounds on what a test scrapes: a runaway exposition is a failure, not something to chew through.
const MAX_BYTES = 8 * 1024 * 1024;
const MAX_LINE = 64 * 1024;

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*/;
const SUFFIXES = ['_bucket', '_sum', '_count', '_total', '_created'];

/**
 * Parses the Prometheus text exposition format (version 0.0.4) into families by name. Every line is
 * either a comment, `# HELP`, `# TYPE`, blank, or a sample; anything else is an error naming the line.
 */
export const parseExposition = (text: string): Map<string, Family> => {
  if (text.length > MAX_BYTES) throw new Error(`exposition is over ${MAX_BYTES} bytes`);
  const families = new Map<string, Family>();
  const family = (name: string) => {
    let f = families.get(name);
    if (f === undefined) {
      f = { name, type: 'untyped', help: '', samples: [] };
      families.set(name, f);
    }
    return f;
  };
  text.split('\n').forEach((line, i) => {
    const where = `line ${i + 1}`;
    if (line.length > MAX_LINE) throw new Error(`${where}: longer than ${MAX_LINE} characters`);
    if (line.trim() === '') return;
    const meta = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(line);
    if (meta !== null) {
      const [, kind, name = '', rest = ''] = meta;
      if (kind === 'TYPE') family(name).type = rest;
      else family(name).help = rest.replace(/\\n/g, '\n').replace(/\\\\/g, '\\');
      return;
    }
    if (line.startsWith('#')) return; // a plain comment
    const sample = parseSample(line, where);
    family(familyOf(sample.name, families)).samples.push(sample);
  });
  return families;
};

// `foo_bucket` belongs to the family `foo` when `foo` was declared (histograms, summaries).
const familyOf = (sampleName: string, families: Map<string, Family>): string => {
  for (const suffix of SUFFIXES) {
    if (!sampleName.endsWith(suffix)) continue;
    const base = sampleName.slice(0, -suffix.length);
    if (families.has(base) && !families.has(sampleName)) return base;
  }
  return sampleName;
};

const parseSample = (line: string, where: string): Sample => {
  const name = NAME.exec(line)?.[0];
  if (name === undefined) throw new Error(`${where}: no metric name in ${JSON.stringify(line)}`);
  let rest = line.slice(name.length);
  const labels: Record<string, string> = {};
  if (rest.startsWith('{')) {
    rest = rest.slice(1);
    while (!rest.startsWith('}')) {
      const label = LABEL_NAME.exec(rest)?.[0];
      if (label === undefined || rest[label.length] !== '=' || rest[label.length + 1] !== '"')
        throw new Error(`${where}: bad label in ${JSON.stringify(line)}`);
      const { value, length } = quoted(rest.slice(label.length + 2), where);
      labels[label] = value;
      rest = rest.slice(label.length + 2 + length);
      if (rest.startsWith(',')) rest = rest.slice(1);
      else if (!rest.startsWith('}')) throw new Error(`${where}: expected , or } in ${JSON.stringify(line)}`);
    }
    rest = rest.slice(1);
  }
  const [value, timestamp, extra] = rest.trim().split(/\s+/);
  if (value === undefined || extra !== undefined || (timestamp !== undefined && !/^-?\d+$/.test(timestamp)))
    throw new Error(`${where}: expected a value (and an optional timestamp) in ${JSON.stringify(line)}`);
  return { name, labels, value: numberOf(value, where) };
};

// A label value up to its closing quote, with \\, \" and \n escapes.
const quoted = (text: string, where: string): { value: string; length: number } => {
  let value = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') return { value, length: i + 1 };
    if (c === '\\') {
      const next = text[++i];
      if (next === 'n') value += '\n';
      else if (next === '\\' || next === '"') value += next;
      else throw new Error(`${where}: bad escape \\${next ?? ''} in a label value`);
    } else value += c;
  }
  throw new Error(`${where}: a label value is not closed`);
};

// Like Prometheus' own parser (Go's ParseFloat): Inf and NaN in any case (prom-client writes `Nan`).
const numberOf = (text: string, where: string): number => {
  const lower = text.toLowerCase();
  if (lower === '+inf' || lower === 'inf') return Number.POSITIVE_INFINITY;
  if (lower === '-inf') return Number.NEGATIVE_INFINITY;
  if (lower === 'nan') return Number.NaN;
  const n = Number(text);
  if (text === '' || Number.isNaN(n)) throw new Error(`${where}: ${JSON.stringify(text)} is not a number`);
  return n;
};

/** The samples of `family` named `name` (default: the family's own name) whose labels include `labels`. */
export const samplesOf = (
  families: Map<string, Family>,
  family: string,
  labels: Record<string, string> = {},
  name = family,
): Sample[] => {
  const f = families.get(family);
  if (f === undefined) throw new Error(`no metric family ${family}`);
  return f.samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
};

/** The value of the one sample matching; throws when there is none or more than one. */
export const sampleValue = (
  families: Map<string, Family>,
  family: string,
  labels: Record<string, string> = {},
  name = family,
): number => {
  const found = samplesOf(families, family, labels, name);
  if (found.length !== 1)
    throw new Error(`${found.length} samples of ${name} with ${JSON.stringify(labels)}, expected exactly one`);
  return (found[0] as Sample).value;
};
