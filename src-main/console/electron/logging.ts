/**
 * Main-process logging through electron-log: one file, `<userData>/logs/main.log`, rotated by
 * electron-log; the project's scoped loggers (attach manager, IPC, window…) write into it, and
 * uncaught errors are recorded there instead of popping up a dialog.
 */
import path from 'node:path';
import log from 'electron-log/main';
import { setLogSink, type LogLevel, type LogRecord } from '../../log/logger.js';

/** Largest main.log before electron-log rotates it to main.old.log. */
const MAX_LOG_BYTES = 5 * 1024 * 1024;

/** The arguments one record becomes for electron-log: scope and message, then its fields. */
export function toLogArguments(record: LogRecord): unknown[] {
  const head = `[${record.scope}] ${record.message}`;
  return record.fields && Object.keys(record.fields).length > 0 ? [head, record.fields] : [head];
}

/** Route every log line of this process to `<userDataDir>/logs/main.log`. */
export function setUpMainLogging(userDataDir: string, level: LogLevel, toConsole: boolean): void {
  log.transports.file.resolvePathFn = () => path.join(userDataDir, 'logs', 'main.log');
  log.transports.file.maxSize = MAX_LOG_BYTES;
  log.transports.file.level = level;
  log.transports.console.level = toConsole ? level : false;
  log.errorHandler.startCatching({ showDialog: false });
  setLogSink((record) => log[record.level](...toLogArguments(record)), level);
}
