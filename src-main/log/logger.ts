/**
 * One scoped logger per module. Lines go to a process-wide sink: stderr by default, a log
 * file in the data folder once a program has one (see `setLogSink`).
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** A log line as handed to a sink. */
export interface LogRecord {
  readonly time: number;
  readonly level: LogLevel;
  readonly scope: string;
  readonly message: string;
  readonly fields?: Readonly<Record<string, unknown>>;
}

/** Where log lines go. */
export type LogSink = (record: LogRecord) => void;

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

let sink: LogSink = (r) => process.stderr.write(formatLogRecord(r) + '\n');
let threshold: LogLevel = (process.env.CQ_LOG_LEVEL as LogLevel | undefined) ?? 'warn';

/** Replace the process-wide sink (returns the previous one). */
export function setLogSink(next: LogSink, level?: LogLevel): LogSink {
  const previous = sink;
  sink = next;
  if (level) threshold = level;
  return previous;
}

/** One line of text for a record: ISO time, level, scope, message, fields as JSON. */
export function formatLogRecord(r: LogRecord): string {
  const fields = r.fields && Object.keys(r.fields).length > 0 ? ' ' + JSON.stringify(r.fields) : '';
  return `${new Date(r.time).toISOString()} ${r.level.toUpperCase()} [${r.scope}] ${r.message}${fields}`;
}

/** A logger bound to one module's scope. */
export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

/** Create the logger for one module (`createLogger('intake')`). */
export function createLogger(scope: string): Logger {
  const emit = (level: LogLevel, message: string, fields?: Record<string, unknown>): void => {
    if (ORDER[level] < ORDER[threshold]) return;
    sink({ time: Date.now(), level, scope, message, ...(fields ? { fields } : {}) });
  };
  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
  };
}
