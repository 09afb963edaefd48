/**
 * Reads a YAML or TOML configuration text (chosen by extension) into a plain tree, keeping a way
 * back from a key path to `file:line:column` so that validation errors point into the file.
 * Syntax errors throw ConfigParseError with the position the parser reports.
 */

import { createRequire } from 'node:module';
import { extname } from 'node:path';
import { isMap, isScalar, isSeq, LineCounter, type Node, parseDocument } from 'yaml';
import { ConfigParseError } from '../errors.js';

/** Maps a key path (any case) to `file:line:column`, or undefined when it cannot be found. */
export type Locator = (path: readonly (string | number)[]) => string | undefined;

/** A parsed configuration text. */
export interface ParsedConfigText {
  value: unknown;
  format: 'yaml' | 'toml';
  locate: Locator;
}

/** The format of a configuration file from its extension, or undefined if it is neither. */
export function configFormat(fileName: string): 'yaml' | 'toml' | undefined {
  const ext = extname(fileName).toLowerCase();
  if (ext === '.yml' || ext === '.yaml') return 'yaml';
  if (ext === '.toml') return 'toml';
  return undefined;
}

/** Parses YAML or TOML by the file's extension; throws ConfigParseError with `file:line:column`. */
export function parseConfigText(text: string, fileName: string): ParsedConfigText {
  const format = configFormat(fileName);
  if (format === 'toml') return parseTomlText(text, fileName);
  if (format === 'yaml') return parseYamlText(text, fileName);
  throw new ConfigParseError(
    `unsupported configuration file type ${JSON.stringify(fileName)} (use .yml, .yaml or .toml)`,
    fileName,
  );
}

function firstLine(message: string): string {
  // Parsers append the position in words; ours is already in front as file:line:column.
  return (message.split('\n')[0] as string).replace(/ at line \d+, column \d+:?$/, '').trim();
}

function parseYamlText(text: string, fileName: string): ParsedConfigText {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: true, uniqueKeys: true });
  const error = doc.errors[0];
  if (error) {
    const pos = error.linePos?.[0];
    const location = pos ? `${fileName}:${pos.line}:${pos.col}` : fileName;
    throw new ConfigParseError(`${location}: ${firstLine(error.message)}`, location, error);
  }
  const value = doc.toJS({ maxAliasCount: 1000 }) ?? {};
  const locate: Locator = (path) => {
    let node: unknown = doc.contents;
    let found: Node | undefined;
    for (const segment of path) {
      if (isMap(node)) {
        const wanted = String(segment).toLowerCase();
        const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value).toLowerCase() === wanted);
        if (!pair) break;
        found = pair.key as Node;
        node = pair.value;
      } else if (isSeq(node) && typeof segment === 'number') {
        const item = node.items[segment];
        if (!item) break;
        found = item as Node;
        node = item;
      } else {
        break;
      }
    }
    const offset = found?.range?.[0];
    if (offset === undefined) return undefined;
    const pos = lineCounter.linePos(offset);
    return `${fileName}:${pos.line}:${pos.col}`;
  };
  return { value, format: 'yaml', locate };
}

// The TOML parser is loaded on the first TOML file: most setups never read one, and every
// module kept out of the process is memory the proxy does not hold (see bench/NOTES.md).
const requireModule = createRequire(import.meta.url);
let toml: typeof import('smol-toml') | undefined;

function parseTomlText(text: string, fileName: string): ParsedConfigText {
  toml ??= requireModule('smol-toml') as typeof import('smol-toml');
  const { parse: parseToml, TomlError } = toml;
  let value: unknown;
  try {
    value = parseToml(text);
  } catch (error) {
    if (error instanceof TomlError) {
      const location = `${fileName}:${error.line}:${error.column}`;
      throw new ConfigParseError(`${location}: ${firstLine(error.message)}`, location, error);
    }
    throw new ConfigParseError(`${fileName}: ${(error as Error).message}`, fileName, error);
  }
  const keys = scanTomlKeys(text);
  const locate: Locator = (path) => {
    // Best effort: the deepest table header or key line whose path is a prefix of the wanted one.
    const wanted = path.filter((s) => typeof s === 'string').map((s) => (s as string).toLowerCase());
    let best: { depth: number; line: number; column: number } | undefined;
    for (const key of keys) {
      if (key.path.length > wanted.length || (best && key.path.length <= best.depth)) continue;
      if (key.path.every((s, i) => s === wanted[i]))
        best = { depth: key.path.length, line: key.line, column: key.column };
    }
    return best ? `${fileName}:${best.line}:${best.column}` : undefined;
  };
  return { value, format: 'toml', locate };
}

interface TomlKey {
  path: string[];
  line: number;
  column: number;
}

/** Splits a TOML dotted key (`a."b.c".d`) into lower-cased segments. */
function splitTomlKey(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(/\s*(?:"((?:[^"\\]|\\.)*)"|'([^']*)'|([A-Za-z0-9_-]+))\s*(?:\.|$)/g)) {
    out.push((m[1] ?? m[2] ?? m[3] ?? '').toLowerCase());
  }
  return out;
}

/** Finds table headers and `key =` lines with their full paths; multi-line values are skipped roughly. */
function scanTomlKeys(text: string): TomlKey[] {
  const out: TomlKey[] = [];
  let table: string[] = [];
  text.split(/\r?\n/).forEach((raw, index) => {
    const header = /^(\s*)\[\[?([^\]]+)\]\]?\s*(#.*)?$/.exec(raw);
    if (header) {
      table = splitTomlKey(header[2] as string);
      out.push({ path: table, line: index + 1, column: (header[1] as string).length + 1 });
      return;
    }
    const key = /^(\s*)((?:"(?:[^"\\]|\\.)*"|'[^']*'|[A-Za-z0-9_.\s-])+?)\s*=/.exec(raw);
    if (key) {
      out.push({
        path: [...table, ...splitTomlKey(key[2] as string)],
        line: index + 1,
        column: (key[1] as string).length + 1,
      });
    }
  });
  return out;
}
