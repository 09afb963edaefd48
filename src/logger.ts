/**
 * The process logger (pino): JSON lines by default, readable lines when the output is a
 * terminal; the level comes from `log.level` (Traefik's names, case-insensitive).
 */
import { createRequire } from 'node:module';
import { type Logger as PinoLogger, pino } from 'pino';

const LEVELS: Record<string, string> = {
  trace: 'trace',
  debug: 'debug',
  info: 'info',
  warn: 'warn',
  warning: 'warn',
  error: 'error',
  fatal: 'fatal',
  panic: 'fatal',
  off: 'silent',
  silent: 'silent',
};

/** Options of the process logger. */
export interface LoggerOptions {
  level?: string;
  /** `json` or `common` (readable); default: readable on a TTY, JSON otherwise. */
  format?: string;
  /** Log to this file instead of stdout. */
  filePath?: string;
  /** No colours in readable logs, even on a terminal (Traefik's `log.noColor`). */
  noColor?: boolean;
}

/** Creates the process logger. */
export function createLogger(options: LoggerOptions = {}): PinoLogger {
  const level = LEVELS[(options.level ?? 'info').toLowerCase()] ?? 'info';
  const readable = options.format === 'common' || (options.format === undefined && process.stdout.isTTY === true);
  if (options.filePath !== undefined) {
    return pino({ level, base: undefined }, pino.destination({ dest: options.filePath, mkdir: true, sync: false }));
  }
  if (readable) {
    // Formatted in this thread, not through a pino transport: a transport is a worker thread,
    // a second V8 heap (~15 MiB) for a few log lines a minute. pino-pretty is loaded only here.
    // Asynchronous writes: a slow terminal or pipe must not stall the proxy's event loop
    // (pino-pretty flushes what is buffered when the process exits).
    const pretty = createRequire(import.meta.url)('pino-pretty') as typeof import('pino-pretty');
    const stream = pretty({
      colorize: process.stdout.isTTY === true && options.noColor !== true,
      ignore: 'pid,hostname',
      sync: false,
    });
    return pino({ level, base: undefined }, stream);
  }
  return pino({ level, base: undefined });
}
