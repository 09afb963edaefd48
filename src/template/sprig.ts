/**
 * The sprig functions (Masterminds/sprig v3, `TxtFuncMap`) that published Traefik files and
 * default rules use: strings, lists, dicts, integer and float math, defaults, environment,
 * encodings, regular expressions, type tests. Argument orders are sprig's (the subject last, so
 * that pipelines read `.Name | trimPrefix "x"`). Sprig functions not built here are listed in
 * SPRIG_UNSUPPORTED, so the error says so instead of "not defined".
 */
import { createHash, randomUUID } from 'node:crypto';
import { deepEqual } from './builtins.js';
import { checkSize, type FunctionMap, fixed, variadic } from './functions.js';
import { goQuote, goTypeName, isEmpty, isMap, toFloat, toInt, toStr } from './values.js';

function list(value: unknown, fn: string): unknown[] {
  if (Array.isArray(value)) return value;
  if (value === null || value === undefined) return [];
  throw new Error(`cannot ${fn} on type ${goTypeName(value)}`);
}

function dict(value: unknown, fn: string): Record<string, unknown> {
  if (isMap(value)) return value;
  throw new Error(`${fn} expects a dict, got ${goTypeName(value)}`);
}

/** sprig's untilStep: integers from start towards stop (excluded) by step. */
function untilStep(start: number, stop: number, step: number): number[] {
  const out: number[] = [];
  if (step === 0 || (step > 0 && start >= stop) || (step < 0 && start <= stop)) return out;
  checkSize(Math.ceil(Math.abs((stop - start) / step)), 'untilStep');
  if (step > 0) for (let v = start; v < stop; v += step) out.push(v);
  else for (let v = start; v > stop; v += step) out.push(v);
  return out;
}

/** sprig's seq, like the shell's: `seq 5`, `seq 2 5`, `seq 0 2 10`, joined by spaces. */
function seq(args: unknown[]): string {
  const n = args.map(toInt);
  let [start, step, end] = [1, 1, 0];
  if (n.length === 1) end = n[0]!;
  else if (n.length === 2) [start, end] = [n[0]!, n[1]!];
  else [start, step, end] = [n[0]!, n[1]!, n[2]!];
  if (n.length < 3 && end < start) step = -1;
  if (step === 0 || (step > 0 && end < start) || (step < 0 && end > start)) return '';
  checkSize(Math.floor(Math.abs((end - start) / step)) + 1, 'seq');
  const out: number[] = [];
  if (step > 0) for (let v = start; v <= end; v += step) out.push(v);
  else for (let v = start; v >= end; v += step) out.push(v);
  return out.join(' ');
}

function repeat(count: number, text: string): string {
  checkSize(Math.max(0, count) * text.length, 'repeat');
  return text.repeat(Math.max(0, count));
}

function trimCutset(text: string, cutset: string): string {
  const chars = new Set(cutset);
  const arr = [...text];
  let a = 0;
  let b = arr.length;
  while (a < b && chars.has(arr[a]!)) a++;
  while (b > a && chars.has(arr[b - 1]!)) b--;
  return arr.slice(a, b).join('');
}

function title(text: string): string {
  return text.replace(/(^|[^\p{L}\p{N}_'])(\p{L})/gu, (_, sep: string, letter: string) => sep + letter.toUpperCase());
}

/** sprig's substr: out-of-range bounds fall back as sprig's do. */
function substr(start: number, end: number, text: string): string {
  if (start < 0) return text.slice(0, end);
  if (end < 0 || end > text.length) return text.slice(start);
  return text.slice(start, end);
}

function regex(pattern: unknown): RegExp {
  // sprig uses Go's RE2; JavaScript's syntax agrees on what configuration files use.
  return new RegExp(toStr(pattern), 'gu');
}

/** Go's Regexp.Expand syntax (`$1`, `${1}`, `${name}`) turned into JavaScript's. */
function goReplacement(template: string): string {
  return template.replace(/\$(\{(\w+)\}|(\w+))|\$\$/g, (whole, _b, braced: string, bare: string) => {
    if (whole === '$$') return '$$';
    const name = braced ?? bare;
    return /^\d+$/.test(name) ? `$${name}` : `$<${name}>`;
  });
}

function splitMap(parts: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  parts.forEach((p, i) => {
    out[`_${i}`] = p;
  });
  return out;
}

function splitN(text: string, sep: string, n: number): string[] {
  if (n === 0) return [];
  const parts = text.split(sep);
  if (n < 0 || parts.length <= n) return parts;
  return [...parts.slice(0, n - 1), parts.slice(n - 1).join(sep)];
}

function strs(value: unknown): string[] {
  if (Array.isArray(value)) return value.filter((v) => v !== null && v !== undefined).map(toStr);
  if (value === null || value === undefined) return [];
  return [toStr(value)];
}

function expandEnv(text: string): string {
  return text.replace(/\$(\{([^}]*)\}|([A-Za-z_]\w*))/g, (_w, _b, braced?: string, bare?: string) => {
    return process.env[braced ?? bare ?? ''] ?? '';
  });
}

function toJson(value: unknown, indent?: string): string {
  return JSON.stringify(value === undefined ? null : value, null, indent) ?? 'null';
}

function kindOf(value: unknown): string {
  if (value === null || value === undefined) return 'invalid';
  if (typeof value === 'number') return Number.isInteger(value) ? 'int' : 'float64';
  if (Array.isArray(value)) return 'slice';
  if (isMap(value)) return 'map';
  if (typeof value === 'object') return 'struct';
  return typeof value === 'boolean' ? 'bool' : 'string';
}

function randomString(length: number, alphabet: string): string {
  checkSize(length, 'rand');
  let out = '';
  for (const byte of createHash('sha256').update(randomUUID()).digest()) {
    if (out.length >= length) break;
    out += alphabet[byte % alphabet.length];
  }
  while (out.length < length) out += randomString(Math.min(32, length - out.length), alphabet);
  return out;
}

const one = (run: (a: unknown) => unknown) => fixed(1, ([a]) => run(a));
const two = (run: (a: unknown, b: unknown) => unknown) => fixed(2, ([a, b]) => run(a, b));
const three = (run: (a: unknown, b: unknown, c: unknown) => unknown) => fixed(3, ([a, b, c]) => run(a, b, c));
const s = toStr;

/** The sprig functions built here. */
export const SPRIG: FunctionMap = {
  // Strings.
  trim: one((a) => s(a).trim()),
  trimAll: two((cut, a) => trimCutset(s(a), s(cut))),
  trimall: two((cut, a) => trimCutset(s(a), s(cut))),
  trimPrefix: two((p, a) => (s(a).startsWith(s(p)) ? s(a).slice(s(p).length) : s(a))),
  trimSuffix: two((p, a) => (s(p) !== '' && s(a).endsWith(s(p)) ? s(a).slice(0, -s(p).length) : s(a))),
  lower: one((a) => s(a).toLowerCase()),
  upper: one((a) => s(a).toUpperCase()),
  title: one((a) => title(s(a))),
  untitle: one((a) => s(a).replace(/(^|\s)(\S)/g, (_, sep: string, c: string) => sep + c.toLowerCase())),
  repeat: two((n, a) => repeat(toInt(n), s(a))),
  substr: three((a, b, text) => substr(toInt(a), toInt(b), s(text))),
  nospace: one((a) => s(a).replace(/\s+/g, '')),
  trunc: two((n, a) => {
    const c = toInt(n);
    const text = s(a);
    return c < 0 ? text.slice(Math.max(0, text.length + c)) : text.slice(0, c);
  }),
  abbrev: two((w, a) => {
    const width = toInt(w);
    const text = s(a);
    return width < 4 || text.length <= width ? text : `${text.slice(0, width - 3)}...`;
  }),
  initials: one((a) =>
    s(a)
      .split(/\s+/)
      .filter(Boolean)
      .map((w) => w[0])
      .join(''),
  ),
  contains: two((sub, a) => s(a).includes(s(sub))),
  hasPrefix: two((p, a) => s(a).startsWith(s(p))),
  hasSuffix: two((p, a) => s(a).endsWith(s(p))),
  quote: variadic(0, (args) =>
    args
      .filter((a) => a !== null && a !== undefined)
      .map((a) => goQuote(s(a)))
      .join(' '),
  ),
  squote: variadic(0, (args) =>
    args
      .filter((a) => a !== null && a !== undefined)
      .map((a) => `'${s(a)}'`)
      .join(' '),
  ),
  cat: variadic(0, (args) =>
    args
      .filter((a) => a !== null && a !== undefined)
      .map(s)
      .join(' '),
  ),
  indent: two((n, a) => {
    const pad = ' '.repeat(Math.max(0, toInt(n)));
    return pad + s(a).replaceAll('\n', `\n${pad}`);
  }),
  nindent: two((n, a) => {
    const pad = ' '.repeat(Math.max(0, toInt(n)));
    return `\n${pad}${s(a).replaceAll('\n', `\n${pad}`)}`;
  }),
  replace: three((from, to, a) => s(a).replaceAll(s(from), s(to))),
  plural: three((one_, many, n) => (toInt(n) === 1 ? s(one_) : s(many))),
  snakecase: one((a) =>
    s(a)
      .replace(/([a-z\d])([A-Z])/g, '$1_$2')
      .replace(/[\s-]+/g, '_')
      .toLowerCase(),
  ),
  kebabcase: one((a) =>
    s(a)
      .replace(/([a-z\d])([A-Z])/g, '$1-$2')
      .replace(/[\s_]+/g, '-')
      .toLowerCase(),
  ),
  camelcase: one((a) =>
    s(a)
      .split(/[_\s-]+/)
      .filter(Boolean)
      .map((w) => w[0]!.toUpperCase() + w.slice(1))
      .join(''),
  ),
  swapcase: one((a) => [...s(a)].map((c) => (c === c.toUpperCase() ? c.toLowerCase() : c.toUpperCase())).join('')),
  split: two((sep, a) => splitMap(s(a).split(s(sep)))),
  splitList: two((sep, a) => s(a).split(s(sep))),
  splitn: three((sep, n, a) => splitMap(splitN(s(a), s(sep), toInt(n)))),
  join: two((sep, v) => strs(v).join(s(sep))),
  sortAlpha: one((v) => strs(v).sort()),
  toString: one(s),
  toStrings: one((v) => list(v, 'toStrings').map(s)),
  atoi: one((a) => (/^[+-]?\d+$/.test(s(a)) ? Number.parseInt(s(a), 10) : 0)),
  int: one(toInt),
  int64: one(toInt),
  float64: one(toFloat),
  toDecimal: one((a) => Number.parseInt(s(a), 8) || 0),
  // Math: integers as sprig's toInt64 makes them.
  add: variadic(0, (args) => args.reduce<number>((sum, a) => sum + toInt(a), 0)),
  add1: one((a) => toInt(a) + 1),
  sub: two((a, b) => toInt(a) - toInt(b)),
  mul: variadic(1, (args) => args.reduce<number>((p, a) => p * toInt(a), 1)),
  div: two((a, b) => {
    if (toInt(b) === 0) throw new Error('integer divide by zero');
    return Math.trunc(toInt(a) / toInt(b));
  }),
  mod: two((a, b) => {
    if (toInt(b) === 0) throw new Error('integer divide by zero');
    return toInt(a) % toInt(b);
  }),
  max: variadic(1, (args) => Math.max(...args.map(toInt))),
  min: variadic(1, (args) => Math.min(...args.map(toInt))),
  addf: variadic(0, (args) => args.reduce<number>((sum, a) => sum + toFloat(a), 0)),
  subf: variadic(1, ([a, ...rest]) => rest.reduce<number>((d, b) => d - toFloat(b), toFloat(a))),
  mulf: variadic(1, (args) => args.reduce<number>((p, a) => p * toFloat(a), 1)),
  divf: variadic(1, ([a, ...rest]) => rest.reduce<number>((d, b) => d / toFloat(b), toFloat(a))),
  maxf: variadic(1, (args) => Math.max(...args.map(toFloat))),
  minf: variadic(1, (args) => Math.min(...args.map(toFloat))),
  floor: one((a) => Math.floor(toFloat(a))),
  ceil: one((a) => Math.ceil(toFloat(a))),
  round: variadic(2, ([a, p]) => {
    const factor = 10 ** toInt(p);
    return Math.round(toFloat(a) * factor) / factor;
  }),
  until: one((n) => {
    const count = toInt(n);
    return untilStep(0, count, count < 0 ? -1 : 1);
  }),
  untilStep: three((a, b, c) => untilStep(toInt(a), toInt(b), toInt(c))),
  seq: variadic(0, seq),
  // Defaults and flow.
  default: variadic(1, ([d, given]) => (isEmpty(given) ? d : given)),
  empty: one(isEmpty),
  coalesce: variadic(0, (args) => args.find((a) => !isEmpty(a)) ?? null),
  all: variadic(0, (args) => args.every((a) => !isEmpty(a))),
  any: variadic(0, (args) => args.some((a) => !isEmpty(a))),
  ternary: three((t, f, cond) => (cond === true ? t : f)),
  fail: one((a) => {
    throw new Error(s(a));
  }),
  // Lists.
  list: variadic(0, (args) => args),
  tuple: variadic(0, (args) => args),
  first: one((v) => list(v, 'first')[0] ?? null),
  last: one((v) => list(v, 'last').at(-1) ?? null),
  rest: one((v) => list(v, 'rest').slice(1)),
  initial: one((v) => list(v, 'initial').slice(0, -1)),
  append: two((v, x) => [...list(v, 'append'), x]),
  push: two((v, x) => [...list(v, 'push'), x]),
  prepend: two((v, x) => [x, ...list(v, 'prepend')]),
  concat: variadic(0, (args) => args.flatMap((v) => list(v, 'concat'))),
  reverse: one((v) => [...list(v, 'reverse')].reverse()),
  uniq: one((v) => list(v, 'uniq').filter((x, i, all) => all.findIndex((y) => deepEqual(x, y)) === i)),
  without: variadic(1, ([v, ...drop]) => list(v, 'without').filter((x) => !drop.some((d) => deepEqual(x, d)))),
  has: two((needle, v) => list(v, 'has').some((x) => deepEqual(x, needle))),
  compact: one((v) => list(v, 'compact').filter((x) => !isEmpty(x))),
  // Dicts.
  dict: variadic(0, (args) => {
    const out: Record<string, unknown> = {};
    for (let i = 0; i < args.length; i += 2) out[s(args[i])] = i + 1 < args.length ? args[i + 1] : '';
    return out;
  }),
  get: two((d, k) => (Object.hasOwn(dict(d, 'get'), s(k)) ? dict(d, 'get')[s(k)] : '')),
  set: three((d, k, v) => {
    dict(d, 'set')[s(k)] = v;
    return d;
  }),
  unset: two((d, k) => {
    delete dict(d, 'unset')[s(k)];
    return d;
  }),
  hasKey: two((d, k) => Object.hasOwn(dict(d, 'hasKey'), s(k))),
  keys: variadic(0, (args) => args.flatMap((d) => Object.keys(dict(d, 'keys'))).sort()),
  values: one((d) => Object.values(dict(d, 'values'))),
  pick: variadic(1, ([d, ...ks]) =>
    Object.fromEntries(Object.entries(dict(d, 'pick')).filter(([k]) => ks.map(s).includes(k))),
  ),
  omit: variadic(1, ([d, ...ks]) =>
    Object.fromEntries(Object.entries(dict(d, 'omit')).filter(([k]) => !ks.map(s).includes(k))),
  ),
  pluck: variadic(1, ([k, ...ds]) =>
    ds
      .map((d) => dict(d, 'pluck'))
      .filter((d) => Object.hasOwn(d, s(k)))
      .map((d) => d[s(k)]),
  ),
  merge: variadic(1, ([dst, ...srcs]) => {
    const target = dict(dst, 'merge');
    for (const src of srcs)
      for (const [k, v] of Object.entries(dict(src, 'merge'))) if (!Object.hasOwn(target, k)) target[k] = v;
    return target;
  }),
  // Environment.
  env: one((name) => process.env[s(name)] ?? ''),
  expandenv: one((a) => expandEnv(s(a))),
  // Encodings and hashes.
  b64enc: one((a) => Buffer.from(s(a), 'utf8').toString('base64')),
  b64dec: one((a) => Buffer.from(s(a), 'base64').toString('utf8')),
  b32enc: one((a) => base32(Buffer.from(s(a), 'utf8'))),
  sha1sum: one((a) => createHash('sha1').update(s(a)).digest('hex')),
  sha256sum: one((a) => createHash('sha256').update(s(a)).digest('hex')),
  toJson: one((a) => toJson(a)),
  mustToJson: one((a) => toJson(a)),
  toRawJson: one((a) => toJson(a)),
  toPrettyJson: one((a) => toJson(a, '  ')),
  fromJson: one((a) => {
    try {
      return JSON.parse(s(a));
    } catch {
      return '';
    }
  }),
  // Regular expressions.
  regexMatch: two((re, a) => new RegExp(s(re), 'u').test(s(a))),
  regexFind: two((re, a) => new RegExp(s(re), 'u').exec(s(a))?.[0] ?? ''),
  regexFindAll: three((re, a, n) => {
    const found = [...s(a).matchAll(regex(re))].map((m) => m[0]);
    return toInt(n) < 0 ? found : found.slice(0, toInt(n));
  }),
  regexReplaceAll: three((re, a, repl) => s(a).replace(regex(re), goReplacement(s(repl)))),
  regexReplaceAllLiteral: three((re, a, repl) => s(a).replace(regex(re), () => s(repl))),
  regexSplit: three((re, a, n) => splitByRegex(s(a), s(re), toInt(n))),
  regexQuoteMeta: one((a) => s(a).replace(/[\\.+*?()|[\]{}^$]/g, '\\$&')),
  // Types.
  kindOf: one(kindOf),
  kindIs: two((k, v) => kindOf(v) === s(k)),
  typeOf: one(goTypeName),
  typeIs: two((t, v) => goTypeName(v) === s(t)),
  deepEqual: two(deepEqual),
  // Random values (sprig has them; some files name routers with them).
  uuidv4: fixed(0, () => randomUUID()),
  randAlphaNum: one((n) => randomString(toInt(n), 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789')),
  randAlpha: one((n) => randomString(toInt(n), 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz')),
  randNumeric: one((n) => randomString(toInt(n), '0123456789')),
};

function splitByRegex(text: string, pattern: string, n: number): string[] {
  if (n === 0) return [];
  const parts = text.split(new RegExp(pattern, 'u'));
  return n < 0 || parts.length <= n ? parts : [...parts.slice(0, n - 1), parts.slice(n - 1).join('')];
}

function base32(bytes: Buffer): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += alphabet[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += alphabet[(value << (5 - bits)) & 31];
  while (out.length % 8 !== 0) out += '=';
  return out;
}

/** sprig functions not built here: naming one says so rather than "not defined". */
export const SPRIG_UNSUPPORTED: readonly string[] = [
  'now',
  'date',
  'dateInZone',
  'date_in_zone',
  'dateModify',
  'date_modify',
  'ago',
  'duration',
  'durationRound',
  'htmlDate',
  'htmlDateInZone',
  'toDate',
  'mustToDate',
  'unixEpoch',
  'mustDateModify',
  'genPrivateKey',
  'derivePassword',
  'buildCustomCert',
  'genCA',
  'genCAWithKey',
  'genSelfSignedCert',
  'genSelfSignedCertWithKey',
  'genSignedCert',
  'genSignedCertWithKey',
  'encryptAES',
  'decryptAES',
  'bcrypt',
  'htpasswd',
  'semver',
  'semverCompare',
  'urlParse',
  'urlJoin',
  'getHostByName',
  'osBase',
  'osDir',
  'osClean',
  'osExt',
  'osIsAbs',
  'base',
  'dir',
  'clean',
  'ext',
  'isAbs',
  'wrap',
  'wrapWith',
  'shuffle',
  'randAscii',
  'randBytes',
  'adler32sum',
  'b32dec',
  'dig',
  'deepCopy',
  'mustDeepCopy',
  'mergeOverwrite',
  'mustMerge',
  'mustMergeOverwrite',
  'chunk',
  'mustAppend',
  'mustPush',
  'mustPrepend',
  'mustFirst',
  'mustLast',
  'mustRest',
  'mustInitial',
  'mustReverse',
  'mustUniq',
  'mustWithout',
  'mustHas',
  'mustCompact',
  'mustSlice',
  'mustChunk',
  'mustRegexMatch',
  'mustRegexFind',
  'mustRegexFindAll',
  'mustRegexReplaceAll',
  'mustRegexReplaceAllLiteral',
  'mustRegexSplit',
  'mustFromJson',
  'mustToPrettyJson',
  'mustToRawJson',
  'fromYaml',
  'toYaml',
  'sha512sum',
  'typeIsLike',
  'hello',
].filter((name) => !(name in SPRIG));
