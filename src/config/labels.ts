/**
 * One codec for every flat key/value source: Docker labels (`traefik.http.routers.api.rule=…`),
 * CLI flags (`--entryPoints.web.address=:8000`) and environment variables
 * (`SWITCHYARD_ENTRYPOINTS_WEB_ADDRESS=:8000`). Each turns dotted keys into a tree of strings;
 * typing (numbers, booleans, comma lists) is left to the zod schema, and key case to
 * `canonicalizeKeys`, so all three sources behave identically.
 *
 * Paths: `.` separates segments, `[N]` is a list index (`servers[0].url`), as in Traefik's paerser.
 * Segments match case-insensitively; the first spelling met is kept.
 * A key set to `true` may also have children (`tls=true` with `tls.certresolver=le`, or
 * `--api --api.insecure`): `true` just enables the section. Any other value next to children is
 * a conflict and throws a ConfigError naming both keys.
 */
import { ConfigError } from '../errors.js';

/** A path segment: an object key, or a list index written `[N]`. */
export type KeySegment = string | number;

/** A decoded tree and, for error messages, the source key (label, flag, variable) of each path. */
export interface DecodedTree {
  tree: Record<string, unknown>;
  /** Lower-cased dotted path (`entrypoints.web.address`) → key as the user wrote it. */
  origins: Map<string, string>;
}

/** Splits `a.b[0].c` into `['a', 'b', 0, 'c']`; throws on empty segments or malformed indices. */
export function parseKeyPath(key: string): KeySegment[] {
  const segments: KeySegment[] = [];
  for (const part of key.split('.')) {
    const match = /^([^[\]]*)((?:\[\d+\])*)$/.exec(part);
    if (!match || match[1] === '') throw new ConfigError(`malformed key ${JSON.stringify(key)}`, key);
    segments.push(match[1] as string);
    for (const index of (match[2] as string).matchAll(/\[(\d+)\]/g)) segments.push(Number(index[1]));
  }
  return segments;
}

/** Formats a path back to `a.b[0].c`. */
export function formatKeyPath(path: readonly KeySegment[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else out += out === '' ? segment : `.${segment}`;
  }
  return out;
}

function isTrue(value: unknown): boolean {
  return typeof value === 'string' && value.trim().toLowerCase() === 'true';
}

type Container = Record<string, unknown> | unknown[];

function isContainer(value: unknown): value is Container {
  return value !== null && typeof value === 'object';
}

/** Accumulates flat keys into a tree, remembering where each path came from. */
class TreeBuilder {
  readonly tree: Record<string, unknown> = {};
  readonly origins = new Map<string, string>();

  set(keyPath: readonly KeySegment[], value: string, origin: string): void {
    const path = [...keyPath];
    let node: Container = this.tree;
    for (let i = 0; i < path.length; i++) {
      const slot = node as Record<string | number, unknown>;
      const segment = this.sameKey(slot, path[i] as KeySegment);
      path[i] = segment;
      const here = path.slice(0, i + 1);
      const existing = slot[segment];
      if (i === path.length - 1) {
        if (isContainer(existing)) {
          // `tls=true` after `tls.certresolver=le` only repeats that the section is on.
          if (!isTrue(value)) this.conflict(origin, this.originUnder(here));
          return;
        }
        slot[segment] = value;
        this.origins.set(this.pathKey(here), origin);
        return;
      }
      const wantsList = typeof path[i + 1] === 'number';
      if (existing === undefined || (!isContainer(existing) && isTrue(existing))) {
        slot[segment] = wantsList ? [] : {};
      } else if (!isContainer(existing) || Array.isArray(existing) !== wantsList) {
        this.conflict(this.origins.get(this.pathKey(here)) ?? this.originUnder(here), origin);
      }
      node = slot[segment] as Container;
    }
  }

  /**
   * Keys are case-insensitive (`--entrypoints.web.address` and `--entryPoints.web.port` meet in
   * one tree), so the first spelling seen is kept for later keys differing only by case.
   */
  private sameKey(node: Record<string | number, unknown>, segment: KeySegment): KeySegment {
    if (typeof segment === 'number' || segment in node) return segment;
    const lower = segment.toLowerCase();
    return Object.keys(node).find((k) => k.toLowerCase() === lower) ?? segment;
  }

  private pathKey(path: KeySegment[]): string {
    return formatKeyPath(path).toLowerCase();
  }

  private originUnder(path: KeySegment[]): string {
    const prefix = this.pathKey(path);
    for (const [key, origin] of this.origins) {
      if (key.startsWith(`${prefix}.`) || key.startsWith(`${prefix}[`)) return origin;
    }
    return formatKeyPath(path);
  }

  private conflict(first: string, second: string): never {
    throw new ConfigError(
      `conflicting keys ${JSON.stringify(first)} and ${JSON.stringify(second)}: one sets a value where the other needs a section`,
      first,
    );
  }
}

/** Decodes labels under `prefix` (case-insensitive, e.g. `traefik`) into a tree of strings. */
export function labelsToTree(labels: Record<string, string>, prefix: string): Record<string, unknown> {
  return decodeLabels(labels, prefix).tree;
}

/** Like labelsToTree, also returning the label behind each path (for error messages). */
export function decodeLabels(labels: Record<string, string>, prefix: string): DecodedTree {
  const builder = new TreeBuilder();
  const head = `${prefix.toLowerCase()}.`;
  // Sorted so that conflicts name the same keys whatever order the daemon returns labels in.
  for (const key of Object.keys(labels).sort()) {
    if (!key.toLowerCase().startsWith(head)) continue;
    builder.set(parseKeyPath(key.slice(head.length)), labels[key] as string, key);
  }
  return { tree: builder.tree, origins: builder.origins };
}

function isScalar(value: unknown): boolean {
  return value === null || (typeof value !== 'object' && typeof value !== 'function');
}

/**
 * Encodes a tree as labels under `prefix`, the inverse of labelsToTree: lists of scalars become
 * comma lists (Traefik's label convention), lists of objects use `[N]`, empty sections `true`.
 */
export function treeToLabels(tree: unknown, prefix: string): Record<string, string> {
  const out: Record<string, string> = {};
  const visit = (value: unknown, key: string): void => {
    if (value === undefined || value === null) return;
    if (Array.isArray(value)) {
      if (value.every(isScalar)) out[key] = value.filter((v) => v !== null).join(',');
      else
        value.forEach((item, i) => {
          visit(item, `${key}[${i}]`);
        });
      return;
    }
    if (typeof value === 'object') {
      const entries = Object.entries(value as Record<string, unknown>);
      if (entries.length === 0) out[key] = 'true';
      for (const [child, item] of entries) visit(item, `${key}.${child}`);
      return;
    }
    out[key] = String(value);
  };
  if (tree !== null && typeof tree === 'object' && !Array.isArray(tree)) {
    for (const [child, item] of Object.entries(tree as Record<string, unknown>)) visit(item, `${prefix}.${child}`);
  }
  return out;
}

/** Options of flagsToTree. */
export interface FlagOptions {
  /** Whether a flag whose first segment is this belongs to the configuration; others go to `rest`. */
  accept?: (firstSegment: string) => boolean;
  /** Whether the key is an on/off switch or section: then `--key` alone never eats the next argument. */
  isSwitch?: (path: KeySegment[]) => boolean;
}

/** Decoded flags plus the arguments that are not configuration flags (subcommands, file names…). */
export interface DecodedFlags extends DecodedTree {
  rest: string[];
}

/**
 * Decodes `--a.b=v`, `--a.b v` and bare `--a.b` (meaning `true`) into a tree. Arguments after `--`,
 * single-dash arguments, positionals and flags refused by `accept` are returned in `rest`.
 */
export function flagsToTree(args: readonly string[], options: FlagOptions = {}): DecodedFlags {
  const builder = new TreeBuilder();
  const rest: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (arg === '--') {
      rest.push(...args.slice(i + 1));
      break;
    }
    if (!arg.startsWith('--') || arg.length === 2) {
      rest.push(arg);
      continue;
    }
    const body = arg.slice(2);
    const eq = body.indexOf('=');
    const name = eq < 0 ? body : body.slice(0, eq);
    const first = name.split(/[.[]/)[0] as string;
    if (options.accept && !options.accept(first)) {
      rest.push(arg);
      continue;
    }
    const path = parseKeyPath(name);
    let value = 'true';
    if (eq >= 0) {
      value = body.slice(eq + 1);
    } else {
      const next = args[i + 1];
      if (next !== undefined && !next.startsWith('-')) {
        const switchLike = options.isSwitch?.(path) ?? false;
        if (!switchLike || /^(true|false)$/i.test(next)) {
          value = next;
          i++;
        }
      }
    }
    builder.set(path, value, `--${name}`);
  }
  return { tree: builder.tree, origins: builder.origins, rest };
}

/**
 * Decodes environment variables `PREFIX_A_B=v` into a tree (`a.b`), every segment lower-cased since
 * variable names carry no case. With several prefixes, a later one wins on the same key.
 */
export function envToTree(
  env: Record<string, string | undefined>,
  prefix: string | readonly string[],
  options: Pick<FlagOptions, 'accept'> = {},
): DecodedTree {
  const builder = new TreeBuilder();
  const prefixes = typeof prefix === 'string' ? [prefix] : prefix;
  for (const p of prefixes) {
    const head = `${p.toUpperCase()}_`;
    for (const name of Object.keys(env).sort()) {
      const value = env[name];
      if (value === undefined || !name.toUpperCase().startsWith(head)) continue;
      const segments = name.slice(head.length).toLowerCase().split('_');
      if (options.accept && !options.accept(segments[0] as string)) continue;
      if (segments.some((s) => s === '')) throw new ConfigError(`malformed variable name ${name}`, name);
      builder.set(segments, value, name);
    }
  }
  return { tree: builder.tree, origins: builder.origins };
}
