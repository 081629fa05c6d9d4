/** Severity of a log line. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** A minimal structured logger: one line per record on stderr, so stdout stays data. */
export type Logger = {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  child(component: string): Logger;
};

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** A level that can change while the logger runs (an agent's config sets it); children share it. */
export type LevelHolder = { level: LogLevel };

/** Creates a logger writing `time level component message key=value…` lines at or above `level`. */
export const createLogger = (
  component: string,
  level: LogLevel | LevelHolder = 'info',
  write: (line: string) => void = (line) => process.stderr.write(`${line}\n`),
): Logger => {
  const holder = typeof level === 'string' ? { level } : level;
  const emit = (at: LogLevel) => (msg: string, fields?: Record<string, unknown>) => {
    if (ORDER[at] < ORDER[holder.level]) return;
    const extra = fields === undefined ? '' : ` ${formatFields(fields)}`;
    write(`${new Date().toISOString()} ${at.toUpperCase().padEnd(5)} ${component}: ${msg}${extra}`);
  };
  return {
    debug: emit('debug'),
    info: emit('info'),
    warn: emit('warn'),
    error: emit('error'),
    child: (name) => createLogger(`${component}/${name}`, holder, write),
  };
};

/** A logger that drops everything (tests, benchmarks). */
export const silentLogger: Logger = createLogger('silent', 'error', () => {});

const formatFields = (fields: Record<string, unknown>): string =>
  Object.entries(fields)
    .map(([k, v]) => `${k}=${v instanceof Error ? JSON.stringify(v.message) : JSON.stringify(v)}`)
    .join(' ');
