/**
 * Go values as the template engine sees them: strings, numbers (an integral number is Go's
 * `int`, any other a `float64`), booleans, `null` for nil, `undefined` for Go's "no value" (a
 * missing map key), arrays for slices, plain objects for maps, and GoStruct for data whose
 * unknown fields are errors (Docker's default-rule data), plus their Go spelling when printed.
 */

/** A value with fixed fields: reading any other field is an error, as on a Go struct. */
export class GoStruct {
  constructor(
    readonly typeName: string,
    readonly fields: Readonly<Record<string, unknown>>,
  ) {}
}

/** True for a Go map (a plain object). */
export function isMap(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value) && !(value instanceof GoStruct);
}

/** Go's name for the type of a value, as its error messages spell it. */
export function goTypeName(value: unknown): string {
  if (value === undefined || value === null) return '<nil>';
  if (typeof value === 'string') return 'string';
  if (typeof value === 'number') return Number.isInteger(value) ? 'int' : 'float64';
  if (typeof value === 'boolean') return 'bool';
  if (Array.isArray(value)) return '[]interface {}';
  if (value instanceof GoStruct) return value.typeName;
  if (isMap(value)) return 'map[string]interface {}';
  return typeof value;
}

/** Go's truth: false, 0, nil, and empty strings, slices and maps are false. */
export function truth(value: unknown): boolean {
  if (value === undefined || value === null) return false;
  if (typeof value === 'boolean') return value;
  if (typeof value === 'number') return value !== 0;
  if (typeof value === 'string') return value.length > 0;
  if (Array.isArray(value)) return value.length > 0;
  if (isMap(value)) return Object.keys(value).length > 0;
  return true;
}

/** Go's `%g`-style shortest form of a float (`1e+06`, `1.5e-07`), an integer as digits. */
export function formatNumber(value: number): string {
  if (Number.isInteger(value) && Math.abs(value) < 1e21) return String(value);
  if (Number.isNaN(value)) return 'NaN';
  if (!Number.isFinite(value)) return value > 0 ? '+Inf' : '-Inf';
  const exponent = Math.floor(Math.log10(Math.abs(value)));
  if (exponent < -4 || exponent >= 21) {
    return value.toExponential().replace(/e([+-])(\d)$/, 'e$10$2');
  }
  return String(value);
}

/** How Go's fmt prints a value with `%v` (and how a template prints an action's result). */
export function formatValue(value: unknown): string {
  if (value === undefined) return '<no value>';
  if (value === null) return '<nil>';
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return formatNumber(value);
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (Array.isArray(value)) return `[${value.map(formatNested).join(' ')}]`;
  if (value instanceof GoStruct) return `{${Object.values(value.fields).map(formatNested).join(' ')}}`;
  if (isMap(value)) {
    return `map[${Object.keys(value)
      .sort()
      .map((k) => `${k}:${formatNested(value[k])}`)
      .join(' ')}]`;
  }
  return String(value);
}

function formatNested(value: unknown): string {
  return value === undefined ? '<nil>' : formatValue(value);
}

/** sprig's `toString` (and the string form its string functions take of any argument). */
export function toStr(value: unknown): string {
  if (value === undefined || value === null) return '';
  return formatValue(value);
}

/** sprig's `toInt64` (cast.ToInt64): numbers truncate, numeric strings parse, anything else is 0. */
export function toInt(value: unknown): number {
  if (typeof value === 'number') return Math.trunc(value);
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'string') {
    const trimmed = value.trim();
    if (/^[+-]?\d+$/.test(trimmed)) return Number.parseInt(trimmed, 10);
    if (/^[+-]?0[xX][0-9a-fA-F]+$/.test(trimmed)) return Number.parseInt(trimmed, 16);
    const parsed = Number(trimmed);
    return trimmed !== '' && Number.isFinite(parsed) ? Math.trunc(parsed) : 0;
  }
  return 0;
}

/** sprig's `toFloat64`. */
export function toFloat(value: unknown): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'string') {
    const parsed = Number(value.trim());
    return value.trim() !== '' && Number.isFinite(parsed) ? parsed : 0;
  }
  return 0;
}

/** sprig's `empty`: the zero value of its type (nil, false, 0, "", empty slice or map). */
export function isEmpty(value: unknown): boolean {
  return !truth(value) && !(value instanceof GoStruct);
}

/** Go's strconv.Quote, enough for configuration values: Go escapes, non-printables as \x/\u. */
export function goQuote(text: string): string {
  let out = '"';
  for (const ch of text) {
    const code = ch.codePointAt(0)!;
    if (ch === '"' || ch === '\\') out += `\\${ch}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\x07') out += '\\a';
    else if (ch === '\b') out += '\\b';
    else if (ch === '\f') out += '\\f';
    else if (ch === '\v') out += '\\v';
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return `${out}"`;
}
