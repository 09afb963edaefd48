/** The logger shape every layer logs through (pino's, or a test's memory logger). */

/** Structured logging: an object of fields, then the message. */
export interface Logger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  debug(obj: object, msg?: string): void;
}
