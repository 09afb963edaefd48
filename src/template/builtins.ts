/**
 * Go text/template's predefined functions: and, or, not, len, index, slice, print, printf,
 * println, eq, ne, lt, le, gt, ge, html, js, urlquery. (`and`/`or` short-circuit in the
 * executor; `call` needs Go function values, which configuration data never holds.)
 */
import { type FunctionMap, fixed, variadic } from './functions.js';
import { sprintf } from './printf.js';
import { formatValue, GoStruct, goTypeName, isMap, truth } from './values.js';

function length(value: unknown): number {
  if (typeof value === 'string') return Buffer.byteLength(value, 'utf8');
  if (Array.isArray(value)) return value.length;
  if (isMap(value)) return Object.keys(value).length;
  throw new Error(`len of type ${goTypeName(value)}`);
}

function indexOne(container: unknown, key: unknown): unknown {
  if (Array.isArray(container) || typeof container === 'string') {
    if (typeof key !== 'number' || !Number.isInteger(key))
      throw new Error(`cannot index slice/array with type ${goTypeName(key)}`);
    const size = Array.isArray(container) ? container.length : Buffer.byteLength(container);
    if (key < 0 || key >= size) throw new Error(`index out of range: ${key}`);
    return Array.isArray(container) ? container[key] : Buffer.from(container)[key];
  }
  if (isMap(container)) {
    if (typeof key !== 'string') throw new Error(`value has type ${goTypeName(key)}; should be string`);
    if (Object.hasOwn(container, key)) return container[key];
    // Go gives the zero value of the element type: "" for a map of strings such as Docker's
    // labels (what default rules index), nil for an untyped map.
    const values = Object.values(container);
    return values.every((v) => typeof v === 'string') ? '' : null;
  }
  if (container === null || container === undefined) throw new Error('index of untyped nil');
  throw new Error(`can't index item of type ${goTypeName(container)}`);
}

function basicKind(value: unknown): string {
  if (value === null || value === undefined) return 'nil';
  if (typeof value === 'number') return 'number';
  if (typeof value === 'string' || typeof value === 'boolean') return typeof value;
  throw new Error(`invalid type for comparison: ${goTypeName(value)}`);
}

function equal(a: unknown, b: unknown): boolean {
  const ka = basicKind(a);
  const kb = basicKind(b);
  if (ka === 'nil' || kb === 'nil') return ka === kb;
  if (ka !== kb) throw new Error('incompatible types for comparison');
  return a === b;
}

function less(a: unknown, b: unknown): boolean {
  const ka = basicKind(a);
  if (ka !== basicKind(b)) throw new Error('incompatible types for comparison');
  if (ka !== 'number' && ka !== 'string') throw new Error(`invalid type for comparison: ${goTypeName(a)}`);
  return (a as number | string) < (b as number | string);
}

/** Go's fmt.Sprint: a space between two operands when neither is a string. */
function sprint(args: unknown[]): string {
  let out = '';
  args.forEach((arg, i) => {
    if (i > 0 && typeof arg !== 'string' && typeof args[i - 1] !== 'string') out += ' ';
    out += formatValue(arg);
  });
  return out;
}

const HTML_ESCAPES: Record<string, string> = {
  '<': '&lt;',
  '>': '&gt;',
  '&': '&amp;',
  "'": '&#39;',
  '"': '&#34;',
  '\0': '\uFFFD',
};

/** Go's predefined template functions. */
export const GO_BUILTINS: FunctionMap = {
  and: variadic(1, (args) => args.find((a) => !truth(a)) ?? args[args.length - 1]),
  or: variadic(1, (args) => args.find((a) => truth(a)) ?? args[args.length - 1]),
  not: fixed(1, ([a]) => !truth(a)),
  len: fixed(1, ([a]) => length(a)),
  index: variadic(1, ([container, ...keys]) => keys.reduce((value, key) => indexOne(value, key), container)),
  slice: variadic(1, ([item, ...bounds]) => {
    if (bounds.length > 3) throw new Error('too many slice indexes');
    const [from = 0, to] = bounds as number[];
    if (typeof item === 'string') return item.slice(from, to);
    if (Array.isArray(item)) {
      if ((to ?? item.length) > item.length || from > (to ?? item.length)) throw new Error(`index out of range: ${to}`);
      return item.slice(from, to);
    }
    throw new Error(`can't slice item of type ${goTypeName(item)}`);
  }),
  print: variadic(0, sprint),
  printf: variadic(1, ([format, ...args]) => {
    if (typeof format !== 'string') throw new Error(`format must be a string, got ${goTypeName(format)}`);
    return sprintf(format, args);
  }),
  println: variadic(0, (args) => `${args.map(formatValue).join(' ')}\n`),
  eq: variadic(2, ([a, ...others]) => others.some((b) => equal(a, b))),
  ne: fixed(2, ([a, b]) => !equal(a, b)),
  lt: fixed(2, ([a, b]) => less(a, b)),
  le: fixed(2, ([a, b]) => less(a, b) || equal(a, b)),
  gt: fixed(2, ([a, b]) => !less(a, b) && !equal(a, b)),
  ge: fixed(2, ([a, b]) => !less(a, b)),
  html: variadic(0, (args) => sprint(args).replace(/[<>&'"\0]/g, (c) => HTML_ESCAPES[c]!)),
  js: variadic(0, (args) =>
    sprint(args).replace(/[\\'"<>&=\n\r\t]/g, (c) =>
      c === '\\' || c === "'" || c === '"'
        ? `\\${c}`
        : `\\u${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`,
    ),
  ),
  urlquery: variadic(0, (args) => encodeURIComponent(sprint(args)).replace(/%20/g, '+')),
  call: variadic(1, () => {
    throw new Error('call needs a function value; configuration data holds none');
  }),
};

/** Used by sprig's deepEqual. */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((v, i) => deepEqual(v, b[i]));
  if (a instanceof GoStruct || b instanceof GoStruct) return false;
  if (isMap(a) && isMap(b)) {
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => Object.hasOwn(b, k) && deepEqual(a[k], b[k]));
  }
  return false;
}
