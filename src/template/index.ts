/**
 * One Go text/template engine for everything Traefik renders as a template: file-provider
 * dynamic files (rendered before they are parsed as YAML or TOML) and the Docker provider's
 * `defaultRule`. Go's syntax and builtins, sprig's functions, Go's error messages with the
 * position (`file:line:col: function "foo" not defined`), and a budget per render.
 */
import { GO_BUILTINS } from './builtins.js';
import { DEFAULT_LIMITS, executeTemplate, type RenderLimits } from './exec.js';
import type { FunctionMap } from './functions.js';
import { parseTemplate } from './parser.js';
import { SPRIG, SPRIG_UNSUPPORTED } from './sprig.js';

export { TemplateExecError, TemplateSyntaxError } from './errors.js';
export type { RenderLimits } from './exec.js';
export { type FunctionMap, fixed, type TemplateFunction, variadic } from './functions.js';
export { GoStruct } from './values.js';

/** Go's builtins and sprig's TxtFuncMap (what Traefik gives both of its templates). */
export const STANDARD_FUNCTIONS: FunctionMap = { ...GO_BUILTINS, ...SPRIG };

const UNSUPPORTED = new Set(SPRIG_UNSUPPORTED);

/** How to compile a template. */
export interface TemplateOptions {
  /** What errors name as the place (a file name, or `providers.docker.defaultRule`). */
  name: string;
  /** Functions added to (or replacing) the standard ones, as Traefik adds `normalize`. */
  functions?: FunctionMap;
  limits?: RenderLimits;
}

/** A compiled template: parse once, render many times. */
export interface CompiledTemplate {
  readonly source: string;
  /** Renders with `data` as dot; throws TemplateExecError with `name:line:col:`. */
  render(data: unknown): string;
}

/** True when a text has template actions at all: a file without `{{` is never compiled. */
export function hasTemplateActions(text: string): boolean {
  return text.includes('{{');
}

/** Compiles a template; throws TemplateSyntaxError with `name:line:col:` (an unknown function is one). */
export function compileTemplate(source: string, options: TemplateOptions): CompiledTemplate {
  const functions: FunctionMap = options.functions
    ? { ...STANDARD_FUNCTIONS, ...options.functions }
    : STANDARD_FUNCTIONS;
  const parsed = parseTemplate(source, options.name, (fn) => {
    if (Object.hasOwn(functions, fn)) return undefined;
    if (UNSUPPORTED.has(fn)) return `function ${JSON.stringify(fn)} (from sprig) is not supported by Switchyard`;
    return `function ${JSON.stringify(fn)} not defined`;
  });
  const limits = options.limits ?? DEFAULT_LIMITS;
  return {
    source,
    render: (data) => executeTemplate(parsed, data, functions, options.name, source, limits),
  };
}

/** Compiles and renders in one go (a file read once). */
export function renderTemplate(source: string, data: unknown, options: TemplateOptions): string {
  return compileTemplate(source, options).render(data);
}
