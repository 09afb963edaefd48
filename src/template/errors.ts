/**
 * Template faults, with Go's `name:line:col:` prefix so that a file's error points into it.
 * They are ConfigParseErrors: a file whose template fails is a file that does not load (the
 * file provider keeps the last good configuration), with no new error code.
 */
import { ConfigParseError } from '../errors.js';

/** `line:col` (1-based, columns in characters) of an offset in a source. */
export function lineColumn(source: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let k = source.indexOf('\n'); k !== -1 && k < offset; k = source.indexOf('\n', k + 1)) {
    line++;
    lineStart = k + 1;
  }
  return { line, column: offset - lineStart + 1 };
}

function located(name: string, source: string, offset: number): string {
  const { line, column } = lineColumn(source, offset);
  return `${name}:${line}:${column}`;
}

/** A template that does not parse (bad syntax, unknown function, unbalanced `end`). */
export class TemplateSyntaxError extends ConfigParseError {
  constructor(message: string, name: string, source: string, offset: number) {
    const location = located(name, source, offset);
    super(`${location}: ${message}`, location);
    this.name = 'TemplateSyntaxError';
  }
}

/** A template that fails while rendering (bad argument, unknown field, budget exceeded). */
export class TemplateExecError extends ConfigParseError {
  /** The message without its location, for callers that name the place themselves. */
  readonly detail: string;
  constructor(message: string, name: string, source: string, offset: number) {
    const location = located(name, source, offset);
    super(`${location}: ${message}`, location);
    this.name = 'TemplateExecError';
    this.detail = message;
  }
}
