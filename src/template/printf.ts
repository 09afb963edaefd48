/**
 * Go's fmt.Sprintf for the verbs templates use: %v %s %d %q %x %X %o %b %c %f %F %e %g %t %T %%,
 * with flags (`-+# 0`), width and precision (`*` included). A verb that does not fit its
 * argument prints Go's `%!d(string=x)`, and missing or extra arguments print as Go prints them,
 * so a template renders what Traefik would render instead of failing.
 */
import { formatNumber, formatValue, goQuote, goTypeName } from './values.js';

interface Spec {
  minus: boolean;
  plus: boolean;
  sharp: boolean;
  zero: boolean;
  space: boolean;
  width: number | undefined;
  precision: number | undefined;
}

/** Formats like Go's fmt.Sprintf. */
export function sprintf(format: string, args: readonly unknown[]): string {
  let out = '';
  let next = 0;
  let i = 0;
  while (i < format.length) {
    const percent = format.indexOf('%', i);
    if (percent === -1) {
      out += format.slice(i);
      break;
    }
    out += format.slice(i, percent);
    i = percent + 1;
    const spec: Spec = {
      minus: false,
      plus: false,
      sharp: false,
      zero: false,
      space: false,
      width: undefined,
      precision: undefined,
    };
    for (; i < format.length; i++) {
      const f = format[i];
      if (f === '-') spec.minus = true;
      else if (f === '+') spec.plus = true;
      else if (f === '#') spec.sharp = true;
      else if (f === '0') spec.zero = true;
      else if (f === ' ') spec.space = true;
      else break;
    }
    if (format[i] === '*') {
      spec.width = Number(args[next++] ?? 0);
      i++;
    } else {
      const m = /^\d+/.exec(format.slice(i));
      if (m) {
        spec.width = Number(m[0]);
        i += m[0].length;
      }
    }
    if (format[i] === '.') {
      i++;
      if (format[i] === '*') {
        spec.precision = Number(args[next++] ?? 0);
        i++;
      } else {
        const m = /^\d*/.exec(format.slice(i))!;
        spec.precision = m[0] === '' ? 0 : Number(m[0]);
        i += m[0].length;
      }
    }
    const verb = format[i++];
    if (verb === undefined) {
      out += '%!(NOVERB)';
      break;
    }
    if (verb === '%') {
      out += '%';
      continue;
    }
    if (next >= args.length) {
      out += `%!${verb}(MISSING)`;
      continue;
    }
    out += pad(formatOne(verb, args[next++], spec), spec);
  }
  if (next < args.length) {
    out += `%!(EXTRA ${args
      .slice(next)
      .map((a) => `${goTypeName(a)}=${formatValue(a)}`)
      .join(', ')})`;
  }
  return out;
}

function pad(text: string, spec: Spec): string {
  if (spec.width === undefined || text.length >= spec.width) return text;
  if (spec.minus) return text.padEnd(spec.width, ' ');
  if (spec.zero && /^[+-]?[\d.]/.test(text)) {
    const sign = /^[+-]/.test(text) ? text[0] : '';
    return sign + text.slice(sign.length).padStart(spec.width - sign.length, '0');
  }
  return text.padStart(spec.width, ' ');
}

function bad(verb: string, value: unknown): string {
  return `%!${verb}(${goTypeName(value)}=${formatValue(value)})`;
}

function signed(text: string, value: number, spec: Spec): string {
  if (value >= 0 && spec.plus) return `+${text}`;
  if (value >= 0 && spec.space) return ` ${text}`;
  return text;
}

function formatOne(verb: string, value: unknown, spec: Spec): string {
  switch (verb) {
    case 'v':
      if (spec.sharp && typeof value === 'string') return goQuote(value);
      if (typeof value === 'number' && Number.isInteger(value)) return signed(String(value), value, spec);
      return formatValue(value);
    case 's':
      if (typeof value === 'number' || typeof value === 'boolean') return bad(verb, value);
      return truncate(formatValue(value), spec);
    case 'q':
      if (typeof value === 'string') return spec.sharp && !value.includes('`') ? `\`${value}\`` : goQuote(value);
      if (typeof value === 'number' && Number.isInteger(value)) return `'${String.fromCodePoint(value)}'`;
      return bad(verb, value);
    case 'T':
      return goTypeName(value);
    case 't':
      return typeof value === 'boolean' ? String(value) : bad(verb, value);
    case 'd':
      if (typeof value !== 'number' || !Number.isInteger(value)) return bad(verb, value);
      return signed(String(value), value, spec);
    case 'c':
      if (typeof value !== 'number' || !Number.isInteger(value)) return bad(verb, value);
      return String.fromCodePoint(value);
    case 'x':
    case 'X':
    case 'o':
    case 'b': {
      const radix = verb === 'o' ? 8 : verb === 'b' ? 2 : 16;
      let text: string;
      if (typeof value === 'number' && Number.isInteger(value)) {
        text = Math.abs(value).toString(radix);
        if (spec.sharp && radix === 16) text = `0x${text}`;
        if (spec.sharp && radix === 8) text = `0${text}`;
        text = (value < 0 ? '-' : '') + text;
      } else if (typeof value === 'string' && radix === 16) {
        text = Buffer.from(value, 'utf8').toString('hex');
      } else {
        return bad(verb, value);
      }
      return verb === 'X' ? text.toUpperCase() : text;
    }
    case 'f':
    case 'F':
    case 'e':
    case 'E':
    case 'g':
    case 'G': {
      if (typeof value !== 'number') return bad(verb, value);
      // Go refuses %f on an int; an integral number here may well be a float64 in Go, so it prints.
      const precision = spec.precision;
      let text: string;
      if (verb === 'f' || verb === 'F') text = value.toFixed(precision ?? 6);
      else if (verb === 'e' || verb === 'E')
        text = value.toExponential(precision ?? 6).replace(/e([+-])(\d)$/, 'e$10$2');
      else text = precision === undefined ? formatNumber(value) : Number(value.toPrecision(precision || 1)).toString();
      if (verb === 'E' || verb === 'G') text = text.toUpperCase();
      return signed(text, value, spec);
    }
    default:
      return `%!${verb}(${goTypeName(value)}=${formatValue(value)})`;
  }
}

function truncate(text: string, spec: Spec): string {
  return spec.precision === undefined ? text : [...text].slice(0, spec.precision).join('');
}
