/**
 * The process logger (pino): JSON lines by default, readable lines when the output is a
 * terminal; the level comes from `log.level` (Traefik's names, case-insensitive).
 */
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
}

/** Creates the process logger. */
export function createLogger(options: LoggerOptions = {}): PinoLogger {
  const level = LEVELS[(options.level ?? 'info').toLowerCase()] ?? 'info';
  const readable = options.format === 'common' || (options.format === undefined && process.stdout.isTTY === true);
  if (options.filePath !== undefined) {
    return pino({ level, base: undefined }, pino.destination({ dest: options.filePath, mkdir: true, sync: false }));
  }
  if (readable) {
    return pino({
      level,
      base: undefined,
      transport: {
        target: 'pino-pretty',
        options: { colorize: process.stdout.isTTY === true, ignore: 'pid,hostname' },
      },
    });
  }
  return pino({ level, base: undefined });
}
